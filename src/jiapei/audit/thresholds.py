"""Every number the audit rules use, with its default, its source and a scoped resolver.

Sources are tagged as in ``reference/standards.md``: [V] seen in source code or official text,
[S] secondary (news or vendor pages), [I] our own inference, [U] uncertain. Provinces, cities
and institutions override single fields through ``ThresholdOverride`` rows with an effective
date range; :func:`resolve` is pure and picks, per field, the most specific scope in force on a
given date.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from jiapei.audit.facts import Mode

SCOPE_RANK = {"province": 0, "city": 1, "institution": 2}


@dataclass(frozen=True)
class Thresholds:
    """The audit thresholds in force for one student on one day. All fields are scalars."""

    # --- Time windows (rule TIME_WINDOW) -------------------------------------------------
    practical_window_start: time = time(5, 0)
    """First allowed minute of practical training. [V, vendor default] cheji terminal
    ``minTime=50000``; platforms set it per city (standards.md §4.1 M1, §1.8)."""
    practical_window_end: time = time(23, 55)
    """Last allowed second of practical training. [V, vendor default] cheji ``maxTime=235500``
    with a forced logout at 23:55."""
    classroom_window_start: time = time(5, 0)
    """Classroom window start. [I] Platforms keep a separate 课堂/模拟 window (M1) but no value
    was found; we reuse the practical default."""
    classroom_window_end: time = time(23, 55)
    """Classroom window end. [I] Same reasoning as ``classroom_window_start``."""
    simulator_window_start: time = time(5, 0)
    """Simulator window start. [I] Same window as classroom in vendor code (M1)."""
    simulator_window_end: time = time(23, 55)
    """Simulator window end. [I]"""
    remote_window_start: time = time(5, 0)
    """Remote (远程) teaching window start. [I] M1 names a separate remote window; no value
    was found."""
    remote_window_end: time = time(23, 55)
    """Remote teaching window end. [I]"""

    # --- Movement (STATIONARY, NO_MILEAGE) --------------------------------------------------
    stationary_minutes: int = 2
    """Consecutive minutes at zero speed that make all of them invalid. [V] F1 M5 default 2."""
    stationary_max_speed_kmh: float = 0.0
    """A minute's maximum speed at or below this counts as "speed 0". [V] F1 tests for 0."""
    no_mileage_minutes: int = 2
    """Consecutive minutes without mileage that make all of them invalid. [V] F1 M6 default 2."""
    no_mileage_max_km: float = 0.0
    """A minute's mileage at or below this counts as "no mileage". [V] F1 tests for 0."""
    no_mileage_moving_speed_kmh: float = 5.0
    """A zero-mileage minute whose maximum speed is at least this, and whose fix moved at least
    ``no_mileage_moving_m`` from the previous fix (or that has no usable fix to compare), is a
    moving car, not "no mileage". [I] The minute record's mileage is a WORD in 0.1 km
    (standards.md §1.6), so a car below 6 km/h covers < 100 m a minute and may honestly report
    0 for several minutes of slow part-2 manoeuvres (issue 19: 6 km/h, two zero minutes). The
    creeping that M6 targets (2–4 km/h, tens of metres) stays below both bars."""
    no_mileage_moving_m: float = 50.0
    """GNSS displacement between consecutive fixes that confirms movement for NO_MILEAGE. [I]
    5 km/h is 83 m a minute; 50 m is above the 5–15 m noise of a parked receiver."""
    no_mileage_step_m: float = 150.0
    """The most a minute may move by GNSS and still honestly report 0 mileage: one 0.1 km
    step of the wire (standards.md §1.6) plus 50 m of GNSS noise. [I] A car that moved further
    yet reports nothing has a broken or bypassed odometer, which M6 keeps voiding."""

    # --- Speed and position (SPEED, TELEPORT, ODOMETER_GNSS_MISMATCH) ---------------------
    speed_limit_part2_kmh: float = 40.0
    """Maximum credible speed on the part-2 training ground. [U] standards.md §4.3 calls
    > 30 km/h "suspicious" without a national source; because this rule voids minutes rather
    than flagging them, we leave room for gear-change practice on the ground's straight."""
    speed_limit_part3_kmh: float = 120.0
    """Maximum credible speed in part-3 road training. [U] No audit value was found; 120 km/h is
    the legal expressway maximum, and item 34 (高速公路驾驶) may be trained on a real road."""
    teleport_speed_kmh: float = 160.0
    """Implied speed between two consecutive GNSS fixes above which the jump is impossible.
    [I] Above the 120 km/h expressway limit with margin for fix-time jitter (fixes are taken at
    second 30 of each minute, but the record time is the minute's last second)."""
    odometer_window_minutes: int = 3
    """Consecutive minutes examined together by the 跑马机 rule. [I] Three minutes make a
    coincidental return to the same point by an honest car practically impossible."""
    odometer_spread_m: float = 30.0
    """A window whose fixes are all within this distance of each other is "not moving".
    [I] GNSS noise of a parked car is about 5–15 m either way. Measured between every pair of
    fixes (not from the centroid), so one real move out of a parked stretch is not absorbed."""
    gnss_stale_max_minutes: int = 10
    """A run of at most this many minutes whose fix repeats the previous minute's fix exactly
    (to the terminal's 1e-6 degree) is a GNSS dropout: the terminal resends its last fix.
    Those minutes count as having no fix for ODOMETER_GNSS_MISMATCH and OUT_OF_FENCE, so a
    tunnel or an urban canyon does not void honest minutes. [I] A real receiver, even parked,
    never repeats a fix to the last digit minute after minute (noise of metres), so a repeat
    is a missing fix, not a still car; a longer run is judged as usual, because a 跑马机 could
    freeze the fix on purpose (issue 19: 16 of 28 honest dropout sessions were voided)."""
    odometer_min_km: float = 0.5
    """Mileage the window must claim before it is suspicious. [I] 0.5 km in 3 minutes is a
    10 km/h average, more than manoeuvres inside a 30 m spot produce."""

    # --- Photos (PHOTO_GAP, SIGNIN/SIGNOUT_PHOTO_MISSING, TWO_BAD_PHOTOS, FACE_MISMATCH,
    #     PHOTO_REUSED) ------------------------------------------------------------------
    photo_interval_minutes: int = 15
    """Expected interval between timed photos. [V] F1 R2(b); terminal parameter 1 default 15;
    cheji 900 s."""
    photo_grace_seconds: int = 60
    """Lateness allowed before a timed photo counts as missing. [I] Absorbs terminal timer
    jitter and capture time, so an honest 15:03 gap is not a missing photo."""
    photo_window_minutes: int = 7
    """Minutes on each side of a missing or failed photo that become invalid. [V] F1 R2(c)."""
    photo_edge_seconds: int = 60
    """How far outside the login–logout window a sign-in/out photo may lie and still count.
    [I] F1 R2(a) voids photos outside the window; a minute of slack absorbs clock skew."""
    face_confidence_min: int = 80
    """Minimum face-match confidence (0–100, the 0x0305 byte) of a good photo on a good
    camera. [I] One vendor terminal logs in at 0.94 (cheji ``thd``); periodic photos in a
    moving car are blurrier and a failure costs 15 minutes, so we fail a photo only below 80.
    The fraud detectors FACE_LOW and FACE_FALLING use the same bar (the README's former 75
    was a documentation error); both are lowered per terminal by the calibration below."""
    face_calibrate_per_terminal: bool = True
    """Judge a terminal's face-match confidences against its own honest distribution. [I]
    Cameras differ: issue 19 measured a car whose honest confidences sat ~13 points lower
    (78 % of its sessions fell below the bar). When on, the pass mark of a terminal whose
    median confidence over ``face_calibration_days`` (at least ``face_calibration_min_photos``
    photos) lies below ``face_reference_median`` is lowered by the difference, at most by
    ``face_calibration_max_shift``. A stand-in still scores far below the terminal's own
    honest median, which is what the rule needs to see."""
    face_reference_median: float = 90.0
    """Median confidence of a good camera's honest photos, the reference of the calibration.
    [I] Honest photos score 80–99 on the simulator and on the independent evaluation's good
    cameras; their median is about 90."""
    face_calibration_min_photos: int = 12
    """Photos a terminal needs in the window before its own distribution is trusted. [I]
    Three sessions of a car (four photos each): the median of 12 honest photos is within about
    3 points of the camera's; fewer would leave a new terminal's first sessions uncalibrated
    for no gain. A terminal whose first sessions are all a stand-in's gains at most
    ``face_calibration_max_shift``, which still fails scores far below an honest camera's."""
    face_calibration_days: int = 30
    """Days before (and including) the session's day whose photos calibrate the terminal.
    [I] The same look-back as the fraud scan's photo comparison."""
    face_calibration_max_shift: int = 20
    """The most the pass mark may be lowered for a poor camera. [I] A terminal whose honest
    median is more than 20 points below the reference needs repair, not a lower bar."""
    photo_require_confidence: bool = False
    """Whether a photo without a confidence counts as failed. [I] Off: many terminals send none
    and the platform cannot judge them."""
    photo_modes: tuple[int, ...] = (Mode.PRACTICAL, Mode.CLASSROOM, Mode.SIMULATOR)
    """Modes whose sessions get the photo rules. [I] Remote teaching uses random face checks
    (standards.md §4.3) rather than timed photos, so remote is excluded by default."""
    photo_reuse_check: bool = False
    """Whether the audit voids a session for PHOTO_REUSED (two photos within
    ``photo_reuse_max_distance`` bits of pHash). [I] Off: a fixed in-car or classroom camera
    photographing one seated student gives honest photos within 0–2 bits (issue 19; the
    harder simulator's first run voided 69 % of sessions this way), and the audit has only the
    hash. The fraud scan judges the pictures themselves (PHOTO_FROZEN, PHOTO_REPLAYED) and a
    regulator voids the hours through a work order."""
    photo_reuse_max_distance: int = 2
    """Hamming distance (bits) at or below which two photo fingerprints are "the same photo".
    [I] A re-sent or photographed static picture differs by sensor noise only; live photos of a
    moving person differ by more. Provisional until measured on real photos."""

    # --- Session (SHORT_DISTANCE, VALID_SHARE) ---------------------------------------------
    short_distance_km: float = 0.1
    """A practical session with less total mileage is invalid. [V] F1 R1 (100 m)."""
    valid_share_min: float = 0.75
    """A session with a smaller share of valid minutes is invalid. [V] F1 R3 (75%)."""

    # --- Day (DAILY_CAP, OVERLAP) ------------------------------------------------------------
    daily_cap_practical_minutes: int = 240
    """Credited practical minutes per student per local day. [S] 2016 syllabus (P3, P4):
    4 学时; [V] the cheji terminal logs out at 240 min."""
    daily_cap_theory_minutes: int = 240
    """Credited classroom + simulator + remote minutes per student per local day. [S] 2016
    syllabus: classroom ≤ 4 学时 per day; simulator and remote are counted with it. [I]"""
    overlap_tolerance_seconds: int = 60
    """Overlap between two sessions shorter than this is clock skew, not a conflict. [I]"""
    overlap_skew_seconds: int = 150
    """Overlap tolerated at the edge between two sessions recorded by different terminals
    (one ends as the other begins: a coach's or student's back-to-back sessions in two cars).
    [I] Each terminal stamps its own clock; issue 19 saw honest clocks 1–2 minutes apart, and
    2.5 minutes leaves room for them. A session lying within another, or sessions on the same
    terminal, get only ``overlap_tolerance_seconds``; real double-booking overlaps by far
    more (the fraud detectors look for ≥ 5 minutes)."""

    def window(self, mode: int) -> tuple[time, time]:
        """Return the (start, end) of the allowed training window for a course mode."""
        prefix = {
            Mode.PRACTICAL: "practical",
            Mode.CLASSROOM: "classroom",
            Mode.SIMULATOR: "simulator",
            Mode.REMOTE: "remote",
        }.get(mode, "practical")
        return getattr(self, f"{prefix}_window_start"), getattr(self, f"{prefix}_window_end")

    def speed_limit(self, part: int) -> float | None:
        """Return the speed limit of a syllabus part, or ``None`` when the part has none."""
        return {2: self.speed_limit_part2_kmh, 3: self.speed_limit_part3_kmh}.get(part)

    def fingerprint(self) -> str:
        """Return a short stable hash of every value, used in the engine's ``rule_version``."""
        text = ";".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self))
        return hashlib.sha256(text.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class ThresholdOverride:
    """One configured value: ``field`` of :class:`Thresholds` set to ``value`` for a scope.

    ``effective_to`` is the last day on which the override is in force (inclusive); ``None``
    means open-ended.
    """

    scope_kind: str  # "province" | "city" | "institution"
    scope_code: str
    field: str
    value: Any
    effective_from: date
    effective_to: date | None = None


_FIELDS = {f.name: f for f in dataclasses.fields(Thresholds)}
_DEFAULTS = Thresholds()


def _parse_time(field: str, value: object) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"threshold {field}: expected a time such as '05:00', got {value!r}")


