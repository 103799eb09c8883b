"""存量学员补录学时: a legacy student's hours, backfilled by the school (seed 001 一(三)3).

A student enrolled before the cut-over (``JIAPEI_STAGE_TRANSITION_BEFORE``) may have trained
before any timing terminal recorded it. The school then files the hours on a "三方确认培训学时
补录单" — signed by the student and the coach, sealed by the school — through its timing
platform (``POST /legacybackfill``), with a scan of the form. A regulator of the school's region
approves or rejects it; an approval becomes the part's :class:`StageReview` (approved,
``transition``, source ``backfill``) and goes out through the same approval path as every
other review (:func:`jiapei.stages.services.outgoing.announce_approval`).

Life of a backfill::

    (new) ──submit──▶ submitted ──submit again──▶ submitted (updated)
                          └──review──▶ approved | rejected     (final; resubmission refused)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from jiapei.accounts import access
from jiapei.accounts.models import User
from jiapei.core import clock, columns
from jiapei.core import services as trail
from jiapei.core.actors import Actor
from jiapei.core.errors import Conflict, FieldError, NotFound
from jiapei.core.wire import Fields, decimal, integer, one_of, row_id, unified_number
from jiapei.registry.models import Personnel, PersonnelRole, Student, TimingPlatform, UploadedFile
from jiapei.registry.services.uploads import IMAGE_TYPES
from jiapei.stages.models import (
    APPROVED_STATUSES,
    BackfillStatus,
    LegacyBackfill,
    ReviewSource,
    ReviewStatus,
    StageReview,
)
from jiapei.stages.queries import backfills_for
from jiapei.stages.services.outgoing import announce_approval, stamp
from jiapei.stages.services.reviews import is_transition
from jiapei.training.queries import credited_rnums
from jiapei.training.services.logs import platform_student
from jiapei.training.wire import stamp as wire_stamp

# Wire field -> model field, in course-mode order ("1".."4").
MINUTE_FIELDS = {
    "vehicletime": "practical_minutes",
    "classtime": "classroom_minutes",
    "simulatortime": "simulator_minutes",
    "networktime": "remote_minutes",
}
# Wire field -> model field of each of the three confirmations on the form.
CONFIRMATIONS = {
    "studentsign": ("student_confirmed_at", "学员签字"),
    "coachsign": ("coach_confirmed_at", "教练员签字"),
    "schoolseal": ("school_sealed_at", "驾校盖章"),
}
# A signature dated later than this after "now" is a typo or a forged date, not a clock skew.
_CLOCK_SLACK = timedelta(minutes=5)


def _scan(platform: TimingPlatform) -> Callable[[str, str], UploadedFile]:
    """The scanned form: a PDF (``epdfimg``) or a photo, uploaded by this platform."""

    def parse(field: str, value: str) -> UploadedFile:
        row = None
        if (pk := row_id(value)) is not None:
            row = UploadedFile.objects.filter(pk=pk, platform=platform).first()
        if row is None:
            raise FieldError(field, value, "文件编号不存在 (unknown file id; upload it first)")
        if row.kind != "epdfimg" and row.kind not in IMAGE_TYPES:
            raise FieldError(
                field, value, f"文件类型为 {row.kind}，应为 PDF 或图片 (a PDF or an image)"
            )
        return row

    return parse


def _minutes(column: str) -> Any:
    return columns.reader(LegacyBackfill._meta.get_field(column), integer)


def _confirmed(field: str, value: str) -> Any:
    at = wire_stamp(field, value)
    if at > clock.now() + _CLOCK_SLACK:
        raise FieldError(field, value, "确认时间晚于当前时间 (confirmed in the future)")
    return at


def submit_backfill(
    *, actor: Actor, platform: TimingPlatform, data: Mapping[str, Any]
) -> tuple[LegacyBackfill, bool]:
    """File or update the backfill of one student's part. Every problem with the fields is
    reported at once and nothing is stored unless all are fine. Refused (:class:`Conflict`)
    once the backfill was decided or the part is already approved."""
    f = Fields(data)
    inscode = f.get("inscode", unified_number)
    student = platform_student(platform, f)
    subject = f.get("subject", one_of("1", "2", "3", "4"))
    minutes = {
        field: f.get(field, _minutes(column), required=False, default=0)
        for field, column in MINUTE_FIELDS.items()
    }
    mileage = f.get("mileage", decimal, required=False, default="0")
    scan = f.get("fileid", _scan(platform))
    coachnum = f.get("coachnum", unified_number)
    confirmed = {}
    for field, (_attr, what) in CONFIRMATIONS.items():
        if data.get(field) in (None, ""):
            # Named one by one: a form lacking any of the three is not a three-party form.
            f.add(FieldError(field, data.get(field), f"缺少{what} (confirmation missing)"))
        else:
            confirmed[field] = f.get(field, _confirmed)
    coach = _cross_check(f, student=student, inscode=inscode, minutes=minutes, coachnum=coachnum)
    f.check()
    assert student is not None and coach is not None and subject is not None
    part = int(subject)
    values: dict[str, Any] = {
        **{MINUTE_FIELDS[k]: v for k, v in minutes.items()},
        "mileage": float(mileage),
        "scan": scan,
        "coach": coach,
        "coachnum": coach.number,
        "platform": platform,
        **{CONFIRMATIONS[k][0]: v for k, v in confirmed.items()},
    }
    with transaction.atomic():
        row = LegacyBackfill.objects.select_for_update().filter(student=student, part=part).first()
        if row is not None and row.status != BackfillStatus.SUBMITTED:
            raise Conflict(
                f"stunum={student.stunum!r} subject={part}: 补录单已审核 "
                f"(already decided: {row.status})",
                field="subject",
                value=subject,
            )
        review = StageReview.objects.filter(student=student, part=part).first()
        if review is not None and review.status in (*APPROVED_STATUSES, ReviewStatus.REVOKED):
            raise Conflict(
                f"stunum={student.stunum!r} subject={part}: 该部分已审核 "
                f"(the part's stage review is {review.status})",
                field="subject",
                value=subject,
            )
        created = row is None
        before = None if created else trail.snapshot(row)
        if row is None:
            row = LegacyBackfill(student=student, part=part, **values)
        else:
            for key, value in values.items():
                setattr(row, key, value)
        row.save()
        trail.record(
            actor=actor, action="legacybackfill", obj=row, before=before, after=trail.snapshot(row)
        )
        return row, created


def _cross_check(
    f: Fields,
    *,
    student: Student | None,
    inscode: str | None,
    minutes: dict[str, int],
    coachnum: str | None,
) -> Personnel | None:
    """Add to ``f`` what is wrong across the fields (school, legacy student, total, coach) and
    return the backfill's coach, filed and active at the student's school, if there is one."""
    if student is not None:
        if inscode is not None and inscode != student.institution.inscode:
            f.add(FieldError("inscode", inscode, "学员不属于该机构 (student of another school)"))
        if not is_transition(student):
            f.add(FieldError("stunum", student.stunum, _not_legacy(student)))
    if sum(minutes.values()) == 0 and not any(e.field in MINUTE_FIELDS for e in f.errors):
        f.add(FieldError("vehicletime", 0, "补录学时合计为0 (no minutes to backfill)"))
    coach = None
    if coachnum is not None and student is not None:
        coach = Personnel.objects.filter(
            role=PersonnelRole.COACH, number=coachnum, institution=student.institution
        ).first()
        if coach is None or not coach.is_active:
            f.add(
                FieldError(
                    "coachnum", coachnum, "教练员未在该学员所属机构备案 (coach not filed there)"
                )
            )
    return coach


def _not_legacy(student: Any) -> str:
    cutover = settings.JIAPEI_STAGE_TRANSITION_BEFORE
    if not cutover:
        return "未设置存量学员截止日期，不受理补录 (no cut-over configured; no legacy students)"
    return f"报名日期 {student.applydate} 不早于 {cutover}，非存量学员 (not a legacy student)"


def review_backfill(
    *, actor: Actor, backfill_id: int, approve: bool, reason: str = ""
) -> LegacyBackfill:
    """A regulator of the student's school's region approves or rejects a submitted backfill.
    Rejecting requires a reason. Approving makes the part's stage review approved (a transition
    case, source ``backfill``, the backfilled figures) and announces it like any approval."""
    user = access.require(actor, access.Action.REVIEW_STAGES)
    reason = reason.strip()
    if not approve and not reason:
        raise FieldError("reason", reason, "驳回须说明原因 (a reason is required to reject)")
    with transaction.atomic():
        row = backfills_for(user).select_for_update(of=("self",)).filter(pk=backfill_id).first()
        if row is None:
            raise NotFound(
                f"backfill {backfill_id}: 不存在 (no such backfill)", field="id", value=backfill_id
            )
        if row.status != BackfillStatus.SUBMITTED:
            raise Conflict(
                f"backfill {backfill_id}: 已审核 (already decided: {row.status})",
                field="id",
                value=backfill_id,
            )
        before = trail.snapshot(row)
        now = clock.now()
        row.status = BackfillStatus.APPROVED if approve else BackfillStatus.REJECTED
        row.reviewer, row.reason, row.decided_at = user, reason, now
        row.save()
        trail.record(
            actor=actor,
            action="legacybackfill.review",
            obj=row,
            before=before,
            after=trail.snapshot(row),
            reason=reason,
        )
        if approve:
            _approve_part(row, user, now, actor=actor)
        return row


def _approve_part(row: LegacyBackfill, user: User, now: Any, *, actor: Actor) -> StageReview:
    """Create or update the part's stage review as approved from the backfill, and announce it.
    A part already approved (or revoked for fraud) is not overwritten by a backfill."""
    review = (
        StageReview.objects.select_for_update().filter(student=row.student, part=row.part).first()
    )
    if review is not None and review.status in (*APPROVED_STATUSES, ReviewStatus.REVOKED):
        raise Conflict(
            f"backfill {row.pk}: 该部分已审核 (the part's stage review is {review.status})",
            field="id",
            value=row.pk,
        )
    before = trail.snapshot(review)
    if review is None:
        review = StageReview(student=row.student, part=row.part)
    confirmations = ", ".join(
        f"{what} {stamp(getattr(row, attr))}" for attr, what in CONFIRMATIONS.values()
    )
    review.source = ReviewSource.BACKFILL
    review.status = ReviewStatus.APPROVED
    review.transition = True
    review.manual_required = True  # a person decided it
    review.required = {}  # no syllabus minimums for a legacy student (seed 000 §三(四))
    review.credited = {mode: m for mode, m in row.minutes.items() if m}
    review.mileage_required, review.mileage = 0.0, row.mileage
    review.rnums = credited_rnums(row.student, row.part)
    review.checks = [
        {
            "check": "three_party_form",
            "ok": True,
            "detail": f"三方确认培训学时补录单 (three-party form #{row.pk}): {confirmations}",
        }
    ]
    review.pdf = row.scan
    review.reviewer, review.reason, review.decided_at = user, row.reason, now
    review.save()
    entry = trail.record(
        actor=actor,
        action="stage.backfill",
        obj=review,
        before=before,
        after=trail.snapshot(review),
        reason=f"legacy backfill {row.pk}",
    )
    assert user.region is not None
    announce_approval(
        review,
        key=f"reviewmsg:{entry.pk}",
        auditunit=user.region.name,
        auditor=user.get_username(),
        at=now,
        coach=(row.coach.number, row.coach.name),
    )
    return review
