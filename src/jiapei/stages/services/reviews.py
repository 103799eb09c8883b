"""Writes of the stage review: assemble, review (approve / reject) and revoke.

Each service runs in one transaction with one audit-log row, and writes its messages to the
outbox in that transaction: ``/reviewmsg`` (reviewtype 2) to the timing platform on every
decision, an hours push to the police platform on approval and a withdrawal on revocation.

Life of a review::

    (new) ──assemble──▶ auto_approved                 clean, not drawn for manual review
                   └──▶ pending_manual ──review──▶ approved | rejected
    auto_approved | approved ──revoke──▶ revoked      (fraud found later)
    rejected ──assemble after a newer stage record──▶ pending_manual (a person decides again)

Decided reviews are not changed by re-assembly: an approval stands until it is revoked.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction

from jiapei.accounts import access
from jiapei.accounts.models import User
from jiapei.accounts.queries import province
from jiapei.audit.models import PartResult
from jiapei.core import clock
from jiapei.core import services as trail
from jiapei.core.actors import Actor
from jiapei.core.errors import Conflict, FieldError, NotFound
from jiapei.integrations.police import messages as police
from jiapei.outbox.models import Destination
from jiapei.outbox.services import enqueue_message
from jiapei.registry.models import Student
from jiapei.stages import checks as c
from jiapei.stages.models import (
    APPROVED_STATUSES,
    OPEN_STATUSES,
    PoliceAction,
    ReviewSource,
    ReviewStatus,
    StageReview,
)
from jiapei.stages.services.outgoing import (
    announce_approval,
    notify_platform,
    record_submission,
)
from jiapei.training.models import StageRecord, TeachingLog
from jiapei.training.queries import credited_rnums

AUTO_AUDITOR = "自动审核"

# Fields assembly derives from the audit and the stage record; compared to detect a no-op.
_CONTENT = (
    "stage_record_id",
    "required",
    "credited",
    "mileage_required",
    "mileage",
    "rnums",
    "checks",
    "examresult",
    "pdf_id",
    "transition",
)


def manual_share(student: Student) -> float:
    """The share of clean records drawn for manual review in the student's school's city:
    ``JIAPEI_STAGE_MANUAL_SHARE_BY_CITY[city]`` if set, else ``JIAPEI_STAGE_MANUAL_SHARE``."""
    city = student.institution.district_id[:4] + "00"
    by_city = settings.JIAPEI_STAGE_MANUAL_SHARE_BY_CITY
    default = settings.JIAPEI_STAGE_MANUAL_SHARE
    return float(by_city.get(city, default))


def is_transition(student: Student) -> bool:
    """Enrolled before ``JIAPEI_STAGE_TRANSITION_BEFORE`` (ISO date; empty = no cut-over)."""
    cutover = settings.JIAPEI_STAGE_TRANSITION_BEFORE
    return bool(cutover) and student.applydate < date.fromisoformat(cutover)


def reviewable(student: Student, result: PartResult | None) -> bool:
    """May the audit alone open a review? When the part is complete, or, for a transition
    student (no syllabus minimums), as soon as some minutes of it were credited."""
    if result is None:
        return False
    if result.complete:
        return True
    return is_transition(student) and sum(int(m) for m in result.credited.values()) > 0


def _content(student: Student, part: int) -> tuple[dict[str, Any], PartResult | None, Any]:
    """What the audit and the platform's stage record (if any) say about the part."""
    result = PartResult.objects.filter(student=student, part=part).first()
    stage = StageRecord.objects.filter(student=student, subject=part).first()
    credited = dict(result.credited) if result else {}
    # The platform's stage record names its logs; without one, the audit's credited logs count.
    rnums = [str(r) for r in stage.recarray] if stage is not None else credited_rnums(student, part)
    logs = {
        rnum: c.LogFact(rnum, stunum, log_part, status)
        for rnum, stunum, log_part, status in TeachingLog.objects.filter(
            rnum__in=rnums
        ).values_list("rnum", "student__stunum", "part", "audit_status")
    }
    transition = is_transition(student)
    found = [
        c.part_complete_waived()
        if transition
        else c.part_complete(
            result is not None,
            bool(result and result.complete),
            result.remaining if result else {},
        )
    ]
    if stage is not None:
        submitted = {name: getattr(stage, name) for name in ("totaltime", *c.MODE_FIELDS)}
        found.append(c.platform_totals(credited, submitted))
    found.append(c.teaching_logs(rnums, logs, stunum=student.stunum, part=part))
    found.append(
        c.mileage(
            result.mileage if result else 0.0,
            result.mileage_required if result else 0.0,
            transition=transition,
        )
    )
    content = {
        "stage_record_id": stage.pk if stage else None,
        "required": dict(result.required) if result else {},
        "credited": credited,
        "mileage_required": result.mileage_required if result else 0.0,
        "mileage": result.mileage if result else 0.0,
        "rnums": rnums,
        "checks": found,
        "examresult": stage.examresult if stage else "",
        "pdf_id": stage.pdf_id if stage else None,
        "transition": transition,
    }
    return content, result, stage


