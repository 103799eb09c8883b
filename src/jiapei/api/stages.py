"""Stage-review endpoints: the timing platform's ``stagetrainningtimereview/get`` (signed, at the
site root) and the regulators' review console under ``/api/regulator/``."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router

from jiapei.api.auth import SignedPlatform, user_auth
from jiapei.api.common import ENVELOPE, REGULATOR, Page, paged, platform_of, regulator_of
from jiapei.api.envelope import ok
from jiapei.api.regulator import ReviewIn, RevokeIn
from jiapei.api.tp_schemas import WireSchema
from jiapei.core.errors import FieldError, NotFound
from jiapei.registry import queries as registry_queries
from jiapei.registry.models import Student
from jiapei.stages import queries, services
from jiapei.stages.models import StageReview

tp_router = Router(auth=SignedPlatform(), tags=["计时平台接口 / timing-platform interface"])
regulator_router = Router(auth=user_auth, tags=["监管端 / regulators"])


class StageKeyIn(WireSchema):
    stunum: str
    subject: str


@tp_router.post(
    "stagetrainningtimereview/get",
    response=ENVELOPE,
    summary="阶段培训记录审核结果 (stage record review result)",
    description="`data.flag` is 1 when the part is approved, else 0 with `status` "
    "(pending_check, pending_manual, rejected, revoked) and `reason`; `checks` lists "
    "each check as {check, ok, detail}.",
)
def stage_review_get(request: HttpRequest, payload: StageKeyIn) -> dict[str, Any]:
    platform, _ = platform_of(request)
    if payload.subject not in ("1", "2", "3", "4"):
        raise FieldError("subject", payload.subject, "应为 1-4 (part 1 to 4)")
    student = Student.objects.filter(stunum=payload.stunum, platform=platform).first()
    if student is None:
        raise NotFound(
            f"stunum={payload.stunum!r}: 学员未在本平台备案 (student not filed by this platform)",
            field="stunum",
            value=payload.stunum,
        )
    reply = queries.platform_reply(student, int(payload.subject))
    if reply is None:
        raise NotFound(
            f"subject={payload.subject!r}: 无阶段培训记录 (no stage record to review)",
            field="subject",
            value=payload.subject,
        )
    return ok(reply)


class BackfillIn(WireSchema):
    """The three-party form's figures; validated field by field in the service so that every
    problem (each missing confirmation included) is reported at once."""

    inscode: str | None = None
    stunum: str | None = None
    subject: str | None = None
    vehicletime: str | None = None
    classtime: str | None = None
    simulatortime: str | None = None
    networktime: str | None = None
    mileage: str | None = None
    fileid: str | None = None
    studentsign: str | None = None
    coachnum: str | None = None
    coachsign: str | None = None
    schoolseal: str | None = None


@tp_router.post(
    "legacybackfill",
    response=ENVELOPE,
    summary="存量学员补录学时 (backfill a legacy student's hours on a three-party form)",
    description="Only for students enrolled before the cut-over. `fileid` is the scanned "
    "三方确认培训学时补录单 (uploaded as `epdfimg` or an image); `studentsign`, `coachsign` "
    "and `schoolseal` are the times (yyyyMMddHHmmss) of the three confirmations, all required. "
    "Submitting again before the review updates the backfill; after it, 409.",
)
def legacybackfill(request: HttpRequest, payload: BackfillIn) -> dict[str, Any]:
    platform, actor = platform_of(request)
    data = payload.model_dump(exclude_none=True)
    row, created = services.submit_backfill(actor=actor, platform=platform, data=data)
    return ok({"id": row.pk, "stunum": row.student.stunum, "subject": str(row.part),
               "status": row.status, "created": created})  # fmt: skip


StatusName = Literal[
    "pending_check", "auto_approved", "pending_manual", "approved", "rejected", "revoked"
]


class StageFilter(Page):
    status: StatusName | None = None
    stunum: str | None = None
    part: int | None = None


@regulator_router.get(
    "stages", response=REGULATOR, summary="阶段培训记录审核 (stage reviews in scope)"
)
def stages(request: HttpRequest, filters: Query[StageFilter]) -> dict[str, Any]:
    user, _ = regulator_of(request)
    qs = queries.reviews_for(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.stunum:
        qs = qs.filter(student__stunum=filters.stunum)
    if filters.part:
        qs = qs.filter(part=filters.part)
    return paged(qs, filters, queries.review_wire)


def _review(request: HttpRequest, review_id: int) -> StageReview:
    user, _ = regulator_of(request)
    row = queries.reviews_for(user).filter(pk=review_id).first()
    if row is None:
        raise NotFound(
            f"stage review {review_id}: 不存在 (no such review)", field="id", value=review_id
        )
    return row


@regulator_router.get(
    "stages/{review_id}", response=REGULATOR, summary="阶段培训记录审核详情 (one stage review)"
)
def stage(request: HttpRequest, review_id: int) -> dict[str, Any]:
    return ok(queries.review_wire(_review(request, review_id)))


@regulator_router.post(
    "stages/{review_id}/review",
    response=REGULATOR,
    summary="审核阶段培训记录 (approve or reject; reject needs a reason)",
)
def review_stage(request: HttpRequest, review_id: int, payload: ReviewIn) -> dict[str, Any]:
    _, actor = regulator_of(request)
    services.review(
        actor=actor,
        review_id=review_id,
        approve=payload.decision == "approve",
        reason=payload.reason,
    )
    return ok(queries.review_wire(_review(request, review_id)))


@regulator_router.post(
    "stages/{review_id}/revoke",
    response=REGULATOR,
    summary="撤销阶段审核 (revoke an approval; withdraws the hours)",
)
def revoke_stage(request: HttpRequest, review_id: int, payload: RevokeIn) -> dict[str, Any]:
    _, actor = regulator_of(request)
    services.revoke(actor=actor, review_id=review_id, reason=payload.reason)
    return ok(queries.review_wire(_review(request, review_id)))


class BackfillFilter(Page):
    status: Literal["submitted", "approved", "rejected"] | None = None


@regulator_router.get(
    "backfills", response=REGULATOR, summary="存量学员补录学时 (legacy backfills in scope)"
)
def backfills(request: HttpRequest, filters: Query[BackfillFilter]) -> dict[str, Any]:
    user, _ = regulator_of(request)
    qs = queries.backfills_for(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return paged(qs, filters, queries.backfill_wire)


@regulator_router.post(
    "backfills/{backfill_id}/review",
    response=REGULATOR,
    summary="审核补录学时 (approve: the part is approved and pushed; reject needs a reason)",
)
def review_backfill(request: HttpRequest, backfill_id: int, payload: ReviewIn) -> dict[str, Any]:
    user, actor = regulator_of(request)
    services.review_backfill(
        actor=actor,
        backfill_id=backfill_id,
        approve=payload.decision == "approve",
        reason=payload.reason,
    )
    row = queries.backfills_for(user).get(pk=backfill_id)
    return ok(queries.backfill_wire(row))


@regulator_router.get(
    "students/{stunum}/police",
    response=REGULATOR,
    summary="推送公安平台状态 (per-subject police submissions)",
)
def student_police(request: HttpRequest, stunum: str) -> dict[str, Any]:
    user, _ = regulator_of(request)
    student = registry_queries.students_for(user).filter(stunum=stunum).first()
    if student is None:
        raise NotFound(
            f"stunum={stunum!r}: 学员不存在 (no such student)", field="stunum", value=stunum
        )
    return ok({"stunum": stunum, "subjects": queries.police_status(student)})
