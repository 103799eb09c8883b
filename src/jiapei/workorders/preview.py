"""What a "voided" decision on a work order would do, shown before the regulator confirms it.

The preview does not re-implement the decision: it runs the decision's own code
(:func:`jiapei.workorders.services.void_logs` — voiding, the re-audit of the students' days, the
revocation of stage reviews and the police withdrawals queued in the outbox) inside a savepoint
that is always rolled back, and reads what changed before rolling back. So the preview and the
effect cannot drift apart: a change to how a decision works changes its preview with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max

from jiapei.accounts import access
from jiapei.audit.models import PartResult
from jiapei.core.actors import Actor
from jiapei.core.errors import Conflict
from jiapei.outbox.models import Destination, OutboxMessage
from jiapei.stages.models import StageReview
from jiapei.workorders import services
from jiapei.workorders.models import OrderState

WITHDRAW_PATH = "/hours/withdraw"
PUSH_PATH = "/hours"


@dataclass(frozen=True)
class VoidedLog:
    pk: int
    rnum: str
    student_id: int
    name: str
    stunum: str
    part: int
    starttime: datetime
    endtime: datetime
    minutes: int  # the minutes the audit credits the log today, which become void


@dataclass(frozen=True)
class PartChange:
    student_id: int
    name: str
    stunum: str
    part: int
    required: int
    before: int
    after: int
    complete_before: bool
    complete_after: bool

    @property
    def falls_below(self) -> bool:
        """The part met the syllabus and no longer will."""
        return self.complete_before and not self.complete_after


@dataclass(frozen=True)
class Revocation:
    review: int
    student_id: int
    name: str
    stunum: str
    part: int
    status: str  # the review's status now (an approved one)
    idcard: str
    subject: str  # the police platform's subject the withdrawal names
    withdrawal: bool  # a withdrawal would be queued for the police platform
    pushed_at: datetime | None  # when the push now withdrawn was queued, if it was
    push_status: str  # that push's delivery status ("" if none was queued)


@dataclass(frozen=True)
class VoidPreview:
    logs: list[VoidedLog] = field(default_factory=list)
    parts: list[PartChange] = field(default_factory=list)
    revoked: list[Revocation] = field(default_factory=list)

    @property
    def minutes(self) -> int:
        return sum(log.minutes for log in self.logs)

    @property
    def falling(self) -> list[PartChange]:
        return [p for p in self.parts if p.falls_below]


def _parts(student_ids: set[int]) -> dict[tuple[int, int], PartResult]:
    rows = PartResult.objects.filter(student_id__in=student_ids)
    return {(r.student_id, r.part): r for r in rows}


def _total(minutes: dict[str, Any]) -> int:
    return sum(int(v) for v in minutes.values())


def void_preview(
    *, actor: Actor, order_id: int, rnums: list[str] | None = None, reason: str = ""
) -> VoidPreview:
    """What :func:`jiapei.workorders.services.resolve` with the decision "voided" and these
    ``rnums`` (all the order's logs when none) would do now: the logs voided with the minutes
    they lose, each affected (student, part) before and after, and the approved stage reviews
    revoked with the police push each withdrawal takes back. Nothing is kept.

    Raises what the decision would raise before doing anything: :class:`NotFound` /
    :class:`Forbidden` for an order the caller may not act on, :class:`Conflict` for a resolved
    one, :class:`FieldError` on ``rnums`` for a log that is not the order's.
    """
    user = access.require(actor, access.Action.HANDLE_WORK_ORDERS)
    with transaction.atomic():
        order = services._locked(order_id, user)
        if order.state == OrderState.RESOLVED:
            raise Conflict(
                f"work order {order.number}: 已处置，无法预览 (already resolved)",
                field="state",
                value=order.state,
            )
        logs = services.chosen_logs(order, rnums)
        students = {log.student_id: log.student for log in logs}
        minutes = {log.pk: log.credited_minutes for log in logs}
        before = _parts(set(students))
        last_message = OutboxMessage.objects.aggregate(last=Max("pk"))["last"] or 0
        savepoint = transaction.savepoint()
        try:
            done = services.void_logs(
                actor=actor, order=order, logs=logs, reason=reason.strip() or "预览"
            )
            after = _parts(set(students))
            withdrawals = {
                str(m.payload.get("stageid")): m
                for m in OutboxMessage.objects.filter(
                    pk__gt=last_message, destination=Destination.POLICE, path=WITHDRAW_PATH
                )
            }
        finally:
            transaction.savepoint_rollback(savepoint)
        voided = set(done["voided"])
        reviews = {
            r.pk: r
            for r in StageReview.objects.filter(pk__in=[x["review"] for x in done["revoked"]])
        }
        pushes = {
            str(m.payload.get("stageid")): m
            for m in OutboxMessage.objects.filter(
                destination=Destination.POLICE,
                path=PUSH_PATH,
                payload__stageid__in=[str(pk) for pk in reviews],
            ).order_by("pk")
        }
    return VoidPreview(
        logs=[
            VoidedLog(
                pk=log.pk,
                rnum=log.rnum,
                student_id=log.student_id,
                name=log.student.name,
                stunum=log.student.stunum,
                part=log.part,
                starttime=log.starttime,
                endtime=log.endtime,
                minutes=minutes[log.pk],
            )
            for log in logs
            if log.rnum in voided
        ],
        parts=[
            PartChange(
                student_id=sid,
                name=students[sid].name,
                stunum=students[sid].stunum,
                part=part,
                required=_total(result.required),
                before=_total(result.credited),
                after=_total(after[(sid, part)].credited) if (sid, part) in after else 0,
                complete_before=result.complete,
                complete_after=(sid, part) in after and after[(sid, part)].complete,
            )
            for (sid, part), result in sorted(before.items())
            if any(log.student_id == sid and log.part == part for log in logs)
        ],
        revoked=[_revocation(x, reviews, students, withdrawals, pushes) for x in done["revoked"]],
    )


def _revocation(
    done: dict[str, Any],
    reviews: dict[int, StageReview],
    students: dict[int, Any],
    withdrawals: dict[str, OutboxMessage],
    pushes: dict[str, OutboxMessage],
) -> Revocation:
    review = reviews[done["review"]]
    student = students[review.student_id]
    withdrawal = withdrawals.get(str(review.pk))
    push = pushes.get(str(review.pk))
    return Revocation(
        review=review.pk,
        student_id=student.pk,
        name=student.name,
        stunum=student.stunum,
        part=done["part"],
        status=review.status,
        idcard=student.idcard,
        subject=str(withdrawal.payload.get("subject", "")) if withdrawal else "",
        withdrawal=withdrawal is not None,
        pushed_at=push.created_at if push else None,
        push_status=push.status if push else "",
    )
