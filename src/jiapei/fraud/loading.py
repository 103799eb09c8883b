"""Loading what the detectors read: plain facts (``fraud.detectors.base``) from the database.

Everything is read in bulk with ``values_list`` (a province's day can hold tens of thousands of
minutes; model instances would cost several times more) and in a fixed number of queries, however
many sessions there are. Minutes are assigned to teaching logs the way the audit does it
(:func:`jiapei.audit.loading.owning_log`), so a detector sees the same sessions as the audit.
Times handed to detectors are local (Asia/Shanghai): days and time windows are local notions.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.timezone import localtime

from jiapei.audit.loading import SLACK, owning_log, terminal_confidences
from jiapei.fraud.detectors.base import (
    MinuteData,
    PhotoData,
    ScanContext,
    SchoolPeriod,
    SessionData,
    StageData,
)
from jiapei.fraud.models import Finding, FindingStatus
from jiapei.stages.models import StageReview
from jiapei.training.models import (
    AuditStatus,
    IngestResult,
    MinuteRecord,
    TeachingLog,
    TrainingPhoto,
)

LOG_COLUMNS = (
    "id",
    "rnum",
    "student_id",
    "student__stunum",
    "institution__inscode",
    "platform__platnum",
    "coach__number",
    "car__carnum",
    "device__devnum",
    "device_id",
    "mode",
    "part",
    "starttime",
    "endtime",
    "audit_status",
    "credited_minutes",
    "mileage",
    "recnum",
    "classid",
    "subjcode",
)
MINUTE_COLUMNS = (
    "id",
    "student_id",
    "recordnum",
    "at",
    "classid",
    "subjcode",
    "max_speed",
    "mileage",
    "lng",
    "lat",
    "engine_rpm",
    "result",
    "reject_codes",
    "valid",
    "codes",
)
PHOTO_COLUMNS = ("id", "student_id", "recnum", "ptime", "event", "confidence", "fingerprint")


def _naive_local(instant: datetime) -> datetime:
    """The detectors' contract (``detectors/base.py``) is naive local wall-clock time, so that
    they can compare with ``datetime.combine(day, time(...))`` without a time zone."""
    return localtime(instant).replace(tzinfo=None)


def day_range(first: date, last: date | None = None) -> tuple[datetime, datetime]:
    """The aware instants [start of ``first``, start of the day after ``last``) in local time."""
    zone = timezone.get_current_timezone()
    last = last or first
    return (
        datetime.combine(first, time.min, zone),
        datetime.combine(last + timedelta(days=1), time.min, zone),
    )


def lookback_days() -> tuple[int, int]:
    """(photo look-back, track look-back) in days, from settings."""
    photos = int(settings.JIAPEI_FRAUD_LOOKBACK_DAYS)
    tracks = int(settings.JIAPEI_FRAUD_TRACK_LOOKBACK_DAYS)
    return photos, min(tracks, photos)


def cities_of_day(day: date) -> list[str]:
    """The city code prefixes (GB/T 2260, 4 digits) of the schools with sessions starting on
    local ``day`` or stage reviews created on it: the parts a day scan is split into."""
    start, end = day_range(day)
    districts = set(
        TeachingLog.objects.filter(starttime__gte=start, starttime__lt=end)
        .values_list("institution__district_id", flat=True)
        .distinct()
    ) | set(
        StageReview.objects.filter(created_at__gte=start, created_at__lt=end)
        .values_list("student__institution__district_id", flat=True)
        .distinct()
    )
    return sorted({code[:4] for code in districts if code})


def day_context(day: date, params: Any, city: str | None = None) -> ScanContext:
    """Everything the day detectors need to scan local ``day``: its sessions with minutes and
    photos, the sessions of the look-back before it (photos over ``JIAPEI_FRAUD_LOOKBACK_DAYS``;
    the minutes of practical sessions over the shorter ``JIAPEI_FRAUD_TRACK_LOOKBACK_DAYS``,
    because tracks are most of the volume), and the stage reviews created that day with their
    students' part histories.

    ``city`` (a 4-digit GB/T 2260 prefix) limits all of it to that city's schools, so that a
    province is scanned city by city in bounded memory: coaches, cars and students belong to one
    school, and a replayed track stays on its school's ground or its city's routes. Exact copies
    of the day's photos taken in other cities are added to ``earlier`` (photos only), so that a
    picture shared across cities is still seen (FACE_SHARED).
    """
    start, end = day_range(day)
    mine = Q(institution__district__code__startswith=city) if city else Q()
    sessions = load_sessions(mine & Q(starttime__gte=start, starttime__lt=end), calibrate=True)
    photo_days, track_days = lookback_days()
    photo_start = start - timedelta(days=photo_days)
    track_start = start - timedelta(days=track_days)
    earlier = load_sessions(
        mine & Q(starttime__gte=photo_start, starttime__lt=track_start), minutes=False
    ) + load_sessions(mine & Q(starttime__gte=track_start, starttime__lt=start), tracks_only=True)
    if city:
        earlier += copies_elsewhere(sessions, city, photo_start, end)
    stages, history = load_stages(start, end, city)
    return ScanContext(
        day=day,
        sessions=sessions,
        params=params,
        earlier=earlier,
        stages=stages,
        history=history,
        images=read_photo,
    )


def read_photo(photo_id: int) -> bytes | None:
    """The stored picture of training photo ``photo_id`` (``ScanContext.images``); None when
    the photo or its file is gone. One query and one file read: the photo detectors ask only
    for the pairs their hash pre-filter selects, and decode each picture once."""
    name = TrainingPhoto.objects.filter(pk=photo_id).values_list("file__content", flat=True).first()
    if not name:
        return None
    try:
        with default_storage.open(name, "rb") as handle:
            content: bytes = handle.read()
    except OSError:
        return None
    return content


def period_context(first: date, last: date, params: Any) -> ScanContext:
    """What the period detectors need: every school's figures over [first, last]."""
    return ScanContext(
        day=first, sessions=[], params=params, schools=schools(first, last), period=(first, last)
    )