def coerce(field: str, value: object) -> object:
    """Check that ``field`` exists on :class:`Thresholds` and convert ``value`` to its type.

    Accepts what a JSON column can hold: a time may be given as "HH:MM[:SS]", a float as an
    int, a tuple as a list. Raises ``ValueError`` naming the field and the value otherwise.
    """
    if field not in _FIELDS:
        raise ValueError(f"unknown threshold field {field!r} (value {value!r})")
    default = getattr(_DEFAULTS, field)
    if isinstance(default, time):
        return _parse_time(field, value)
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise ValueError(f"threshold {field}: expected true or false, got {value!r}")
    if isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        raise ValueError(f"threshold {field}: expected a whole number ≥ 0, got {value!r}")
    if isinstance(default, float):
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return float(value)
        raise ValueError(f"threshold {field}: expected a number ≥ 0, got {value!r}")
    if isinstance(default, tuple):
        if isinstance(value, list | tuple) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            return tuple(value)
        raise ValueError(f"threshold {field}: expected a list of whole numbers, got {value!r}")
    raise ValueError(f"threshold {field}: unsupported type for {value!r}")  # pragma: no cover


def _validate(override: ThresholdOverride) -> object:
    if override.scope_kind not in SCOPE_RANK:
        raise ValueError(
            f"threshold {override.field}: unknown scope_kind {override.scope_kind!r} "
            f"(value {override.value!r})"
        )
    if override.effective_to is not None and override.effective_to < override.effective_from:
        raise ValueError(
            f"threshold {override.field}: effective_to {override.effective_to} is before "
            f"effective_from {override.effective_from} (value {override.value!r})"
        )
    return coerce(override.field, override.value)


