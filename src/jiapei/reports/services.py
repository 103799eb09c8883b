"""Writes of the reports app: the figures a city's regulator enters for the monthly report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from jiapei.accounts import access
from jiapei.accounts.models import RegionLevel
from jiapei.core import clock
from jiapei.core import services as trail
from jiapei.core.actors import Actor
from jiapei.core.errors import FieldError, FieldErrors
from jiapei.reports.models import MonthlyReportInput
from jiapei.reports.monthly import BY_NAME, ENTERED, FIELDS, report_region
from jiapei.reports.periods import parse_month

# A city has a few hundred schools and counties; anything this large is a typing error.
MAX_VALUE = 1_000_000


def _clean(values: Any) -> dict[str, int | None]:
    if not isinstance(values, Mapping) or not values:
        raise FieldError(
            "values", values, "应为非空对象 {字段名: 数值} (non-empty object expected)"
        )
    errors: list[FieldError] = []
    cleaned: dict[str, int | None] = {}
    for name, value in values.items():
        where = f"values.{name}"
        spec = BY_NAME.get(name)
        if spec is None:
            errors.append(
                FieldError(
                    where,
                    name,
                    f"未知字段 (unknown field; entered fields: {', '.join(sorted(ENTERED))})",
                )
            )
        elif spec.source != "entered":
            errors.append(
                FieldError(
                    where, value, f"“{spec.label}”由平台计算，不能填报 (computed, not entered)"
                )
            )
        elif value is None:
            cleaned[name] = None
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            errors.append(FieldError(where, value, "应为非负整数 (non-negative integer expected)"))
        elif value > MAX_VALUE:
            errors.append(FieldError(where, value, f"不应超过 {MAX_VALUE} (too large)"))
        else:
            cleaned[name] = value
    if errors:
        raise errors[0] if len(errors) == 1 else FieldErrors(errors)
    return cleaned


def enter_inputs(
    *, actor: Actor, region: str | None, month: str | None, values: Any
) -> tuple[MonthlyReportInput, bool]:
    """Store the entered figures of a city's monthly report; returns (row, changed).

    Only the named fields change (``null`` clears one); a repeated request changes nothing and
    writes no audit row. The city's own regulator or the province may enter; the figures are
    per city, so a province code is refused.
    """
    access.regulator(actor)
    target = report_region(region)
    if target.level != RegionLevel.CITY:
        raise FieldError("region", region, "月报表按地市填报 (figures are entered per city)")
    user = access.require(actor, access.Action.ENTER_REPORT_INPUTS, region=target.code)
    period = parse_month(month)
    cleaned = _clean(values)
    with transaction.atomic():
        row, created = MonthlyReportInput.objects.select_for_update().get_or_create(
            region=target, month=period.first, defaults={"values": {}, "updated_by": user}
        )
        if row.submitted_at is not None:
            raise _submitted(month)
        before = trail.snapshot(row)
        merged = dict(row.values)
        for name, value in cleaned.items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        if merged == row.values and not created:
            return row, False
        row.values = merged
        row.updated_by = user
        row.save()
        trail.record(
            actor=actor,
            action="reports.enter_monthly_inputs",
            obj=row,
            before=None if created else before,
            after=trail.snapshot(row),
        )
        return row, True


def _submitted(month: str | None) -> FieldError:
    return FieldError("month", month, "该月报表已报送，不能再修改 (already submitted)")


def submit_report(
    *, actor: Actor, region: str | None, month: str | None, values: Any = None
) -> MonthlyReportInput:
    """Send a city's monthly report to the province (报送), after storing ``values`` (as
    :func:`enter_inputs`) when given. Every entered field must then have a value; the
    submission is stamped with the clock's instant (late or not is read from it,
    :mod:`jiapei.reports.submissions`) and is final: later entries are refused."""
    access.regulator(actor)
    target = report_region(region)
    if target.level != RegionLevel.CITY:
        raise FieldError("region", region, "月报表按地市报送 (reports are submitted per city)")
    user = access.require(actor, access.Action.ENTER_REPORT_INPUTS, region=target.code)
    period = parse_month(month)
    with transaction.atomic():
        if values:
            enter_inputs(actor=actor, region=region, month=month, values=values)
        row = (
            MonthlyReportInput.objects.select_for_update()
            .filter(region=target, month=period.first)
            .first()
        )
        if row is not None and row.submitted_at is not None:
            raise _submitted(month)
        stored = row.values if row is not None else {}
        missing = [
            FieldError(f.name, None, f"报送前请填写“{f.label}” (required before submitting)")
            for f in FIELDS
            if f.source == "entered" and stored.get(f.name) is None
        ]
        if missing:
            raise missing[0] if len(missing) == 1 else FieldErrors(missing)
        assert row is not None
        before = trail.snapshot(row)
        row.submitted_at = clock.now()
        row.submitted_by = user
        row.save(update_fields=["submitted_at", "submitted_by"])
        trail.record(
            actor=actor,
            action="reports.submit_monthly",
            obj=row,
            before=before,
            after=trail.snapshot(row),
        )
        return row