def assemble(*, actor: Actor, student: Student, part: int) -> StageReview:
    """Build or refresh the review of ``student``'s ``part`` and decide it if it may be decided
    automatically. Idempotent: with nothing new in the audit or the stage record it writes
    nothing and returns the stored review.

    A new or open review gets fresh figures and checks; it is auto-approved when every check
    passes and it was not drawn for manual review, else left ``pending_manual`` with the failed
    checks shown (never auto-rejected). A rejected review is reopened for a person when the
    platform submitted a newer stage record. Other decided reviews keep their figures.
    For a transition student (:func:`is_transition`) the syllabus minimums are waived: the
    part need not be complete, only trained in. Raises :class:`Conflict` when there is neither
    a reviewable part (:func:`reviewable`) nor a stage record.
    """
    with transaction.atomic():
        # One assembly per student at a time: the worker and a retried call cannot race.
        student = (
            Student.objects.select_for_update().select_related("institution").get(pk=student.pk)
        )
        row = StageReview.objects.filter(student=student, part=part).first()
        content, result, stage = _content(student, part)
        audit_seen = result.audited_at if result else None
        stage_seen = stage.submitted_at if stage else None
        if row is None and stage is None and not reviewable(student, result):
            raise Conflict(
                f"part {part}: 学时未达要求且无阶段培训记录 (nothing to review yet)",
                field="part",
                value=part,
            )
        reopen = _reopened(row, stage_seen)
        if row is not None and row.status not in OPEN_STATUSES and not reopen:
            # Decided: only remember what was seen, so the worker does not come back for it.
            _remember(row, audit_seen, stage_seen)
            return row
        before = trail.snapshot(row)
        if row is None:
            row = _new_review(student, part, from_platform=stage is not None)
        elif reopen:
            row.manual_required = True
            row.reviewer, row.reason, row.decided_at = None, "", None
        unchanged = row.pk is not None and all(getattr(row, k) == v for k, v in content.items())
        for key, value in content.items():
            setattr(row, key, value)
        now = clock.now()
        clean = c.all_ok(row.checks)
        status = (
            ReviewStatus.AUTO_APPROVED
            if clean and not row.manual_required
            else ReviewStatus.PENDING_MANUAL
        )
        if unchanged and status == row.status:
            _remember(row, audit_seen, stage_seen)
            return row
        row.status = status
        row.audit_seen_at, row.stage_seen_at = audit_seen, stage_seen
        if status == ReviewStatus.AUTO_APPROVED:
            row.decided_at = now
        row.save()
        entry = trail.record(
            actor=actor,
            action="stage.assemble",
            obj=row,
            before=before,
            after=trail.snapshot(row),
            reason="reopened by a newer stage record" if reopen else "",
        )
        if status == ReviewStatus.AUTO_APPROVED:
            announce_approval(
                row,
                key=f"reviewmsg:{entry.pk}",
                auditunit=province().name,
                auditor=AUTO_AUDITOR,
                at=now,
            )
        return row


def _reopened(row: StageReview | None, stage_seen: Any) -> bool:
    """Does a newer stage record reopen a rejected review (for a person to decide again)?"""
    return (
        row is not None
        and row.status == ReviewStatus.REJECTED
        and stage_seen is not None
        and (row.stage_seen_at is None or stage_seen > row.stage_seen_at)
    )