def _applies(
    override: ThresholdOverride, *, province: str, city: str | None, inscode: str | None, on: date
) -> bool:
    wanted = {"province": province, "city": city, "institution": inscode}[override.scope_kind]
    if wanted is None or override.scope_code != wanted:
        return False
    if override.effective_from > on:
        return False
    return override.effective_to is None or on <= override.effective_to


def resolve(
    overrides: Iterable[ThresholdOverride],
    *,
    province: str,
    city: str | None,
    inscode: str | None,
    on: date,
) -> Thresholds:
    """Return the thresholds in force for an institution on a day.

    Every override is validated first (unknown field, wrong type, bad scope or date range
    raise ``ValueError`` naming the field and value), so a bad row fails loudly even when it
    does not apply today. Per field, among the overrides whose scope matches and whose date
    range contains ``on``, the most specific scope wins (institution > city > province), then
    the latest ``effective_from``. Two applicable overrides with the same scope and start
    but different values are a configuration conflict and raise ``ValueError``.
    """
    chosen: dict[str, tuple[tuple[int, date], object]] = {}
    for override in overrides:
        value = _validate(override)
        if not _applies(override, province=province, city=city, inscode=inscode, on=on):
            continue
        rank = (SCOPE_RANK[override.scope_kind], override.effective_from)
        current = chosen.get(override.field)
        if current is None or rank > current[0]:
            chosen[override.field] = (rank, value)
        elif rank == current[0] and value != current[1]:
            raise ValueError(
                f"threshold {override.field}: conflicting values {current[1]!r} and {value!r} "
                f"for the same {override.scope_kind} from {override.effective_from}"
            )
    values: dict[str, Any] = {name: value for name, (_, value) in sorted(chosen.items())}
    return dataclasses.replace(_DEFAULTS, **values)
