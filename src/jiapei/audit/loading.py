"""Loading audit facts from the database: a student's sessions, minutes, photos and the
other sessions their coach or car took part in at the same time."""

from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.timezone import localtime

from jiapei.audit.facts import MinuteFact, PhotoFact, SessionFact, StudentFact
from jiapei.registry.models import Student
from jiapei.training.models import MinuteRecord, TeachingLog, TrainingPhoto

# The engine reads local (Asia/Shanghai) times: time windows and days are local notions.
# A minute record's time is the minute's last second; one that ends up to this long after the
# log's end time still belongs to the session (terminals and platforms round differently).
SLACK = timedelta(seconds=60)


def student_fact(student: Student) -> StudentFact:
    return StudentFact(student.stunum, student.traintype, student.applydate)


# Only these columns are read: a student can have thousands of minutes, and model instances
# cost several times more than plain rows.
MINUTE_COLUMNS = (
    "id",
    "at",
    "classid",
    "coachnum",
    "carnum",
    "mode",
    "part",
    "subjcode",
    "max_speed",
    "mileage",
    "lng",
    "lat",
    "engine_rpm",
    "reject_codes",
    "coach_classes",
    "car_class",
    "valid",
    "codes",
)


def minute_fact(row: Any, session_key: str, stunum: str) -> MinuteFact:
    codes = tuple(row.reject_codes)
    return MinuteFact(
        id=row.id,
        at=localtime(row.at),
        session_key=session_key,
        student=stunum,
        coach=row.coachnum or None,
        car=row.carnum or None,
        mode=row.mode,
        part=row.part,
        vehicle_class=_class_of(row.subjcode),
        max_speed=row.max_speed,
        mileage=row.mileage,
        lng=row.lng,
        lat=row.lat,
        engine_rpm=row.engine_rpm,
        coach_ok="COACH_NOT_FILED" not in codes,
        coach_classes=tuple(c for c in row.coach_classes.split(",") if c),
        car_ok=None if row.mode != 1 else "CAR_NOT_FILED" not in codes,
        car_class=row.car_class or None,
        device_ok=None if row.mode != 1 else "DEVICE_UNBOUND" not in codes,
        in_fence=None if row.mode != 1 else "OUT_OF_FENCE" not in codes,
        # The fence is judged again by the audit (``in_fence``): a minute without a fix of its
        # own (a GNSS dropout) cannot be out of the fence, which ingest could not know.
        ingest_rejected=tuple(c for c in codes if c != "OUT_OF_FENCE"),
    )


def _class_of(subjcode: str) -> str:
    from jiapei.training.wire import CLASS_CODES

    return CLASS_CODES.get(subjcode[1:3], "")


def _log_days(log: TeachingLog) -> set[date]:
    first, last = localtime(log.starttime).date(), localtime(log.endtime).date()
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


def _ranges(days: set[date]) -> list[tuple[datetime, datetime]]:
    zone = timezone.get_current_timezone()
    return [
        (
            datetime.combine(d, time.min, zone),
            datetime.combine(d + timedelta(days=1), time.min, zone),
        )
        for d in sorted(days)
    ]


def _within(field: str, days: set[date] | None, slack: timedelta = timedelta(0)) -> Q:
    if days is None:
        return Q()
    query = Q(pk__in=[])
    for start, end in _ranges(days):
        query |= Q(**{f"{field}__gte": start - slack, f"{field}__lt": end + slack})
    return query


def sessions_of(
    student: Student, days: set[date] | None = None
) -> tuple[list[SessionFact], list[int], dict[int, tuple[bool | None, list[str]]]]:
    """The student's teaching logs as facts, the ids of minutes that belong to none, and every
    loaded minute's stored verdict (so writing verdicts back needs no second read).

    With ``days``, only sessions that touch those local days (and their minutes and photos)
    are loaded; a session crossing midnight brings in the other day too.
    """
    logs = list(
        TeachingLog.objects.filter(student=student)
        .filter(_within("starttime", days, slack=timedelta(days=1)))
        .select_related("coach", "car", "device")
        .order_by("starttime", "id")
    )
    if days is not None:
        logs = [log for log in logs if _log_days(log) & days]
        days = days.union(*(_log_days(log) for log in logs))
    minutes = list(
        MinuteRecord.objects.filter(student=student)
        .filter(_within("at", days, slack=SLACK))
        .order_by("at", "id")
        .values_list(*MINUTE_COLUMNS, named=True)
    )
    photos = list(
        TrainingPhoto.objects.filter(student=student)
        .filter(_within("ptime", days, slack=SLACK))
        .order_by("ptime", "id")
    )
    by_log: dict[int, list[Any]] = defaultdict(list)
    orphans: list[int] = []
    starts = [log.starttime for log in logs]
    for row in minutes:
        owner = owning_log(logs, starts, row)
        if owner is None:
            orphans.append(row.id)
        else:
            by_log[owner.pk].append(row)
    calibration = terminal_confidences(logs)
    facts = []
    for log in logs:
        median, count = calibration.get(log.pk, (None, 0))
        session_photos = [
            PhotoFact(localtime(p.ptime), p.event, p.confidence, p.fingerprint or None)
            for p in photos
            if p.recnum == log.recnum or log.starttime - SLACK <= p.ptime <= log.endtime + SLACK
        ]
        facts.append(
            SessionFact(
                id=log.pk,
                key=log.rnum,
                student=student.stunum,
                coach=log.coach.number if log.coach else None,
                car=log.car.carnum if log.car else None,
                mode=log.mode,
                part=log.part,
                start=localtime(log.starttime),
                end=localtime(log.endtime),
                minutes=tuple(minute_fact(m, log.rnum, student.stunum) for m in by_log[log.pk]),
                photos=tuple(session_photos),
                reported_mileage=float(log.mileage),
                voided=log.voided_at is not None,
                device=log.device.devnum if log.device else None,
                terminal_confidence_median=median,
                terminal_confidence_photos=count,
            )
        )
    stored = {row.id: (row.valid, row.codes or []) for row in minutes}
    return facts, orphans, stored


