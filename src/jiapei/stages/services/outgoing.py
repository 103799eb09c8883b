"""What a stage-review decision sends out: ``/reviewmsg`` (reviewtype 2) to the timing platform
and the hours push to the police platform, plus the record of what the police were last told.

Every approval goes through :func:`announce_approval`, whichever way it was reached (automatic,
a regulator's review, an approved legacy backfill), so the police message has one shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from jiapei.integrations.national.forward import enqueue_forward
from jiapei.integrations.police import enqueue_push
from jiapei.integrations.police.wire import SUBJECT_FOR_PART
from jiapei.registry.services.callbacks import notify_review
from jiapei.stages import checks as c
from jiapei.stages.models import PoliceAction, PoliceSubmission, StageReview
from jiapei.training.models import TeachingLog


def announce_approval(
    row: StageReview,
    *,
    key: str,
    auditunit: str,
    auditor: str,
    at: datetime,
    coach: tuple[str, str] | None = None,
) -> None:
    """Tell the timing platform (``/reviewmsg`` under ``key``) and queue the police push of an
    approved review. Call inside the transaction that approved it. ``coach`` (number, name)
    names the coach when there are no teaching logs to find one in (a backfill)."""
    notify_platform(row, key=key)
    push(row, auditunit=auditunit, auditor=auditor, at=at, coach=coach)
    forward_national(row, at=at)


def forward_national(row: StageReview, *, at: datetime) -> None:
    """Approved hours also go to the national platform (全国驾培平台), in the shape of the
    stage record the timing platforms send (standards.md §2.2 stagetrainningtime)."""
    minutes = {name: int(row.credited.get(mode, 0)) for name, mode in c.MODE_FIELDS.items()}
    enqueue_forward(
        resource="stagetrainningtime",
        payload={
            "inscode": row.student.institution.inscode,
            "stunum": row.student.stunum,
            "subject": row.part,
            "totaltime": sum(minutes.values()),
            **minutes,
            "duration": sum(minutes.values()),
            "mileage": round(float(row.mileage), 3),
            "examresult": row.examresult or "",
            "approvedat": stamp(at),
            "transition": row.transition,
        },
        key=f"national:stage:{row.pk}:{stamp(at)}",
    )


def stamp(at: datetime) -> str:
    return timezone.localtime(at).isoformat()


def notify_platform(row: StageReview, *, key: str) -> None:
    """``/reviewmsg`` reviewtype 2 to the platform that submitted the stage record, or else the
    one that filed the student; it then fetches the result with stagetrainningtimereview/get."""
    platform = row.stage_record.platform if row.stage_record else row.student.platform
    notify_review(
        platform=platform,
        reviewtype="2",
        data={"stunum": row.student.stunum, "subject": str(row.part)},
        key=key,
    )


def push(
    row: StageReview,
    *,
    auditunit: str,
    auditor: str,
    at: datetime,
    coach: tuple[str, str] | None = None,
) -> None:
    """Queue the approved hours (our audit's figures) for the police platform."""
    student = row.student
    minutes = {name: int(row.credited.get(mode, 0)) for name, mode in c.MODE_FIELDS.items()}
    message: dict[str, Any] = {
        "idcard": student.idcard,
        "cardtype": student.cardtype,
        "name": student.name,
        "stunum": student.stunum,
        "traintype": student.traintype,
        "subject": SUBJECT_FOR_PART[row.part],
        "part": row.part,
        "totaltime": sum(minutes.values()),
        **minutes,
        "mileage": round(float(row.mileage), 3),
        "inscode": student.institution.inscode,
        "insname": student.institution.name,
        "auditunit": auditunit,
        "auditor": auditor,
        "auditdate": timezone.localtime(at).date().isoformat(),
        "updatetime": stamp(at),
        "stageid": str(row.pk),
        "transition": row.transition,
    }
    if coach is None:
        # The coach who taught most of the credited minutes; theory parts may have none.
        top = (
            TeachingLog.objects.filter(rnum__in=row.rnums, coach__isnull=False)
            .values("coach__number", "coach__name")
            .annotate(minutes=Sum("credited_minutes"))
            .order_by("-minutes", "coach__number")
            .first()
        )
        if top is not None:
            coach = (top["coach__number"], top["coach__name"])
    if coach is not None:
        message["coachnum"], message["coachname"] = coach
    outbox = enqueue_push(message)
    record_submission(row, action=PoliceAction.PUSH, key=outbox.idempotency_key)


def record_submission(row: StageReview, *, action: str, key: str) -> None:
    PoliceSubmission.objects.update_or_create(
        student=row.student,
        subject=SUBJECT_FOR_PART[row.part],
        defaults={"review": row, "action": action, "message_key": key},
    )
