"""学员转校: moving a student between schools as a regulated transfer.

A timing platform acts only on students it filed or that were transferred to it. So a school
cannot simply take another platform's student: its platform *requests* the transfer (``transfer``
with the receiving school, the student's number and the student's signed consent, uploaded as
``imageup/epdfimg``), and the student moves only when the releasing platform (the one serving
the student's current school) or a regulator of that school's region *approves* it. Until then
the requester learns nothing about the student beyond the request's status. Within one platform
both sides are the caller, so its request is approved at once (consent still recorded if sent).
Every step is one transaction with an audit-log row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from jiapei.accounts import access
from jiapei.core import clock
from jiapei.core import services as trail
from jiapei.core import wire as v
from jiapei.core.actors import Actor
from jiapei.core.errors import Conflict, FieldError, NotFound
from jiapei.core.wire import Fields, unified_number
from jiapei.registry.models import (
    Student,
    StudentTransfer,
    TimingPlatform,
    TransferStatus,
)
from jiapei.registry.services.common import served_institution, uploaded

CONSENT_KIND = "epdfimg"
MAX_REASON = 200


def request_transfer(
    *, actor: Actor, platform: TimingPlatform, data: Mapping[str, Any]
) -> tuple[StudentTransfer | None, bool]:
    """The receiving school's request for ``stunum``. Returns (transfer, created); (None,
    False) when the student is already at that school. A second request while one is open
    returns the open one (a retry)."""
    f = Fields(data)
    target = served_institution(platform, f.get("inscode"))
    stunum = f.get("stunum", unified_number)
    consent = f.get("consentfile", uploaded(platform, CONSENT_KIND), required=False)
    consent_date = f.get("consentdate", v.wire_date, required=False)
    f.check()
    if consent_date is not None and consent_date > clock.today():
        raise FieldError("consentdate", data.get("consentdate"), "不能晚于今天 (in the future)")
    student = Student.objects.filter(stunum=stunum).select_related("institution").first()
    if student is None:
        raise NotFound(
            f"stunum={stunum!r}: 学员未备案 (student not filed)", field="stunum", value=stunum
        )
    if student.institution_id == target.pk:
        return None, False
    across = student.platform_id != platform.pk
    if across and (consent is None or consent_date is None):
        missing = "consentfile" if consent is None else "consentdate"
        raise FieldError(
            missing,
            data.get(missing),
            "跨计时平台转校须附学员签署的转校同意书 (imageup/epdfimg) 及签署日期 "
            "(a transfer from another platform needs the student's signed consent and its date)",
        )
    if student.traintype not in target.classes:
        raise FieldError(
            "inscode", target.inscode, "转入机构经营范围不含该学员培训车型 (class not in busiscope)"
        )
    open_request = StudentTransfer.objects.filter(
        student=student, to_institution=target, status=TransferStatus.REQUESTED
    ).first()
    if open_request is not None:
        return open_request, False
    try:
        with transaction.atomic():
            row = StudentTransfer.objects.create(
                student=student,
                from_institution=student.institution,
                to_institution=target,
                platform=platform,
                status=TransferStatus.REQUESTED,
                consent_file=consent,
                consent_date=consent_date,
            )
            trail.record(actor=actor, action="transfer.request", obj=row, after=trail.snapshot(row))
            if not across:
                _approve(actor, row, "同一计时平台 (same platform)")
            return row, True
    except IntegrityError:
        # A concurrent identical request won the one open slot: answer with it.
        existing = StudentTransfer.objects.filter(
            student=student, to_institution=target, status=TransferStatus.REQUESTED
        ).first()
        if existing is None:
            raise
        return existing, False


def decide_by_platform(
    *, actor: Actor, platform: TimingPlatform, data: Mapping[str, Any], approve: bool
) -> StudentTransfer:
    """The releasing platform approves or rejects a request for one of its students."""
    f = Fields(data)
    stunum = f.get("stunum", unified_number)
    pk = f.get("id", v.integer)
    reason = f.get("reason", required=not approve, default="")
    f.check()
    row = (
        StudentTransfer.objects.filter(pk=pk, student__stunum=stunum)
        .select_related("from_institution")
        .first()
    )
    if row is None or row.from_institution.platform_id != platform.pk:
        # The same answer for an unknown request and another platform's: nothing is disclosed.
        raise NotFound(f"id={pk!r}: 无此转校申请 (no such transfer request)", field="id", value=pk)
    return _decide(actor, row.pk, approve=approve, reason=reason)


def decide_by_regulator(
    *, actor: Actor, user: Any, transfer_id: int, approve: bool, reason: str = ""
) -> StudentTransfer:
    """A regulator of the releasing school's region approves or rejects a request."""
    access.require(user, access.Action.DECIDE_TRANSFERS)
    row = StudentTransfer.objects.filter(pk=transfer_id).select_related("from_institution").first()
    if row is None or not access.covers(user, row.from_institution.district_id):
        raise NotFound(
            f"id={transfer_id}: 无此转校申请 (no such transfer request)",
            field="id",
            value=transfer_id,
        )
    if not approve and not reason:
        raise FieldError("reason", reason, "驳回须说明理由 (a rejection needs a reason)")
    return _decide(actor, row.pk, approve=approve, reason=reason)


def _decide(actor: Actor, pk: int, *, approve: bool, reason: str) -> StudentTransfer:
    if len(reason) > MAX_REASON:
        raise FieldError("reason", reason[:60], f"不超过 {MAX_REASON} 个字符 (too long)")
    wanted = TransferStatus.APPROVED if approve else TransferStatus.REJECTED
    with transaction.atomic():
        row = StudentTransfer.objects.select_for_update().get(pk=pk)
        if row.status == wanted:
            return row  # a retry of the same decision
        if row.status != TransferStatus.REQUESTED:
            raise Conflict(
                f"id={pk}: 该申请已{row.get_status_display()} (already decided)",
                field="id",
                value=pk,
            )
        if approve:
            _approve(actor, row, reason)
        else:
            before = trail.snapshot(row)
            _stamp(actor, row, TransferStatus.REJECTED, reason)
            trail.record(
                actor=actor,
                action="transfer.reject",
                obj=row,
                before=before,
                after=trail.snapshot(row),
            )
        return row


def _approve(actor: Actor, row: StudentTransfer, reason: str) -> None:
    """Move the student (still at the releasing school) and close the request: one
    transaction with the caller's, audit rows for the request and for the student."""
    student = Student.objects.select_for_update().get(pk=row.student_id)
    if student.institution_id != row.from_institution_id:
        raise Conflict(
            f"id={row.pk}: 学员已不在原机构 (the student has left the releasing school)",
            field="id",
            value=row.pk,
        )
    before_row, before_student = trail.snapshot(row), trail.snapshot(student)
    _stamp(actor, row, TransferStatus.APPROVED, reason)
    target = row.to_institution
    student.institution = target
    student.platform_id = target.platform_id
    student.save(update_fields=["institution", "platform", "updated_at"])
    trail.record(
        actor=actor,
        action="transfer.approve",
        obj=row,
        before=before_row,
        after=trail.snapshot(row),
    )
    trail.record(
        actor=actor,
        action="student.transfer",
        obj=student,
        before=before_student,
        after=trail.snapshot(student),
    )


def _stamp(actor: Actor, row: StudentTransfer, status: str, reason: str) -> None:
    row.status = status
    row.decided_at = clock.now()
    row.decided_by = actor.label[:150]
    row.reason = reason
    row.save(update_fields=["status", "decided_at", "decided_by", "reason"])