CALIBRATION_EVENTS = (5, 17, 18, 19)  # the student's photos (coach photos are another face)


def terminal_confidences(logs: Sequence[Any]) -> dict[int, tuple[float | None, int]]:
    """log id -> (median face-match confidence, photo count) of the student photos taken in
    the sessions its terminal recorded over the calibration window ending on the log's local
    day (``Thresholds.face_calibration_days``, the default's window: overrides of it apply
    to the rule, not to what is loaded). ``logs`` are teaching logs or rows with their ``id``,
    ``device_id``, ``starttime`` and ``endtime``. Only photos taken before the log ends count,
    so a verdict does not change with what the terminal records later. Two queries whatever
    the number of logs."""
    from jiapei.audit.thresholds import Thresholds

    with_device = [log for log in logs if log.device_id]
    if not with_device:
        return {}
    span = timedelta(days=Thresholds().face_calibration_days)
    first = min(log.starttime for log in with_device) - span
    last = max(log.endtime for log in with_device) + SLACK
    devices = {log.device_id for log in with_device}
    recorded = list(
        TeachingLog.objects.filter(
            device_id__in=devices, starttime__gte=first, starttime__lt=last
        ).values_list("student_id", "recnum", "device_id", "starttime")
    )
    device_of = {(sid, recnum): (dev, start) for sid, recnum, dev, start in recorded}
    confidences: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    photos = TrainingPhoto.objects.filter(
        student_id__in={sid for sid, _, _, _ in recorded},
        ptime__gte=first,
        ptime__lt=last,
        event__in=CALIBRATION_EVENTS,
        confidence__isnull=False,
    ).values_list("student_id", "recnum", "confidence")
    for sid, recnum, confidence in photos.iterator(chunk_size=5000):
        owner = device_of.get((sid, recnum))
        if owner is not None and confidence is not None:
            confidences[owner[0]].append((owner[1], confidence))
    result: dict[int, tuple[float | None, int]] = {}
    for log in with_device:
        low, high = log.starttime - span, log.endtime + SLACK
        scores = [c for at, c in confidences.get(log.device_id, []) if low <= at < high]
        result[log.id] = (statistics.median(scores) if scores else None, len(scores))
    return result


def owning_log(logs: list[TeachingLog], starts: list[datetime], row: Any) -> TeachingLog | None:
    """The log whose time span holds the minute (searching back from the last log that started
    before it; sessions of one student rarely overlap, so this looks at one or two logs)."""
    first = bisect.bisect_right(starts, row.at)
    for log in reversed(logs[max(0, first - 4) : first]):
        if log.classid and row.classid and log.classid != row.classid:
            continue
        if log.starttime <= row.at <= log.endtime + SLACK and log.subjcode[:4] == row.subjcode[:4]:
            return log
    return None


def other_intervals(student: Student, sessions: list[SessionFact]) -> list[tuple]:
    """Other students' sessions sharing a coach or car with these sessions' time span."""
    if not sessions:
        return []
    coaches = {s.coach for s in sessions if s.coach}
    cars = {s.car for s in sessions if s.car}
    if not coaches and not cars:
        return []
    start: datetime = min(s.start for s in sessions)
    end: datetime = max(s.end for s in sessions)
    rows = (
        TeachingLog.objects.filter(Q(coach__number__in=coaches) | Q(car__carnum__in=cars))
        .exclude(student=student)
        .filter(starttime__lt=end, endtime__gt=start)
        .select_related("student", "coach", "car", "device")
        .order_by("starttime", "id")
    )
    return [
        (
            log.rnum,
            log.student.stunum,
            log.coach.number if log.coach else None,
            log.car.carnum if log.car else None,
            localtime(log.starttime),
            localtime(log.endtime),
            log.mode,
            log.device.devnum if log.device else None,
        )
        for log in rows
    ]
