"""What a stage-review decision sends out: ``/reviewmsg`` (reviewtype 2) to the timing platform
and the hours push to the police platform, plus the record of what the police were last told.

Every approval goes through :func:`announce_approval`, whichever way it was reached (automatic,
a regulator's review, an approved legacy backfill), so the police message has one shape.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Sum
from django.utils import timezone

from jiapei.integrations.national import messages as national
from jiapei.integrations.police import messages as police
from jiapei.integrations.police.wire import SUBJECT_FOR_PART
from jiapei.outbox.models import Destination
from jiapei.outbox.services import enqueue_message
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
    message = national.stage_hours(
        review_id=row.pk,
        inscode=row.student.institution.inscode,
        stunum=row.student.stunum,
        part=row.part,
        minutes=minutes,
        mileage=float(row.mileage),
        examresult=row.examresult or "",
        at=at,
        transition=row.transition,
    )
    enqueue_message(message, destination=Destination.NATIONAL)


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
    message = police.hours_push(
        idcard=student.idcard,
        cardtype=student.cardtype,
        name=student.name,
        stunum=student.stunum,
        traintype=student.traintype,
        part=row.part,
        minutes=minutes,
        mileage=float(row.mileage),
        inscode=student.institution.inscode,
        insname=student.institution.name,
        auditunit=auditunit,
        auditor=auditor,
        at=at,
        stageid=str(row.pk),
        transition=row.transition,
        coach=coach,
    )
    outbox = enqueue_message(message, destination=Destination.POLICE)
    record_submission(row, action=PoliceAction.PUSH, key=outbox.idempotency_key)


def record_submission(row: StageReview, *, action: str, key: str) -> None:
    PoliceSubmission.objects.update_or_create(
        student=row.student,
        subject=SUBJECT_FOR_PART[row.part],
        defaults={"review": row, "action": action, "message_key": key},
    )