def load_sessions(
    where: Q,
    *,
    minutes: bool = True,
    photos: bool = True,
    practical_minutes_only: bool = False,
    tracks_only: bool = False,
    calibrate: bool = False,
) -> list[SessionData]:
    """The teaching logs matching ``where`` as :class:`SessionData`, ordered by start.

    Three queries at most: the logs, then the minutes and the photos of the students involved
    over the logs' overall time span (the students are chosen in SQL by a subquery on the same
    logs, so a scan of one city reads that city's minutes only). With
    ``practical_minutes_only`` only practical (mode 1) minutes are read: the track detectors
    need no others, and they are most of the volume over a long look-back. ``tracks_only``
    reads just their positions into :attr:`SessionData.track` arrays instead of minute records.
    ``calibrate`` adds each terminal's face-match confidence distribution (two more queries).
    """
    logs = list(
        TeachingLog.objects.filter(where)
        .order_by("starttime", "id")
        .values_list(*LOG_COLUMNS, named=True)
    )
    if not logs:
        return []
    lo = min(log.starttime for log in logs) - SLACK
    hi = max(log.endtime for log in logs) + SLACK
    students = {log.student_id for log in logs}
    by_student: dict[int, list[Any]] = defaultdict(list)
    for log in logs:
        by_student[log.student_id].append(log)

    involved = TeachingLog.objects.filter(where).values("student_id")
    owned: dict[int, list[MinuteData]] = defaultdict(list)
    tracks: dict[int, list[tuple[float, float, float]]] = defaultdict(list)
    if minutes or tracks_only:
        rows = MinuteRecord.objects.filter(at__gte=lo, at__lte=hi, student_id__in=involved)
        if practical_minutes_only or tracks_only:
            rows = rows.filter(mode=1)
        _own_minutes(rows, by_student, tracks_only=tracks_only, owned=owned, tracks=tracks)

    attached: dict[int, list[PhotoData]] = defaultdict(list)
    if photos:
        photo_rows = [
            p
            for p in TrainingPhoto.objects.filter(
                ptime__gte=lo, ptime__lte=hi, student_id__in=involved
            )
            .order_by("ptime", "id")
            .values_list(*PHOTO_COLUMNS, named=True)
            if p.student_id in students
        ]
        _attach_photos(logs, photo_rows, attached)
    calibration = terminal_confidences(logs) if calibrate else {}
    return [_session(log, owned, attached, tracks, calibration) for log in logs]


