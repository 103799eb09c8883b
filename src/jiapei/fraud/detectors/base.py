"""The detectors' contract: what they read (plain facts, no ORM) and what they return.

A detector is a pure function ``detect(context: ScanContext) -> list[Draft]``. It reads the
sessions of the day being scanned (``context.sessions``) and, where it must look back, the
earlier sessions and photos the loader put in the context; it never touches the database, so
every detector is tested with hand-built facts and re-run on the same facts gives the same
drafts. ``fraud.services`` turns drafts into stored :class:`jiapei.fraud.models.Finding` rows,
upserting by ``Draft.key``.

Detector codes are stable strings (they appear in the API, in work orders and in the
evaluation): see :data:`DETECTORS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# code -> (zh-hans name, English name, pattern of anchors.md §2.4 it targets)
DETECTORS: dict[str, tuple[str, str, str]] = {
    "PHOTO_FROZEN": ("同一会话照片雷同", "frozen images within a session", "照片机"),
    "PHOTO_REPLAYED": ("照片跨会话重复使用", "photo reused across sessions", "照片机"),
    "FACE_SHARED": (
        "同一人脸出现在不同学员的培训中",
        "one face in different students' sessions",
        "替学",
    ),
    "FACE_LOW": ("人脸比对置信度偏低", "low face-match confidence", "替学"),
    "FACE_FALLING": (
        "签到后人脸比对置信度下降",
        "face-match confidence falls after sign-in",
        "替学",
    ),
    "GNSS_STILL_MILEAGE": (
        "有速度里程但位置不动",
        "speed and mileage while the GNSS position is still",
        "跑马机",
    ),
    "SPEED_TOO_REGULAR": ("速度曲线过于规则", "implausibly regular speed profile", "跑马机"),
    "TRACK_REPLAYED": ("轨迹与以往培训重复", "track replayed from an earlier session", "模拟器"),
    "COACH_TWO_CARS": ("教练员同时在两辆车上带教", "a coach on two cars at once", "虚假带教"),
    "CAR_TWO_STUDENTS": (
        "同一教练车同时培训两名学员",
        "a car with two students at once",
        "虚假学时",
    ),
    "THEORY_PRACTICE_CROSS": (
        "理论与实操交叉培训",
        "a student in a classroom and a car at once",
        "理论实操交叉",
    ),
    "NIGHT_IDLE_CAR": ("夜间空车刷学时", "a night session in an otherwise idle car", "夜间空车"),
    "STAGE_BURST": (
        "阶段报审前集中刷学时",
        "a burst of sessions just before the stage review",
        "突击刷学时",
    ),
    "SCHOOL_VOID_RATE": (
        "驾校无效学时率异常偏高",
        "school's void-minute rate far above the province",
        "驾校异常",
    ),
    "SCHOOL_FINDING_RATE": (
        "驾校疑点率异常偏高",
        "school's finding rate far above the province",
        "驾校异常",
    ),
    "SCHOOL_MILEAGE_RATE": (
        "驾校每学时里程异常",
        "school's mileage per hour far from the province",
        "驾校异常",
    ),
}

SEVERITIES = ("low", "medium", "high")


# Slots on the facts a scan holds by the ten thousand (the track look-back): without a
# __dict__ each takes far less memory.
@dataclass(frozen=True, slots=True)
class MinuteData:
    """One stored minute record (accepted or rejected at ingest). Times are naive local time."""

    recordnum: str
    at: datetime
    max_speed: float  # km/h
    mileage: float  # km in this minute
    lng: float | None
    lat: float | None
    engine_rpm: int | None
    accepted: bool
    valid: bool | None  # the audit's verdict; None before the audit ran
    codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PhotoData:
    """One training photo (``trainimginfo``): event 17 sign-in, 5/19 during, 18 sign-out."""

    id: int
    at: datetime
    event: int
    confidence: int | None
    fingerprint: str | None  # 64-bit perceptual hash as 16 hex digits


@dataclass(frozen=True, slots=True)
class SessionData:
    """One teaching log with what the detectors need. Every datetime in the detectors' facts is
    naive local wall-clock time (Asia/Shanghai), as the loader gives it."""

    log_id: int
    rnum: str
    stunum: str
    inscode: str
    platnum: str
    coach: str | None  # coach number
    car: str | None  # carnum (car's filing number)
    devnum: str | None
    mode: int  # 1 practical, 2 classroom, 3 simulator, 4 remote
    part: int
    start: datetime
    end: datetime
    minutes: tuple[MinuteData, ...] = ()
    photos: tuple[PhotoData, ...] = ()
    audit_status: str = "pending"
    credited_minutes: int = 0
    reported_mileage: float = 0.0
    # A look-back session's GNSS track without its minute records: a numpy array of shape
    # (n, 3) holding [lng, lat, POSIX seconds of the naive local time] per practical minute
    # with a fix, in time order. About 24 bytes a minute instead of ~450 for a MinuteData, so a
    # city's two-week look-back fits in memory. ``None`` when the minutes are loaded instead.
    track: Any = None
    # The recording terminal's face-match confidences over the calibration window (the
    # audit's ``terminal_confidences``): median and photo count; None when not loaded.
    terminal_confidence_median: float | None = None
    terminal_confidence_photos: int = 0

    @property
    def day(self) -> date:
        return self.start.date()


@dataclass(frozen=True)
class StageData:
    """A stage review (part complete) and when it was submitted, for STAGE_BURST."""

    stunum: str
    inscode: str
    part: int
    submitted_at: datetime


@dataclass(frozen=True)
class SchoolPeriod:
    """One school's figures over a period (for the school-level outlier detectors)."""

    inscode: str
    sessions: int
    minutes: int
    void_minutes: int
    practical_minutes: int
    practical_mileage: float  # km over the practical minutes
    findings: int  # session-level findings in the period


