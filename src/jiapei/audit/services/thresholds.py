"""Regulators setting audit thresholds for their province, city or institutions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any

from django.conf import settings
from django.db import transaction

from jiapei.accounts import access
from jiapei.audit.models import ThresholdSetting
from jiapei.audit.thresholds import ThresholdOverride, coerce, resolve
from jiapei.core import clock
from jiapei.core import services as trail
from jiapei.core import wire as v
from jiapei.core.actors import Actor
from jiapei.core.errors import Conflict, FieldError, Forbidden
from jiapei.core.wire import Fields, one_of
from jiapei.registry.models import Institution


def set_threshold(*, actor: Actor, data: Mapping[str, Any]) -> ThresholdSetting:
    """Add a threshold override in force from ``effective_from``. Province regulators set the
    province's; a city regulator its city's or its institutions'. Nothing is re-audited here:
    ``jiapei audit --since`` re-runs the audit and reports what changed."""
    access.regulator(actor)
    f = Fields(data)
    kind = f.get("scope_kind", one_of("province", "city", "institution"))
    code = f.get("scope_code")
    field = f.get("field")
    raw_value = data.get("value")
    start = f.get("effective_from", v.wire_date)
    end = f.get("effective_to", v.wire_date, required=False)
    note = f.get("note", required=False, default="")
    value = None
    if field is not None:
        try:
            value = coerce(field, raw_value)
        except ValueError as exc:
            f.add(FieldError("value", raw_value, str(exc)))
    if start and end and end < start:
        f.add(FieldError("effective_to", data.get("effective_to"), "早于生效日期 (before start)"))
    f.check()
    _check_scope(actor, kind, code)
    # Stored as JSON: times as "HH:MM:SS", tuples as lists (coerce reads both back).
    stored: Any = value.isoformat() if isinstance(value, time) else value
    if isinstance(stored, tuple):
        stored = list(stored)
    with transaction.atomic():
        clash = ThresholdSetting.objects.filter(
            scope_kind=kind, scope_code=code, field=field, effective_from=start
        ).first()
        if clash is not None:
            raise Conflict(
                f"{field}: 该范围在 {start} 已有设置 {clash.value!r} (already set for that day)",
                field="effective_from",
                value=str(start),
            )
        row = ThresholdSetting.objects.create(
            scope_kind=kind,
            scope_code=code,
            field=field,
            value=stored,
            effective_from=start,
            effective_to=end,
            note=note,
        )
        # Every stored row must still resolve: a bad combination fails before it is committed.
        resolve(
            [
                ThresholdOverride(
                    r.scope_kind, r.scope_code, r.field, r.value, r.effective_from, r.effective_to
                )
                for r in ThresholdSetting.objects.all()
            ],
            province=settings.JIAPEI_PROVINCE,
            city=None,
            inscode=None,
            on=clock.today(),
        )
        trail.record(actor=actor, action="threshold.set", obj=row, after=trail.snapshot(row))
        return row


def _check_scope(actor: Actor, kind: str, code: str) -> None:
    """Whether the actor may set thresholds for the scope; the scope's code is the caller's own
    words, so a scope outside its region is Forbidden rather than not found."""
    outside = Forbidden(
        f"scope_code={code!r}: 不在辖区内 (outside your region)", field="scope_code", value=code
    )
    if kind == "province":
        access.require(
            actor, access.Action.SET_PROVINCE_THRESHOLDS, region=code, field="scope_code"
        )
        if code != settings.JIAPEI_PROVINCE:
            raise outside
    elif kind == "city":
        access.require(actor, access.Action.SET_CITY_THRESHOLDS, region=code, field="scope_code")
        if not code.endswith("00"):
            raise outside
    else:
        institution = Institution.objects.filter(inscode=code).first()
        if institution is None:
            raise outside
        access.require(
            actor,
            access.Action.SET_INSTITUTION_THRESHOLDS,
            region=institution.district_id,
            field="scope_code",
            value=code,
        )
