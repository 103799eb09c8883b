"""Reads of stage reviews and police submissions, for regulators, timing platforms and (later)
the student portal.

The police delivery state is derived, not stored: a :class:`PoliceSubmission` names the outbox
message that carries our last push or withdrawal, and :func:`delivery_status` reads that
message's state. The relay marks a police message delivered only when the police platform
acknowledged it (``police_transport`` raises otherwise), so the outbox already holds the truth;
copying it into a second table would need a hook in the generic relay and could go stale.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from jiapei.accounts import access
from jiapei.accounts.models import User
from jiapei.core import clock
from jiapei.integrations.police.wire import SUBJECT_FOR_PART, SUBJECT_NAMES_ZH
from jiapei.outbox import queries as outbox
from jiapei.outbox.models import MessageStatus, OutboxMessage
from jiapei.registry.models import Student
from jiapei.stages.models import (
    APPROVED_STATUSES,
    LegacyBackfill,
    PoliceAction,
    PoliceStatus,
    PoliceSubmission,
    ReviewStatus,
    StageReview,
)
from jiapei.training.models import StageRecord, TeachingLog


def reviews_for(user: User) -> QuerySet[StageReview]:
    """Reviews of students whose school lies in the user's region (raises for non-regulators)."""
    return access.scope(
        user,
        StageReview.objects.select_related("student__institution", "reviewer"),
        region_field="student__institution__district__code",
    )