def _new_review(student: Student, part: int, *, from_platform: bool) -> StageReview:
    """A first review of the part; whether it is drawn for manual review is fixed by the student
    and the part."""
    return StageReview(
        student=student,
        part=part,
        source=ReviewSource.PLATFORM if from_platform else ReviewSource.AUDIT,
        manual_required=c.drawn_for_manual(student.stunum, part, manual_share(student)),
    )


def _remember(row: StageReview, audit_seen: Any, stage_seen: Any) -> None:
    """Record what an assembly that changed nothing has seen (bookkeeping, not a decision:
    no audit-log row, and ``updated_at`` stays the time of the last real change)."""
    if (row.audit_seen_at, row.stage_seen_at) != (audit_seen, stage_seen):
        StageReview.objects.filter(pk=row.pk).update(
            audit_seen_at=audit_seen, stage_seen_at=stage_seen
        )
        row.audit_seen_at, row.stage_seen_at = audit_seen, stage_seen


def _locked(review_id: int, user: User) -> StageReview:
    """The review, locked, if the user's region covers the student's school; else NotFound
    (a review outside one's region is not admitted to exist)."""
    row = StageReview.objects.select_for_update().filter(pk=review_id).first()
    if row is None or not access.covers(user, row.student.institution.district_id):
        raise NotFound(
            f"stage review {review_id}: 不存在 (no such review)", field="id", value=review_id
        )
    return row


def review(*, actor: Actor, review_id: int, approve: bool, reason: str = "") -> StageReview:
    """A regulator of the student's school's region approves or rejects a review waiting for a
    person. Rejecting requires a reason. A decided review is refused (:class:`Conflict`), so
    approving twice changes nothing. The timing platform is told either way; an approval also
    queues the police push."""
    user = access.require(actor, access.Action.REVIEW_STAGES)
    reason = reason.strip()
    if not approve and not reason:
        raise FieldError("reason", reason, "驳回须说明原因 (a reason is required to reject)")
    with transaction.atomic():
        row = _locked(review_id, user)
        if row.status not in OPEN_STATUSES:
            raise Conflict(
                f"stage review {review_id}: 已审核，状态为{row.get_status_display()} "
                f"(already decided: {row.status})",
                field="id",
                value=review_id,
            )
        before = trail.snapshot(row)
        now = clock.now()
        row.status = ReviewStatus.APPROVED if approve else ReviewStatus.REJECTED
        row.reviewer, row.reason, row.decided_at = user, reason, now
        row.save()
        entry = trail.record(
            actor=actor,
            action="stage.review",
            obj=row,
            before=before,
            after=trail.snapshot(row),
            reason=reason,
        )
        if approve:
            assert user.region is not None
            announce_approval(
                row,
                key=f"reviewmsg:{entry.pk}",
                auditunit=user.region.name,
                auditor=user.get_username(),
                at=now,
            )
        else:
            notify_platform(row, key=f"reviewmsg:{entry.pk}")
        return row


def revoke(*, actor: Actor, review_id: int, reason: str) -> StageReview:
    """Revoke an approved review (fraud found later): the police platform is told to withdraw
    the hours, so the subject can no longer be booked, and the timing platform is told."""
    user = access.require(actor, access.Action.REVIEW_STAGES)
    reason = reason.strip()
    if not reason:
        raise FieldError("reason", reason, "撤销须说明原因 (a reason is required to revoke)")
    with transaction.atomic():
        row = _locked(review_id, user)
        if row.status not in APPROVED_STATUSES:
            raise Conflict(
                f"stage review {review_id}: 未通过审核，无法撤销 (not approved: {row.status})",
                field="id",
                value=review_id,
            )
        before = trail.snapshot(row)
        now = clock.now()
        row.status = ReviewStatus.REVOKED
        row.reviewer, row.reason, row.decided_at = user, reason, now
        row.save()
        entry = trail.record(
            actor=actor,
            action="stage.revoke",
            obj=row,
            before=before,
            after=trail.snapshot(row),
            reason=reason,
        )
        notify_platform(row, key=f"reviewmsg:{entry.pk}")
        student = row.student
        message = enqueue_message(
            police.hours_withdrawal(
                idcard=student.idcard, part=row.part, stageid=str(row.pk), reason=reason, at=now
            ),
            destination=Destination.POLICE,
        )
        record_submission(row, action=PoliceAction.WITHDRAW, key=message.idempotency_key)
        return row
