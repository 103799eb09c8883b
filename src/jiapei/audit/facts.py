"""Plain data the audit rules read and write. No ORM, no clock, no IO.

The services in ``audit/services.py`` load these from the database, the engine computes
verdicts, and the services store them. Times are timezone-aware datetimes in the province's
local time (Asia/Shanghai); distances are kilometres; speeds km/h.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


class Mode:
    """Course mode, the first digit of ``subjcode`` (standards.md §1.5)."""

    PRACTICAL = 1  # 实操
    CLASSROOM = 2  # 课堂
    SIMULATOR = 3  # 模拟器
    REMOTE = 4  # 远程


@dataclass(frozen=True)
class MinuteFact:
    """One 0x0203 minute record as stored, with what ingest resolved about it.

    ``coach_ok``/``car_ok``/``device_ok``/``in_fence`` are decided at ingest against the
    registry and the fences in force then; ``None`` means "not applicable" (e.g. no car in a
    classroom minute) or "unknown".
    """

    id: int
    at: datetime  # the last second of the minute
    session_key: str  # identifies the teaching session (student + terminal session id)
    student: str  # stunum
    coach: str | None  # coachnum
    car: str | None  # carnum
    mode: int
    part: int
    vehicle_class: str  # "C1"; "" when the code's class is 00
    max_speed: float  # km/h within the minute
    mileage: float  # km within the minute
    lng: float | None = None
    lat: float | None = None
    engine_rpm: int | None = None
    coach_ok: bool | None = True
    coach_classes: tuple[str, ...] = ()
    car_ok: bool | None = True
    car_class: str | None = None
    device_ok: bool | None = True
    in_fence: bool | None = True
    ingest_rejected: tuple[str, ...] = ()  # reason codes given at ingest, if it was rejected


@dataclass(frozen=True)
class PhotoFact:
    at: datetime
    event: int  # 5 timed, 17 student login, 18 student logout, 19 during training, 20/21 coach
    confidence: int | None  # face-match confidence 0-100; None if the terminal sent none
    fingerprint: str | None = None  # perceptual hash (hex), if the image was fingerprinted


@dataclass(frozen=True)
class SessionFact:
    """One teaching log (``classrecord``) with its minutes and photos."""

    id: int
    key: str
    student: str
    coach: str | None
    car: str | None
    mode: int
    part: int
    start: datetime
    end: datetime
    minutes: tuple[MinuteFact, ...]
    photos: tuple[PhotoFact, ...] = ()
    reported_mileage: float | None = None  # km, as the timing platform reported it
    voided: bool = False  # a regulator voided the whole session (work-order decision)
    device: str | None = None  # devnum of the terminal that recorded the session
    # The terminal's face-match confidences over the calibration window: their median and how
    # many photos it rests on (``Thresholds.face_calibrate_per_terminal``); None if unknown.
    terminal_confidence_median: float | None = None
    terminal_confidence_photos: int = 0


@dataclass(frozen=True)
class StudentFact:
    stunum: str
    vehicle_class: str  # traintype
    enrolled_on: date  # applydate; selects the syllabus version


@dataclass
class MinuteVerdict:
    id: int
    valid: bool
    codes: list[str] = field(default_factory=list)


@dataclass
class SessionVerdict:
    id: int
    status: str  # "valid" (整体有效) / "partial" (部分有效) / "invalid" (无效)
    total_minutes: int
    valid_minutes: int
    credited_minutes: int
    mileage: float  # km credited (from valid minutes)
    codes: list[str] = field(default_factory=list)  # session-level reason codes


@dataclass
class PartProgress:
    part: int
    required: dict[int, int]  # mode -> minimum minutes
    credited: dict[int, int]  # mode -> credited minutes (after caps)
    mileage_required: float
    mileage: float
    complete: bool
    remaining: dict[str, float]  # human-oriented remainders, e.g. {"total": 120, "classroom": 60}
    total_required: int = 0  # the part's syllabus total in minutes (all modes together)
    total_credited: int = 0  # credited minutes of all modes after the per-mode caps


@dataclass(frozen=True)
class Interval:
    """A session of somebody else that may overlap one of the audited student's sessions.

    The engine uses these for the coach and car ``OVERLAP`` rule. ``mode`` matters because a
    classroom teacher legitimately teaches many students at once: two coach intervals only
    conflict when at least one of them is practical (see ``rules/day.py``). The default is
    practical, the conservative choice when the caller does not know.
    """

    key: str
    student: str
    coach: str | None
    car: str | None
    start: datetime
    end: datetime
    mode: int = Mode.PRACTICAL
    device: str | None = None  # the recording terminal (clock skew differs between terminals)


@dataclass
class StudentAudit:
    """Everything the engine decided about one student, in a deterministic order.

    ``minutes`` follow the sessions' order (start, end, key, id) and each session's minutes in
    time order; ``sessions`` are in that same session order; ``parts`` are sorted by part and
    empty when the student's vehicle class is not in the syllabus. ``rule_version`` names the
    rule code, syllabus and threshold values that produced the verdicts, so a verdict can be
    re-derived and compared.
    """

    student: str
    rule_version: str
    minutes: list[MinuteVerdict]
    sessions: list[SessionVerdict]
    parts: list[PartProgress]
