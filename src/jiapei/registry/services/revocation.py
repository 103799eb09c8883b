"""Regulators revoking (撤销) and restoring coaches', examiners', safety officers' and cars'
filings. The timing platform is told through ``/recordchangemsg``."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from jiapei.accounts import access
from jiapei.core import services as trail
from jiapei.core.actors import Actor
from jiapei.core.errors import FieldError, NotFound
from jiapei.registry.models import FilingStatus, Personnel, TrainingCar
from jiapei.registry.services.callbacks import notify_record_change

RECORD_TYPES = {"coach": "2", "examiner": "3", "securityguard": "4", "trainingcar": "5"}


def set_filing_revoked(*, actor: Actor, kind: str, number: str, revoked: bool, reason: str) -> Any:
    """Revoke or restore one filing in the regulator's region. Repeating it changes nothing."""
    user = access.require(actor, access.Action.REVOKE_FILINGS)
    if kind not in RECORD_TYPES:
        raise FieldError("kind", kind, f"取值应为 {'/'.join(RECORD_TYPES)}")
    if not reason.strip():
        raise FieldError("reason", reason, "须说明原因 (a reason is required)")
    with transaction.atomic():
        row: Any
        if kind == "trainingcar":
            row = TrainingCar.objects.select_for_update().filter(carnum=number).first()
        else:
            row = Personnel.objects.select_for_update().filter(role=kind, number=number).first()
        if row is None or not access.covers(user, row.institution.district_id):
            raise NotFound(f"{number!r}: 备案不存在 (no such filing)", field="number", value=number)
        if row.filing_status == FilingStatus.DELETED:
            raise FieldError(
                "number",
                number,
                "该备案已由计时平台注销，无需撤销或恢复 (withdrawn by its platform)",
            )
        target = FilingStatus.REVOKED if revoked else FilingStatus.ACTIVE
        if row.filing_status == target:
            return row
        if not revoked and row.filing_status != FilingStatus.REVOKED:
            raise FieldError("number", number, "只有已撤销的备案可以恢复 (only revoked filings)")
        before = trail.snapshot(row)
        row.filing_status = target
        row.status_reason = reason
        row.save(update_fields=["filing_status", "status_reason", "updated_at"])
        entry = trail.record(
            actor=actor,
            action=f"{kind}.{'revoke' if revoked else 'restore'}",
            obj=row,
            before=before,
            after=trail.snapshot(row),
            reason=reason,
        )
        notify_record_change(
            platform=row.platform,
            recordtype=RECORD_TYPES[kind],
            changetype="0" if revoked else "1",
            inscode=row.institution.inscode,
            recordnum=number,
            reason=reason,
            key=f"recordchangemsg:{entry.pk}",
        )
        return row
