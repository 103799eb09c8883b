"""Rules across a student's sessions: OVERLAP and the per-day caps (DAILY_CAP).

OVERLAP looks at session intervals: the student's own sessions against each other, and
against other students' sessions (``Interval``) that share the coach or the car. DAILY_CAP
runs last, over the minutes that would otherwise be credited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from jiapei.audit.facts import Interval, Mode, SessionFact
from jiapei.audit.rules.common import minute_span, overlaps
from jiapei.audit.thresholds import Thresholds


def as_interval(session: SessionFact) -> Interval:
    """The session as an ``Interval`` (key, student, coach, car, start, end, mode)."""
    return Interval(
        key=session.key,
        student=session.student,
        coach=session.coach,
        car=session.car,
        start=session.start,
        end=session.end,
        mode=session.mode,
        device=session.device,
    )


def conflicting(a: Interval, b: Interval) -> bool:
    """Whether two sessions may not run at the same time.

    The same student can never be in two sessions at once, in any modes. A coach or a car is
    in conflict only when at least one of the two sessions is practical: one teacher taking a
    classroom of many students, or watching several simulators, is normal teaching.
    """
    if a.student == b.student:
        return True
    practical = Mode.PRACTICAL in (a.mode, b.mode)
    same_coach = a.coach is not None and a.coach == b.coach
    same_car = a.car is not None and a.car == b.car
    return practical and (same_coach or same_car)


def tolerance_seconds(a: Interval, b: Interval, thresholds: Thresholds) -> int:
    """How long ``a`` and ``b`` may overlap without conflict: ``overlap_skew_seconds`` when two
    different terminals recorded them and neither lies within the other (back-to-back sessions
    whose clocks differ), else ``overlap_tolerance_seconds``."""
    tolerance = thresholds.overlap_tolerance_seconds
    nested = (a.start <= b.start and b.end <= a.end) or (b.start <= a.start and a.end <= b.end)
    if a.device and b.device and a.device != b.device and not nested:
        tolerance = max(tolerance, thresholds.overlap_skew_seconds)
    return tolerance


def overlap_regions(
    session: Interval, candidates: Sequence[Interval], thresholds: Thresholds
) -> list[tuple[datetime, datetime]]:
    """Time regions in which ``session`` conflicts with any candidate, longer than the slack
    (:func:`tolerance_seconds`)."""
    regions = []
    for other in candidates:
        if other.key == session.key or not conflicting(session, other):
            continue
        low, high = max(session.start, other.start), min(session.end, other.end)
        if (high - low).total_seconds() > tolerance_seconds(session, other, thresholds):
            regions.append((low, high))
    return sorted(regions)


def overlap_minutes(
    sessions: Sequence[SessionFact], others: Sequence[Interval], thresholds: Thresholds
) -> list[int]:
    """OVERLAP: ids of the minutes that fall in a conflicting region of another session.

    Both sides of a conflict lose the overlapping minutes, because the audit cannot tell which
    of the two records is the true one. ``others`` entries with the key of one of the
    student's own sessions are ignored (the session itself is already known).
    """
    own = [as_interval(s) for s in sessions]
    own_keys = {i.key for i in own}
    candidates = own + [o for o in others if o.key not in own_keys]
    flagged: list[int] = []
    for session, interval in zip(sessions, own, strict=True):
        regions = overlap_regions(interval, candidates, thresholds)
        if not regions:
            continue
        for minute in session.minutes:
            start, end = minute_span(minute)
            if any(overlaps(start, end, low, high) for low, high in regions):
                flagged.append(minute.id)
    return sorted(flagged)


@dataclass(frozen=True)
class CapCandidate:
    """A minute that would be credited, as the daily cap sees it.

    ``order`` breaks ties between minutes with the same time (the engine passes the
    session's position), so the cap falls on the same minutes every run.
    """

    minute_id: int
    at: datetime
    mode: int
    order: int = 0


def cap_category(mode: int) -> str:
    """ "practical" for in-car minutes; "theory" for classroom, simulator and remote ones."""
    return "practical" if mode == Mode.PRACTICAL else "theory"


def daily_cap(candidates: Sequence[CapCandidate], thresholds: Thresholds) -> list[int]:
    """DAILY_CAP: ids of the candidates beyond the day's cap of their category, in time order.

    The day is the minute's local date. The first ``daily_cap_*_minutes`` candidates of a day
    and category keep their credit; every later one loses it.
    """
    caps = {
        "practical": thresholds.daily_cap_practical_minutes,
        "theory": thresholds.daily_cap_theory_minutes,
    }
    used: dict[tuple[date, str], int] = {}
    flagged: list[int] = []
    for candidate in sorted(candidates, key=lambda c: (c.at, c.order, c.minute_id)):
        bucket = (candidate.at.date(), cap_category(candidate.mode))
        count = used.get(bucket, 0)
        if count >= caps[bucket[1]]:
            flagged.append(candidate.minute_id)
        else:
            used[bucket] = count + 1
    return sorted(flagged)
