"""Helpers shared by the filing services: the registry's own field rules (a served school, an
uploaded file), unified numbers and upserts. The generic field kit is :mod:`jiapei.core.wire`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from jiapei.core import clock
from jiapei.core import services as trail
from jiapei.core.actors import Actor
from jiapei.core.errors import Conflict, FieldError, Forbidden, NotFound
from jiapei.core.wire import row_id
from jiapei.integrations import national
from jiapei.registry.models import (
    Filed,
    FilingStatus,
    Institution,
    TimingPlatform,
    UploadedFile,
)

M = TypeVar("M", bound=Filed)


def today() -> Any:
    return clock.today()


ANOTHER_PLATFORM = "其他计时平台的备案 (a filing of another timing platform)"


def shown(row: Filed, platform_id: int | None, text: str) -> str:
    """``text``, which names or numbers ``row``, when the caller filed ``row``; otherwise only
    that another platform holds it. A conflict never discloses another tenant's data."""
    return text if row.platform_id == platform_id else ANOTHER_PLATFORM


def served_institution(platform: TimingPlatform, inscode: str | None) -> Institution:
    """The active institution ``inscode``, which must be served by ``platform``."""
    if inscode is None:
        raise FieldError("inscode", inscode, "必填字段不能为空 (required)")
    try:
        institution = Institution.objects.select_related("district").get(inscode=inscode)
    except Institution.DoesNotExist:
        raise NotFound(
            f"inscode={inscode!r}: 培训机构未备案 (institution not filed)",
            field="inscode",
            value=inscode,
        ) from None
    if not institution.is_active:
        raise NotFound(
            f"inscode={inscode!r}: 培训机构备案已{institution.get_filing_status_display()} "
            "(institution filing not active)",
            field="inscode",
            value=inscode,
        )
    if institution.platform_id != platform.pk:
        raise Forbidden(
            f"inscode={inscode!r}: 该机构由其他计时平台对接 (institution served by another "
            "timing platform)",
            field="inscode",
            value=inscode,
        )
    return institution


def uploaded(platform: TimingPlatform, kind: str) -> Callable[[str, str], UploadedFile]:
    """Parser for a file id returned by ``imageup``: it must exist, belong to ``platform`` and
    have been uploaded as ``kind`` (a car photo is not a coach's portrait)."""

    def parse(field: str, value: str) -> UploadedFile:
        pk = row_id(value)
        if pk is None:
            raise FieldError(field, value, "文件编号不存在 (unknown file id; upload it first)")
        row = UploadedFile.objects.filter(pk=pk, platform=platform).first()
        if row is None:
            raise FieldError(field, value, "文件编号不存在 (unknown file id; upload it first)")
        if row.kind != kind:
            raise FieldError(
                field, value, f"文件类型为 {row.kind}，应为 {kind} (uploaded as another type)"
            )
        return row

    return parse


def resolve_number(
    kind: str, given: str | None, existing: models.Model | None, number_attr: str, record: dict
) -> str:
    """The unified number for a filing: the given one, the existing record's, or a new one
    from the national platform. Called before the transaction opens (it may do network IO)."""
    if given:
        return given
    if existing is not None:
        return str(getattr(existing, number_attr))
    return national.get_client().issue_number(kind, record)


def upsert(
    model: type[M],
    *,
    actor: Actor,
    action: str,
    lookup: dict[str, Any],
    values: dict[str, Any],
    existing: M | None,
    retried: bool = False,
) -> tuple[M, bool]:
    """Create or update one filed row inside one transaction, with its audit-log row.

    ``existing`` is the row found by natural key before the transaction; it is re-read under a
    lock so concurrent filings of the same record serialise. Returns (row, created).
    """
    try:
        with transaction.atomic():
            row = None
            if existing is not None:
                row = model.objects.select_for_update().get(pk=existing.pk)
            else:
                row = model.objects.select_for_update().filter(**lookup).first()
            if row is None:
                row = model(**lookup, **values)
                row.save()
                trail.record(
                    actor=actor, action=f"{action}.create", obj=row, after=trail.snapshot(row)
                )
                return row, True
            if row.filing_status == FilingStatus.REVOKED:
                caller = values.get("platform")
                mine = caller is None or row.platform_id == caller.pk
                what = (
                    f"{row}: 该备案已被监管部门撤销（{row.status_reason}）"
                    if mine
                    else (f"{ANOTHER_PLATFORM}: 该备案已被监管部门撤销")
                )
                raise Conflict(
                    f"{what}，须由监管部门恢复后才能重新备案 (revoked by the regulator; only the "
                    "regulator can restore it)",
                )
            before = trail.snapshot(row)
            for key, value in {**lookup, **values}.items():
                setattr(row, key, value)
            row.save()
            after = trail.snapshot(row)
            trail.record(
                actor=actor, action=f"{action}.update", obj=row, before=before, after=after
            )
            return row, False
    except IntegrityError:
        # Another request filed the same record at the same moment; file again as an update.
        found = model.objects.filter(**lookup).first()
        if found is None or retried:
            raise
        return upsert(
            model,
            actor=actor,
            action=action,
            lookup=lookup,
            values=values,
            existing=found,
            retried=True,
        )