def _time(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def review_wire(row: StageReview) -> dict[str, Any]:
    return {
        "id": row.pk,
        "stunum": row.student.stunum,
        "name": row.student.name,
        "inscode": row.student.institution.inscode,
        "part": row.part,
        "subject": SUBJECT_FOR_PART[row.part],
        "status": row.status,
        "source": row.source,
        "required": row.required,
        "credited": row.credited,
        "mileage_required": row.mileage_required,
        "mileage": row.mileage,
        "rnums": row.rnums,
        "checks": row.checks,
        "examresult": row.examresult,
        "pdfid": str(row.pdf_id) if row.pdf_id else None,
        "manual_required": row.manual_required,
        "transition": row.transition,
        "reviewer": row.reviewer.get_username() if row.reviewer else None,
        "reason": row.reason,
        "decided_at": _time(row.decided_at),
        "updated_at": _time(row.updated_at),
    }


def platform_reply(student: Student, part: int) -> dict[str, Any] | None:
    """``stagetrainningtimereview/get``: ``flag`` 1 when approved, else 0 with the status and the
    reason (the regulator's, or the failed checks). ``None`` when nothing was submitted."""
    row = StageReview.objects.filter(student=student, part=part).first()
    if row is None:
        if not StageRecord.objects.filter(student=student, subject=part).exists():
            return None
        # Submitted, but the worker has not assembled it yet.
        return {
            "stunum": student.stunum,
            "subject": str(part),
            "flag": 0,
            "status": ReviewStatus.PENDING_CHECK,
            "reason": "审核中 (awaiting checks)",
            "checks": [],
        }
    approved = row.status in APPROVED_STATUSES
    reason = row.reason
    if row.status == ReviewStatus.PENDING_MANUAL:
        failed = [f"{c['check']}: {c['detail']}" for c in row.checks if not c["ok"]]
        reason = "; ".join(failed) or "人工审核中 (drawn for manual review)"
    return {
        "stunum": student.stunum,
        "subject": str(part),
        "flag": 1 if approved else 0,
        "status": row.status,
        "reason": reason,
        "checks": row.checks,
    }


def delivery_status(action: str, message: OutboxMessage | None, now: datetime | None = None) -> str:
    """The state a person sees, from our last action and its outbox message.

    A withdrawal is ``withdrawn`` from the moment it is decided (the booking gate is closed on
    our side at once). A push is ``pending`` until the relay first tries it, ``sent`` while in
    flight or retrying after an error, ``acknowledged`` once the police platform took it, and
    ``failed`` when the relay gave up (operators must act).
    """
    if action == PoliceAction.WITHDRAW:
        return PoliceStatus.WITHDRAWN
    if message is None:
        return PoliceStatus.PENDING
    if message.status == MessageStatus.DELIVERED:
        return PoliceStatus.ACKNOWLEDGED
    if message.status == MessageStatus.DEAD:
        return PoliceStatus.FAILED
    now = now or clock.now()
    in_flight = message.locked_until is not None and message.locked_until > now
    return PoliceStatus.SENT if in_flight or message.attempts else PoliceStatus.PENDING


def police_status(student: Student) -> list[dict[str, Any]]:
    """Per exam subject: what we last told the police platform and whether it arrived."""
    rows = list(PoliceSubmission.objects.filter(student=student).order_by("subject"))
    messages = OutboxMessage.objects.in_bulk(
        [r.message_key for r in rows], field_name="idempotency_key"
    )
    now = clock.now()
    result = []
    for row in rows:
        message = messages.get(row.message_key)
        result.append(
            {
                "subject": row.subject,
                "subject_name": SUBJECT_NAMES_ZH.get(row.subject, row.subject),
                "stage_review": row.review_id,
                "action": row.action,
                "status": delivery_status(row.action, message, now),
                "delivery": message.status if message else None,
                "attempts": message.attempts if message else 0,
                "last_error": message.last_error if message else "",
                "message_key": row.message_key,
                "updated_at": _time(row.updated_at),
            }
        )
    return result


def backfills_for(user: User) -> QuerySet[LegacyBackfill]:
    """Backfills of students whose school lies in the user's region (raises for non-regulators)."""
    return access.scope(
        user,
        LegacyBackfill.objects.select_related("student__institution", "reviewer"),
        region_field="student__institution__district__code",
    )


def backfill_wire(row: LegacyBackfill) -> dict[str, Any]:
    return {
        "id": row.pk,
        "stunum": row.student.stunum,
        "name": row.student.name,
        "inscode": row.student.institution.inscode,
        "part": row.part,
        "minutes": row.minutes,
        "mileage": row.mileage,
        "fileid": str(row.scan_id),
        "student_confirmed_at": _time(row.student_confirmed_at),
        "coachnum": row.coachnum,
        "coach_confirmed_at": _time(row.coach_confirmed_at),
        "school_sealed_at": _time(row.school_sealed_at),
        "status": row.status,
        "reviewer": row.reviewer.get_username() if row.reviewer else None,
        "reason": row.reason,
        "decided_at": _time(row.decided_at),
    }


# The console's stage-review queue and its evidence.


def review_queue_for(user: User) -> QuerySet[StageReview]:
    """Reviews in the user's region, newest first (in ``id`` order, which the ``(status, id)``
    index serves: a province's hundreds of thousands of reviews are never sorted whole)."""
    return reviews_for(user).select_related("student__institution__district").order_by("-id")


def in_queue_order(qs: QuerySet[StageReview], status: str) -> QuerySet[StageReview]:
    """The reviews of ``qs`` in ``status``; those waiting for a regulator oldest first (a queue
    is served in order), the decided ones newest first."""
    return qs.filter(status=status).order_by(
        "id" if status == ReviewStatus.PENDING_MANUAL else "-id"
    )


def review_logs(row: StageReview) -> QuerySet[TeachingLog]:
    """The teaching logs the review references that are the student's own (a listed log of
    another student is only named by the failed check, never shown)."""
    return (
        TeachingLog.objects.filter(student_id=row.student_id, rnum__in=row.rnums)
        .select_related("coach")
        .order_by("starttime", "rnum")
    )


def decision_messages(row: StageReview, entry_ids: list[int]) -> list[OutboxMessage]:
    """What the review's decisions queued in the outbox, oldest first: the ``/reviewmsg`` of
    each decision (keyed by its audit-log entry), the police push or withdrawal and the national
    platform's copy (keyed by the review)."""
    return outbox.matching(
        keys=[f"reviewmsg:{pk}" for pk in entry_ids],
        prefixes=[
            f"police:hours:{row.pk}:",
            f"police:withdraw:{row.pk}:",
            f"national:stage:{row.pk}:",
        ],
    )