def _own_minutes(
    rows: QuerySet[MinuteRecord],
    by_student: dict[int, list[Any]],
    *,
    tracks_only: bool,
    owned: dict[int, list[MinuteData]],
    tracks: dict[int, list[tuple[float, float, float]]],
) -> None:
    """Give each minute of ``rows`` to the log it belongs to (:func:`owning_log`): into
    ``owned`` as :class:`MinuteData`, or with ``tracks_only`` into ``tracks`` as its position
    and time. Minutes of other students, or of no log, are skipped."""
    starts = {sid: [log.starttime for log in own] for sid, own in by_student.items()}
    if tracks_only:
        rows = rows.filter(lng__isnull=False, lat__isnull=False).exclude(lng=0, lat=0)
        columns: tuple[str, ...] = ("student_id", "at", "classid", "subjcode", "lng", "lat")
    else:
        columns = MINUTE_COLUMNS
    query = rows.order_by("at", "id").values_list(*columns, named=True)
    for row in query.iterator(chunk_size=5000):
        if row.student_id not in by_student:
            continue
        owner = owning_log(by_student[row.student_id], starts[row.student_id], row)
        if owner is None:
            continue
        if tracks_only:
            seconds = _naive_local(row.at).replace(tzinfo=UTC).timestamp()
            tracks[owner.id].append((row.lng, row.lat, seconds))
        else:
            owned[owner.id].append(_minute(row))


def _session(
    log: Any,
    owned: dict[int, list[MinuteData]],
    attached: dict[int, list[PhotoData]],
    tracks: dict[int, list[tuple[float, float, float]]],
    calibration: dict[int, tuple[float | None, int]],
) -> SessionData:
    median, count = calibration.get(log.id, (None, 0))
    return SessionData(
        log_id=log.id,
        rnum=log.rnum,
        stunum=log.student__stunum,
        inscode=log.institution__inscode,
        platnum=log.platform__platnum,
        coach=log.coach__number,
        car=log.car__carnum,
        devnum=log.device__devnum,
        mode=log.mode,
        part=log.part,
        start=_naive_local(log.starttime),
        end=_naive_local(log.endtime),
        minutes=tuple(owned[log.id]),
        photos=tuple(attached[log.id]),
        audit_status=log.audit_status,
        credited_minutes=log.credited_minutes,
        reported_mileage=float(log.mileage),
        track=np.array(tracks[log.id], dtype=np.float64) if log.id in tracks else None,
        terminal_confidence_median=median,
        terminal_confidence_photos=count,
    )


def _minute(row: Any) -> MinuteData:
    # Ingest rejections come first, then the audit's codes, without repeats (as the audit
    # reports them).
    codes = tuple(dict.fromkeys([*(row.reject_codes or []), *(row.codes or [])]))
    return MinuteData(
        recordnum=row.recordnum,
        at=_naive_local(row.at),
        max_speed=row.max_speed,
        mileage=row.mileage,
        lng=row.lng,
        lat=row.lat,
        engine_rpm=row.engine_rpm,
        accepted=row.result == IngestResult.ACCEPTED,
        valid=row.valid,
        codes=codes,
    )


def _attach_photos(logs: list[Any], rows: list[Any], out: dict[int, list[PhotoData]]) -> None:
    """A photo belongs to a log of its student when it names the log's sequence number or was
    taken within the log's time span (give or take ``SLACK``), as in the audit."""
    by_student: dict[int, list[Any]] = defaultdict(list)
    by_recnum: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for row in rows:
        by_student[row.student_id].append(row)
        by_recnum[(row.student_id, row.recnum)].append(row)
    times = {sid: [p.ptime for p in own] for sid, own in by_student.items()}
    for log in logs:
        own = by_student.get(log.student_id, [])
        if not own:
            continue
        first = bisect.bisect_left(times[log.student_id], log.starttime - SLACK)
        last = bisect.bisect_right(times[log.student_id], log.endtime + SLACK)
        chosen = {p.id: p for p in own[first:last]}
        chosen.update((p.id, p) for p in by_recnum.get((log.student_id, log.recnum), []))
        out[log.id] = [
            PhotoData(
                id=p.id,
                at=_naive_local(p.ptime),
                event=p.event,
                confidence=p.confidence,
                fingerprint=p.fingerprint or None,
            )
            for p in sorted(chosen.values(), key=lambda p: (p.ptime, p.id))
        ]


