"""Reads of training data that other apps share: which local days a session touches, a
student's session days, the teaching logs that credited a part, and the region-scoped sessions,
minutes, photos and videos the console shows."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from jiapei.accounts import access
from jiapei.accounts.models import User
from jiapei.registry.models import FilingStatus, Institution, Student
from jiapei.training.models import (
    Graduation,
    MinuteRecord,
    StageRecord,
    TeachingLog,
    TrainingPhoto,
    VideoRecord,
)

# A minute record's time is the minute's last second; one up to this long after the log's end
# still belongs to the session (the audit's loading uses the same slack).
SLACK = timedelta(seconds=60)


def local_days(start: datetime, end: datetime) -> set[date]:
    """Every local (Asia/Shanghai) day from ``start``'s to ``end``'s, both included: the days
    whose audit a session from ``start`` to ``end`` can change."""
    first, last = timezone.localtime(start).date(), timezone.localtime(end).date()
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


def session_days(student: Student) -> set[date]:
    """The local days on which the student's sessions started."""
    starts = TeachingLog.objects.filter(student=student).values_list("starttime", flat=True)
    return {timezone.localtime(at).date() for at in starts}


def credited_rnums(student: Student, part: int) -> list[str]:
    """The teaching logs of the student's ``part`` that earned credited minutes, in time order."""
    return list(
        TeachingLog.objects.filter(student=student, part=part, credited_minutes__gt=0)
        .order_by("starttime", "rnum")
        .values_list("rnum", flat=True)
    )


# Region-scoped reads for regulators. A session, photo or video belongs to the region of its
# student's (current) school: the same rule as the student's file, so whoever may open the
# file may open everything in it, and nobody else.

STUDENT_REGION = "student__institution__district__code"


def logs_for(user: User) -> QuerySet[TeachingLog]:
    """Teaching logs of students whose school lies in the user's region."""
    return access.scope(
        user,
        TeachingLog.objects.select_related("student__institution", "coach", "car", "device"),
        region_field=STUDENT_REGION,
    )


def photos_for(user: User) -> QuerySet[TrainingPhoto]:
    """Training photos of students whose school lies in the user's region, with their file."""
    return access.scope(
        user, TrainingPhoto.objects.select_related("file"), region_field=STUDENT_REGION
    )


def videos_for(user: User) -> QuerySet[VideoRecord]:
    """Training videos of students whose school lies in the user's region, with their file."""
    return access.scope(
        user, VideoRecord.objects.select_related("file"), region_field=STUDENT_REGION
    )


def minutes_of(log: TeachingLog) -> QuerySet[MinuteRecord]:
    """The minute records of ``log``, in time order: the student's minutes from its start to its
    end (plus the slack), of its terminal session when both name one, and of its course (the
    first four digits of the course code), as the audit assigns them."""
    rows = MinuteRecord.objects.filter(
        student_id=log.student_id,
        at__gte=log.starttime,
        at__lte=log.endtime + SLACK,
        subjcode__startswith=log.subjcode[:4],
    )
    if log.classid:
        rows = rows.filter(Q(classid=log.classid) | Q(classid=""))
    return rows.order_by("at", "pk")


def photos_of(log: TeachingLog) -> QuerySet[TrainingPhoto]:
    """The photos of ``log``: those naming its sequence number, or taken during it."""
    return TrainingPhoto.objects.filter(
        Q(recnum=log.recnum) | Q(ptime__gte=log.starttime - SLACK, ptime__lte=log.endtime + SLACK),
        student_id=log.student_id,
    ).order_by("ptime", "pk")


def videos_of(log: TeachingLog) -> QuerySet[VideoRecord]:
    """The videos of ``log``: those naming its sequence number, or overlapping it."""
    return VideoRecord.objects.filter(
        Q(recnum=log.recnum) | Q(starttime__lt=log.endtime, endtime__gt=log.starttime),
        student_id=log.student_id,
    ).order_by("starttime", "pk")


def student_logs(student: Student) -> QuerySet[TeachingLog]:
    """The student's teaching logs, newest first, with the coach and car they name."""
    return (
        TeachingLog.objects.filter(student=student)
        .select_related("coach", "car")
        .order_by("-starttime", "-pk")
    )


def stage_records_of(student: Student) -> dict[int, StageRecord]:
    """The stage records (阶段培训记录) the timing platform submitted, by syllabus part."""
    return {row.subject: row for row in StageRecord.objects.filter(student=student)}


