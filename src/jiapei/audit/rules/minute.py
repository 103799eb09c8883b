"""Minute-level rules over one session's 0x0203 minute records (standards.md §4.1, §4.3).

Single-minute checks look at one record against the registry facts ingest resolved;
sequence checks (STATIONARY, NO_MILEAGE, ODOMETER_GNSS_MISMATCH, TELEPORT) look at runs of
adjacent records of one session. Car, fence, engine, speed and movement rules apply only to
practical (实操) minutes: a classroom or remote minute has no car to move.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, time

from jiapei.audit.facts import MinuteFact, Mode, StudentFact
from jiapei.audit.reasons import ordered
from jiapei.audit.rules.common import distance_m, in_time_order, minute_span, runs
from jiapei.audit.thresholds import Thresholds


def _allowed(moment: time, start: time, end: time) -> bool:
    # A window whose start is after its end wraps midnight (e.g. 22:00–06:00).
    if start <= end:
        return start <= moment <= end
    return moment >= start or moment <= end


def outside_window(minute: MinuteFact, thresholds: Thresholds) -> bool:
    """TIME_WINDOW: whether any part of the minute lies outside its mode's allowed window."""
    start, end = thresholds.window(minute.mode)
    first, _ = minute_span(minute)
    return not (_allowed(first.time(), start, end) and _allowed(minute.at.time(), start, end))


def trained_class(minute: MinuteFact, student: StudentFact) -> str:
    """The vehicle class being trained: the course code's class, else the student's."""
    return minute.vehicle_class or student.vehicle_class


def single_minute_codes(
    minute: MinuteFact, *, student: StudentFact, session_day: date, thresholds: Thresholds
) -> list[str]:
    """Codes of the rules that need only this one minute, in canonical order.

    ``None`` in a registry fact means "unknown or not applicable" and never fails a rule:
    ingest is the place that decides whether an unknown coach is acceptable.
    """
    codes: list[str] = []
    if outside_window(minute, thresholds):
        codes.append("TIME_WINDOW")
    vehicle_class = trained_class(minute, student)
    if minute.coach_ok is False:
        codes.append("COACH_NOT_FILED")
    elif minute.coach_classes and vehicle_class and vehicle_class not in minute.coach_classes:
        codes.append("COACH_CLASS")
    if minute.device_ok is False:
        codes.append("DEVICE_UNBOUND")
    if minute.at.date() < student.enrolled_on:
        codes.append("BEFORE_ENROL")
    if minute.at.date() != session_day:
        codes.append("CROSS_DAY")
    if minute.mode == Mode.PRACTICAL:
        if minute.car_ok is False:
            codes.append("CAR_NOT_FILED")
        elif minute.car_class and vehicle_class and minute.car_class != vehicle_class:
            codes.append("CAR_CLASS")
        if minute.engine_rpm == 0:
            codes.append("ENGINE_OFF")
        if minute.in_fence is False:
            codes.append("OUT_OF_FENCE")
        limit = thresholds.speed_limit(minute.part)
        if limit is not None and minute.max_speed > limit:
            codes.append("SPEED")
    return ordered(codes)


def _practical(minutes: Sequence[MinuteFact]) -> list[MinuteFact]:
    return [m for m in in_time_order(minutes) if m.mode == Mode.PRACTICAL]


def stationary(minutes: Sequence[MinuteFact], thresholds: Thresholds) -> list[int]:
    """STATIONARY: ids of practical minutes in runs of ≥ N adjacent minutes at speed 0."""
    flagged: list[int] = []
    zero = thresholds.stationary_max_speed_kmh
    for run in runs(_practical(minutes), lambda m: m.max_speed <= zero):
        if len(run) >= thresholds.stationary_minutes:
            flagged.extend(run)
    return sorted(flagged)


def no_mileage(minutes: Sequence[MinuteFact], thresholds: Thresholds) -> list[int]:
    """NO_MILEAGE: ids of practical minutes in runs of ≥ N adjacent minutes with 0 mileage.

    A zero-mileage minute of a car that is moving by its speed and its GNSS fix, by less than
    the wire's 0.1 km step can hide, is not "no mileage": below 6 km/h a minute's distance
    rounds to 0 (``Thresholds.no_mileage_moving_speed_kmh``, ``no_mileage_moving_m``,
    ``no_mileage_step_m``). Without a fix on both sides the movement is not confirmed.
    """
    practical = _practical(minutes)
    stale = stale_fixes(minutes, thresholds)
    moving: set[int] = set()
    previous: tuple[float, float] | None = None
    for minute in practical:
        here = None if minute.id in stale else fix(minute)
        fast = minute.max_speed >= thresholds.no_mileage_moving_speed_kmh
        if fast and here is not None and previous is not None:
            moved = distance_m(*previous, *here)
            if thresholds.no_mileage_moving_m <= moved <= thresholds.no_mileage_step_m:
                moving.add(minute.id)
        if here is not None:
            previous = here
    flagged: list[int] = []
    zero = thresholds.no_mileage_max_km
    for run in runs(practical, lambda m: m.mileage <= zero and m.id not in moving):
        if len(run) >= thresholds.no_mileage_minutes:
            flagged.extend(run)
    return sorted(flagged)