@dataclass
class ScanContext:
    """What one scan hands every detector.

    ``sessions``: the sessions of the day scanned (every school, every mode).
    ``earlier``: sessions of the ``lookback_days`` before it (with minutes and photos), for the
    detectors that compare with the past (PHOTO_REPLAYED, FACE_SHARED, TRACK_REPLAYED).
    ``stages``: stage reviews submitted on the day scanned, and ``history`` every session of
    those students in that part (STAGE_BURST).
    ``schools``: per-school figures for ``period`` (first day, last day) and the same for every
    school in the province, for the outlier detectors; empty when the scan is not asked for it.
    ``params``: detector parameters (:class:`jiapei.fraud.params.Params`).
    """

    day: date
    sessions: list[SessionData]
    params: Any
    earlier: list[SessionData] = field(default_factory=list)
    stages: list[StageData] = field(default_factory=list)
    history: dict[tuple[str, int], list[SessionData]] = field(default_factory=dict)
    schools: list[SchoolPeriod] = field(default_factory=list)
    period: tuple[date, date] | None = None
    # ``images(photo_id) -> bytes | None``: the stored picture of a photo, read only for the
    # pairs the perceptual hash pre-selects (``detectors.pixels``); None: hashes only.
    images: Any = None


@dataclass
class Draft:
    """A finding before it is stored.

    ``key`` must identify what was found so that re-scanning the same data gives the same key
    (e.g. ``"PHOTO_FROZEN:<rnum>"``, ``"CAR_TWO_STUDENTS:<rnum1>+<rnum2>"``,
    ``"SCHOOL_VOID_RATE:<inscode>:<YYYY-MM>"``). ``logs`` are the rnums of the sessions the
    evidence comes from; ``inscode`` the school it is about (the first log's school if empty).
    ``evidence`` holds what a reviewer needs to check it: ``minutes`` (recordnums), ``photos``
    (photo ids), ``points`` ([lng, lat, iso time]), ``figures`` ({name: number}).
    """

    detector: str
    key: str
    severity: str
    summary: str  # zh-hans, plain words, with the figures
    summary_en: str
    day: date
    logs: list[str] = field(default_factory=list)
    inscode: str = ""
    stunum: str | None = None
    coach: str | None = None
    car: str | None = None
    score: float = 0.0
    period_end: date | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.detector not in DETECTORS:
            raise ValueError(f"unknown detector {self.detector!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")


def about(session: SessionData) -> dict[str, Any]:
    """The :class:`Draft` fields of a finding about one session: its day, the session as the
    only log, and its school, student, coach and car."""
    return {
        "day": session.day,
        "logs": [session.rnum],
        "inscode": session.inscode,
        "stunum": session.stunum,
        "coach": session.coach,
        "car": session.car,
    }