def graduation_of(student: Student) -> Graduation | None:
    """The student's completion (结业) with its certificate, if the school reported one."""
    return Graduation.objects.filter(student=student).first()


def photos_with_sessions(
    user: User, photo_ids: list[int]
) -> dict[int, tuple[TrainingPhoto, TeachingLog | None]]:
    """The photos among ``photo_ids`` the user may see (others are left out, as if they did not
    exist), each with the teaching log it belongs to (the student's log of its sequence number;
    None if that log was never uploaded), with the log's student, school, car and terminal. Two
    queries whatever the number of photos."""
    photos = list(
        photos_for(user)
        .filter(pk__in=photo_ids)
        .select_related("student__institution")
        .order_by("ptime", "pk")
    )
    logs = {
        (log.student_id, log.recnum): log
        for log in TeachingLog.objects.filter(
            student_id__in={p.student_id for p in photos}, recnum__in={p.recnum for p in photos}
        ).select_related("student__institution", "car", "device", "coach")
    }
    return {p.pk: (p, logs.get((p.student_id, p.recnum))) for p in photos}


def logs_by_rnum(user: User, rnums: list[str]) -> dict[str, TeachingLog]:
    """The teaching logs numbered ``rnums`` that the user may see, by rnum, with their student,
    car and coach (one query): a log of another region is simply absent."""
    rows = logs_for(user).filter(rnum__in=rnums)
    return {log.rnum: log for log in rows}


def car_logs_between(user: User, car_id: int, start: datetime, end: datetime) -> list[TeachingLog]:
    """The car's teaching logs (that the user may see) open at some time in [start, end), in
    time order, with their student."""
    rows = logs_for(user).filter(car_id=car_id, starttime__lt=end, endtime__gt=start)
    return list(rows.order_by("starttime", "rnum"))


def minutes_numbered(recordnums: list[str]) -> dict[str, MinuteRecord]:
    """The minute records numbered ``recordnums`` (missing numbers are absent), by number. The
    caller has already been admitted to what names them (a finding of its region)."""
    rows = MinuteRecord.objects.filter(recordnum__in=recordnums)
    return {row.recordnum: row for row in rows}


def logs_around(user: User, minutes: list[MinuteRecord]) -> list[TeachingLog]:
    """The teaching logs (that the user may see) of the minutes' students open at some time
    between the first and the last minute (one query): the sessions those minutes belong to."""
    if not minutes:
        return []
    first, last = min(m.at for m in minutes), max(m.at for m in minutes)
    students = {m.student_id for m in minutes}
    rows = logs_for(user).filter(
        student_id__in=students, starttime__lte=last, endtime__gte=first - SLACK
    )
    return list(rows.order_by("starttime", "rnum"))


SILENT_LOOKBACK_DAYS = 60  # how far back a silent school's last session is looked up


def silent_schools(user: User, now: datetime, days: int) -> QuerySet[Institution]:
    """Schools of the user's region that stopped uploading: filed (and filed more than ``days``
    days ago), with at least one active student (filed, not graduated), and no teaching log
    starting in the last ``days`` days. Each is annotated with ``last_log``, the start of its
    latest session in the last :data:`SILENT_LOOKBACK_DAYS` days (None: none in that time), and
    ordered longest silent first.

    The schools that did upload are read through the logs' start-time index (a few days of the
    province's logs), not school by school; the look-back bounds the search for the last one.
    """
    since = now - timedelta(days=days)
    active_students = Student.objects.filter(
        institution=OuterRef("pk"), filing_status=FilingStatus.ACTIVE
    ).exclude(Exists(Graduation.objects.filter(student=OuterRef("pk"))))
    uploading = TeachingLog.objects.filter(starttime__gte=since).values("institution_id")
    latest = (
        TeachingLog.objects.filter(
            institution=OuterRef("pk"),
            starttime__gte=now - timedelta(days=SILENT_LOOKBACK_DAYS),
        )
        .order_by("-starttime")
        .values("starttime")[:1]
    )
    schools = access.scope(
        user,
        Institution.objects.filter(filing_status=FilingStatus.ACTIVE, created_at__lt=since),
        region_field="district__code",
    )
    return (
        schools.filter(Exists(active_students))
        .exclude(pk__in=uploading)
        .select_related("district")
        .annotate(last_log=Subquery(latest))
        .order_by(F("last_log").asc(nulls_first=True), "inscode")
    )