def fix(minute: MinuteFact) -> tuple[float, float] | None:
    """The minute's GNSS fix as (lng, lat), or ``None`` when absent.

    Terminals without a fix send zeros; (0, 0) lies in the Gulf of Guinea, so it is treated as
    "no fix" rather than as a position that would look like a teleport.
    """
    if minute.lng is None or minute.lat is None or (minute.lng == 0 and minute.lat == 0):
        return None
    return minute.lng, minute.lat


def stale_fixes(minutes: Sequence[MinuteFact], thresholds: Thresholds) -> set[int]:
    """Ids of practical minutes whose fix repeats the previous minute's fix exactly, in runs of
    at most ``gnss_stale_max_minutes``: a GNSS dropout during which the terminal resends its
    last fix (see the threshold). Such a minute has no fix of its own."""
    stale: set[int] = set()
    current: list[int] = []
    previous: tuple[float, float] | None = None
    for minute in [*_practical(minutes), None]:
        here = fix(minute) if minute is not None else None
        if minute is not None and here is not None and here == previous:
            current.append(minute.id)
            continue
        if len(current) <= thresholds.gnss_stale_max_minutes:
            stale.update(current)
        current = []
        previous = here
    return stale


def odometer_gnss_mismatch(minutes: Sequence[MinuteFact], thresholds: Thresholds) -> list[int]:
    """ODOMETER_GNSS_MISMATCH (跑马机): mileage claimed while the car does not move.

    Over every window of ``odometer_window_minutes`` adjacent practical minutes that all have a
    fix, the window is flagged when no two fixes are more than ``odometer_spread_m`` apart and
    the minutes together claim at least ``odometer_min_km``. An honest car
    circling a small ground moves between fixes taken a minute apart, and it would have to
    come back to the same spot at the same second of several consecutive minutes to look
    parked, which varying speeds make practically impossible.
    """
    size = thresholds.odometer_window_minutes
    ordered_minutes = _practical(minutes)
    stale = stale_fixes(minutes, thresholds)
    flagged: set[int] = set()
    for index in range(len(ordered_minutes) - size + 1):
        window = ordered_minutes[index : index + size]
        fixes = [None if m.id in stale else fix(m) for m in window]
        points = [p for p in fixes if p is not None]
        if len(points) < size:
            continue
        if sum(m.mileage for m in window) < thresholds.odometer_min_km:
            continue
        spread = max(
            (distance_m(a[0], a[1], c[0], c[1]) for a, c in itertools.combinations(points, 2)),
            default=0.0,
        )
        if spread <= thresholds.odometer_spread_m:
            flagged.update(m.id for m in window)
    return sorted(flagged)


def teleport(minutes: Sequence[MinuteFact], thresholds: Thresholds) -> list[int]:
    """TELEPORT: both minutes of every pair of consecutive fixes with an impossible speed.

    Consecutive means neighbours among the practical minutes that have a fix of their own (a
    repeated fix after a dropout is none: the jump to the next real fix spans the dropout).
    We cannot tell which of the two fixes is wrong, so both minutes lose their credit.
    """
    stale = stale_fixes(minutes, thresholds)
    with_fix = [m for m in _practical(minutes) if fix(m) is not None and m.id not in stale]
    flagged: set[int] = set()
    for before, after in itertools.pairwise(with_fix):
        seconds = (after.at - before.at).total_seconds()
        if seconds <= 0:
            continue
        a, b = fix(before), fix(after)
        assert a is not None and b is not None  # filtered above; narrows the type for mypy
        speed_kmh = distance_m(a[0], a[1], b[0], b[1]) / seconds * 3.6
        if speed_kmh > thresholds.teleport_speed_kmh:
            flagged.update((before.id, after.id))
    return sorted(flagged)


def session_minute_codes(
    minutes: Sequence[MinuteFact],
    *,
    student: StudentFact,
    session_day: date,
    thresholds: Thresholds,
) -> dict[int, list[str]]:
    """Return every minute-level code of this module for each minute id of one session.

    ``session_day`` is the local date the session started on (for CROSS_DAY).
    """
    codes = {
        m.id: single_minute_codes(
            m, student=student, session_day=session_day, thresholds=thresholds
        )
        for m in minutes
    }
    sequence_rules = (
        ("STATIONARY", stationary),
        ("NO_MILEAGE", no_mileage),
        ("ODOMETER_GNSS_MISMATCH", odometer_gnss_mismatch),
        ("TELEPORT", teleport),
    )
    for code, rule in sequence_rules:
        for minute_id in rule(minutes, thresholds):
            codes[minute_id].append(code)
    # A minute without a fix of its own (none sent, or the last one repeated during a
    # dropout) cannot be placed outside the fence: its position is unknown.
    stale = stale_fixes(minutes, thresholds)
    for minute in minutes:
        if "OUT_OF_FENCE" in codes[minute.id] and (fix(minute) is None or minute.id in stale):
            codes[minute.id].remove("OUT_OF_FENCE")
    return {minute_id: ordered(found) for minute_id, found in codes.items()}