def copies_elsewhere(
    sessions: list[SessionData], city: str, first: datetime, end: datetime
) -> list[SessionData]:
    """Sessions of other cities in [first, end) holding an exact copy (same fingerprint) of a
    photo of ``sessions``, with their photos and without minutes. An indexed equality lookup,
    not a comparison in memory: across cities only exact copies are looked for anyway."""
    fingerprints = {p.fingerprint for s in sessions for p in s.photos if p.fingerprint}
    if not fingerprints:
        return []
    students: set[int] = set()
    listed = sorted(fingerprints)
    for chunk in range(0, len(listed), 500):  # SQLite caps the parameters of one query
        students |= set(
            TrainingPhoto.objects.filter(
                fingerprint__in=listed[chunk : chunk + 500], ptime__gte=first, ptime__lt=end
            )
            .exclude(student__institution__district__code__startswith=city)
            .values_list("student_id", flat=True)
        )
    if not students:
        return []
    found = load_sessions(
        Q(student_id__in=students, starttime__gte=first, starttime__lt=end), minutes=False
    )
    return [s for s in found if any(p.fingerprint in fingerprints for p in s.photos)]


def load_stages(
    start: datetime, end: datetime, city: str | None = None
) -> tuple[list[StageData], dict[tuple[str, int], list[SessionData]]]:
    """Stage reviews created in [start, end) and every session of those students in that part.

    The histories carry no minutes or photos: the burst detector reads when sessions were held
    and what they were credited, and a part's history can run to thousands of minutes.
    """
    wanted_reviews = StageReview.objects.filter(created_at__gte=start, created_at__lt=end)
    if city:
        wanted_reviews = wanted_reviews.filter(
            student__institution__district__code__startswith=city
        )
    reviews = list(
        wanted_reviews.order_by("created_at", "id").values_list(
            "student_id", "student__stunum", "student__institution__inscode", "part", "created_at"
        )
    )
    stages = [
        StageData(stunum=stunum, inscode=inscode, part=part, submitted_at=_naive_local(created))
        for _, stunum, inscode, part, created in reviews
    ]
    history: dict[tuple[str, int], list[SessionData]] = {}
    if reviews:
        wanted = {(sid, part) for sid, _, _, part, _ in reviews}
        students = {sid for sid, _ in wanted}
        parts = {part for _, part in wanted}
        sessions = load_sessions(
            Q(student_id__in=students, part__in=parts), minutes=False, photos=False
        )
        for _, stunum, _, part, _ in reviews:
            history[(stunum, part)] = [s for s in sessions if s.stunum == stunum and s.part == part]
    return stages, history


def schools(first: date, last: date) -> list[SchoolPeriod]:
    """Every school with sessions starting in [first, last] and its figures over the period.

    Minutes and void minutes come from audited logs only (a log not yet audited has nothing
    credited, which would read as void); void minutes are those not credited (invalid sessions,
    invalid minutes and the daily cap). Mileage is the reported mileage of practical sessions.
    ``findings`` counts the period's session-level findings not dismissed by a regulator.
    """
    start, end = day_range(first, last)
    audited = ~Q(audit_status=AuditStatus.PENDING)
    practical = audited & Q(mode=1)
    figures = (
        TeachingLog.objects.filter(starttime__gte=start, starttime__lt=end)
        .values("institution__inscode")
        .annotate(
            sessions=Count("id"),
            minutes=Sum("total_minutes", filter=audited, default=0),
            credited=Sum("credited_minutes", filter=audited, default=0),
            practical_minutes=Sum("total_minutes", filter=practical, default=0),
            practical_mileage=Sum("mileage", filter=practical, default=0),
        )
        .order_by("institution__inscode")
    )
    found = dict(
        Finding.objects.filter(day__gte=first, day__lte=last, period_end__isnull=True)
        .exclude(status=FindingStatus.DISMISSED)
        .exclude(institution__isnull=True)
        .values("institution__inscode")
        .annotate(n=Count("id"))
        .values_list("institution__inscode", "n")
    )
    return [
        SchoolPeriod(
            inscode=row["institution__inscode"],
            sessions=row["sessions"],
            minutes=row["minutes"],
            void_minutes=row["minutes"] - row["credited"],
            practical_minutes=row["practical_minutes"],
            practical_mileage=float(row["practical_mileage"]),
            findings=found.get(row["institution__inscode"], 0),
        )
        for row in figures
    ]


def local_days(instants: Iterable[datetime]) -> set[date]:
    """The local days of some aware instants."""
    return {localtime(at).date() for at in instants}
