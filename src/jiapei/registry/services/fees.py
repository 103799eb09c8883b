"""Filing fee standards (收费标准, ``charstandard``) and withdrawing them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from jiapei.core import columns
from jiapei.core import services as trail
from jiapei.core import wire as v
from jiapei.core.actors import Actor
from jiapei.core.errors import FieldError, NotFound
from jiapei.core.wire import Fields
from jiapei.registry.models import FeeStandard, FilingStatus, TimingPlatform
from jiapei.registry.services.common import served_institution, upsert


def file_fee_standard(
    *, actor: Actor, platform: TimingPlatform, data: Mapping[str, Any]
) -> tuple[FeeStandard, bool]:
    """File a fee standard (收费标准). Natural key: (inscode, seq)."""
    f = Fields(data)
    institution = served_institution(platform, f.get("inscode"))
    seq = f.get("seq", fee_seq)
    values: dict[str, Any] = {
        "vehicletype": f.get("vehicletype", v.licence_class),
        "trainningmode": f.get("trainningmode", required=False, default=""),
        "subject": f.get("subject", required=False, default=""),
        "trainningtime": f.get("trainningtime", required=False, default=""),
        "chargemode": f.get("chargemode", required=False, default=""),
        "paymode": f.get("paymode", required=False, default=""),
        "service": f.get("service", required=False, default=""),
        "price": f.get("price", columns.decimal_of(FeeStandard, "price")),
        "classcurr": f.get("classcurr"),
        "uptime": f.get("uptime", v.wire_date),
    }
    if values["vehicletype"]:
        try:
            v.within(
                "vehicletype",
                data.get("vehicletype", ""),
                [values["vehicletype"]],
                institution.classes,
                "机构经营范围",
            )
        except FieldError as exc:
            f.add(exc)
    f.check()
    values["platform"] = platform
    values["filing_status"] = FilingStatus.ACTIVE
    existing = FeeStandard.objects.filter(institution=institution, seq=seq).first()
    return upsert(
        FeeStandard,
        actor=actor,
        action="charstandard.file",
        lookup={"institution": institution, "seq": seq},
        values=values,
        existing=existing,
    )


def fee_seq(field: str, value: str) -> str:
    """Fee numbers compare as numbers when numeric: "3" and "03" are the same standard."""
    if value.isascii() and value.isdigit():
        value = value.lstrip("0") or "0"
    if len(value) > 8:
        raise FieldError(field, value, "编号不超过8位 (at most 8 characters)")
    return value


def delete_fee_standard(
    *, actor: Actor, platform: TimingPlatform, data: Mapping[str, Any]
) -> FeeStandard:
    f = Fields(data)
    institution = served_institution(platform, f.get("inscode"))
    seq = f.get("seq", fee_seq)
    f.check()
    with transaction.atomic():
        row = (
            FeeStandard.objects.select_for_update().filter(institution=institution, seq=seq).first()
        )
        if row is None:
            raise NotFound(
                f"seq={seq!r}: 收费标准不存在 (fee standard not filed)", field="seq", value=seq
            )
        if row.filing_status != FilingStatus.DELETED:
            before = trail.snapshot(row)
            row.filing_status = FilingStatus.DELETED
            row.save(update_fields=["filing_status", "updated_at"])
            trail.record(
                actor=actor,
                action="charstandard.delete",
                obj=row,
                before=before,
                after=trail.snapshot(row),
            )
        return row
