"""Detectors on sessions that overlap in time: one coach on two cars, one car with two
students, one student in two sessions at once (理论与实操交叉).

同一教练员同时在两辆教练车上带教、同一教练车同时培训两名学员、同一学员同时参加课堂（模拟器、远程）
与实车培训或同时参加两次培训，都不可能真实发生，至少有一次培训的学时是虚假的。

Two sessions overlap by ``min(ends) - max(starts)`` of their login–logout windows. A small
overlap is tolerated: terminals' clocks drift by seconds and a coach may log out of one car a
few minutes late while the next lesson starts; a fake lesson run at the same time as a real one
overlaps by most of its length. A pair is reported once, keyed by its two rnums sorted, when at
least one of the two is a session of the day; sessions of the look-back that run into the day
(across midnight) are partners too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from jiapei.fraud.detectors.base import Draft, ScanContext, SessionData

MODES = {1: "实车", 2: "课堂教学", 3: "模拟器", 4: "远程教学"}
MODES_EN = {1: "practical", 2: "classroom", 3: "simulator", 4: "remote"}


@dataclass(frozen=True)
class OverlapParams:
    """Smallest overlaps (minutes) reported; the honest simulator never overlaps at all."""

    # A coach handing over at the end of a lesson may stay logged in on the first car a few
    # minutes into the next one; five minutes covers that and clock drift.
    coach_min_overlap_minutes: float = 5.0
    # The same tolerance for a car whose next student logs in before the last one logged out.
    car_min_overlap_minutes: float = 5.0
    # A student walking from the classroom to the car may log out of the class a little late.
    student_min_overlap_minutes: float = 5.0


Pair = tuple[SessionData, SessionData, float]


def detect(context: ScanContext) -> list[Draft]:
    """Every overlap finding of ``context.day``, sorted by key (see the module docstring)."""
    params = getattr(context.params, "overlaps", None) or OverlapParams()
    today: dict[str, SessionData] = {}
    for session in context.sessions:
        today.setdefault(session.rnum, session)
    midnight = datetime.combine(context.day, datetime.min.time())
    pool = list(today.values())
    seen = set(today)
    for session in context.earlier:
        if session.rnum not in seen and session.end > midnight:
            seen.add(session.rnum)
            pool.append(session)

    practical = [s for s in pool if s.mode == 1]
    drafts = [
        _coach_two_cars(a, b, minutes, context)
        for a, b, minutes in _overlapping(
            # A coach may teach one classroom of many students, but not sit in a car while
            # teaching a classroom or in two cars: pairs need a car on at least one side.
            [s for s in pool if s.coach and (s.car or s.mode != 1)],
            group=lambda s: s.coach,
            differ=lambda a, b: (a.mode == 1 or b.mode == 1) and a.car != b.car,
            least=params.coach_min_overlap_minutes,
            today=today,
        )
    ]
    drafts += [
        _car_two_students(a, b, minutes, context)
        for a, b, minutes in _overlapping(
            [s for s in practical if s.car],
            group=lambda s: s.car,
            differ=lambda a, b: a.stunum != b.stunum,
            least=params.car_min_overlap_minutes,
            today=today,
        )
    ]
    drafts += [
        _student_cross(a, b, minutes, context)
        for a, b, minutes in _overlapping(
            pool,
            group=lambda s: s.stunum,
            differ=lambda a, b: True,
            least=params.student_min_overlap_minutes,
            today=today,
        )
    ]
    return sorted(drafts, key=lambda d: d.key)


def overlap_minutes(a: SessionData, b: SessionData) -> float:
    """Minutes during which both sessions were open (≤ 0 if they do not overlap)."""
    return (min(a.end, b.end) - max(a.start, b.start)).total_seconds() / 60


def _overlapping(
    sessions: Iterable[SessionData],
    *,
    group: Callable[[SessionData], object],
    differ: Callable[[SessionData, SessionData], bool],
    least: float,
    today: dict[str, SessionData],
) -> list[Pair]:
    """Pairs (sorted by rnum) of one group overlapping by ≥ ``least`` minutes, ``differ`` true.

    Within a group sorted by start, a sweep compares each session only with those starting
    before it ends, so a busy car costs its overlaps, not every pair of its sessions.
    """
    groups: dict[object, list[SessionData]] = defaultdict(list)
    for session in sessions:
        groups[group(session)].append(session)
    pairs: list[Pair] = []
    for members in groups.values():
        members.sort(key=lambda s: (s.start, s.rnum))
        for i, first in enumerate(members):
            for second in members[i + 1 :]:
                if second.start >= first.end:
                    break
                if first.rnum not in today and second.rnum not in today:
                    continue
                minutes = overlap_minutes(first, second)
                if minutes >= least and minutes > 0 and differ(first, second):
                    a, b = sorted((first, second), key=lambda s: s.rnum)
                    pairs.append((a, b, round(minutes, 1)))
    return pairs


def _window(a: SessionData, b: SessionData) -> str:
    """When both sessions were open, e.g. "2026-11-20 09:20—10:00"."""
    start, end = max(a.start, b.start), min(a.end, b.end)
    last = f"{end:%H:%M}" if start.date() == end.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M}—{last}"


def _fmt(number: float) -> str:
    return f"{number:g}"


def _evidence(a: SessionData, b: SessionData, minutes: float) -> dict[str, object]:
    """The minutes both sessions recorded while the other was open, and the two sessions."""
    start, end = max(a.start, b.start), min(a.end, b.end)
    inside = sorted(m.recordnum for s in (a, b) for m in s.minutes if start <= m.at < end)
    return {
        "photos": [],
        "minutes": inside,
        "sessions": [
            {
                "rnum": s.rnum,
                "stunum": s.stunum,
                "coach": s.coach,
                "car": s.car,
                "mode": s.mode,
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
            }
            for s in (a, b)
        ],
        "figures": {"overlap_minutes": minutes},
    }


def _draft(
    detector: str,
    pair: tuple[SessionData, SessionData, float],
    context: ScanContext,
    *,
    summary: str,
    summary_en: str,
    stunum: str | None = None,
    coach: str | None = None,
    car: str | None = None,
) -> Draft:
    a, b, minutes = pair
    return Draft(
        detector=detector,
        key=f"{detector}:{a.rnum}+{b.rnum}",
        severity="high",
        summary=summary,
        summary_en=summary_en,
        day=context.day,
        logs=[a.rnum, b.rnum],
        inscode=a.inscode,
        stunum=stunum,
        coach=coach,
        car=car,
        score=minutes,
        evidence=_evidence(a, b, minutes),
    )


def _coach_two_cars(a: SessionData, b: SessionData, minutes: float, context: ScanContext) -> Draft:
    """COACH_TWO_CARS: one coach logged in on two cars (or a car and a classroom) at once."""
    if a.mode != 1 or b.mode != 1:
        car, room = (a, b) if a.mode == 1 else (b, a)
        return _draft(
            "COACH_TWO_CARS",
            (a, b, minutes),
            context,
            coach=a.coach,
            summary=(
                f"教练员{a.coach}于{_window(a, b)}同时在教练车{car.car}上带教（学员{car.stunum}"
                f"的培训{car.rnum}）和在课堂授课（学员{room.stunum}的培训{room.rnum}），重叠"
                f"{_fmt(minutes)}分钟，至少一次培训疑似虚假带教。"
            ),
            summary_en=(
                f"Coach {a.coach} taught in car {car.car} (session {car.rnum} of student "
                f"{car.stunum}) and in a classroom (session {room.rnum} of student "
                f"{room.stunum}) at once, {_window(a, b)}, overlapping by {_fmt(minutes)} "
                "minutes; at least one is suspected fake."
            ),
        )
    return _draft(
        "COACH_TWO_CARS",
        (a, b, minutes),
        context,
        coach=a.coach,
        summary=(
            f"教练员{a.coach}于{_window(a, b)}同时在两辆教练车（{a.car}、{b.car}）上带教"
            f"（学员{a.stunum}的培训{a.rnum}、学员{b.stunum}的培训{b.rnum}），重叠{_fmt(minutes)}"
            "分钟，至少一次培训疑似虚假带教。"
        ),
        summary_en=(
            f"Coach {a.coach} taught on two cars ({a.car}, {b.car}) at once, {_window(a, b)}: "
            f"session {a.rnum} of student {a.stunum} and session {b.rnum} of student "
            f"{b.stunum} overlap by {_fmt(minutes)} minutes; at least one is suspected fake."
        ),
    )


def _car_two_students(
    a: SessionData, b: SessionData, minutes: float, context: ScanContext
) -> Draft:
    """CAR_TWO_STUDENTS: one car credited to two students at once."""
    return _draft(
        "CAR_TWO_STUDENTS",
        (a, b, minutes),
        context,
        car=a.car,
        coach=a.coach if a.coach == b.coach else None,
        summary=(
            f"教练车{a.car}于{_window(a, b)}同时为两名学员计时（学员{a.stunum}的培训{a.rnum}、"
            f"学员{b.stunum}的培训{b.rnum}），重叠{_fmt(minutes)}分钟，至少一次培训疑似虚假学时。"
        ),
        summary_en=(
            f"Car {a.car} recorded two students at once, {_window(a, b)}: session {a.rnum} of "
            f"student {a.stunum} and session {b.rnum} of student {b.stunum} overlap by "
            f"{_fmt(minutes)} minutes; at least one is suspected fake."
        ),
    )


def _student_cross(a: SessionData, b: SessionData, minutes: float, context: ScanContext) -> Draft:
    """THEORY_PRACTICE_CROSS: one student in two sessions at once (any modes)."""
    car = next((s.car for s in (a, b) if s.mode == 1 and s.car), None)
    coach = next((s.coach for s in (a, b) if s.mode == 1 and s.coach), a.coach or b.coach)
    if a.mode == b.mode == 1:
        what, what_en = f"同时在两辆教练车（{a.car}、{b.car}）上培训", "in two cars at once"
    elif a.mode == b.mode:
        what, what_en = f"同时参加两次{MODES[a.mode]}", f"in two {MODES_EN[a.mode]} sessions"
    else:
        what = f"同时参加{MODES.get(a.mode, '')}与{MODES.get(b.mode, '')}培训（理论与实操交叉）"
        what_en = (
            f"in a {MODES_EN.get(a.mode, '')} and a {MODES_EN.get(b.mode, '')} session at once"
        )
    return _draft(
        "THEORY_PRACTICE_CROSS",
        (a, b, minutes),
        context,
        stunum=a.stunum,
        car=car,
        coach=coach,
        summary=(
            f"学员{a.stunum}于{_window(a, b)}{what}（培训{a.rnum}、{b.rnum}），重叠"
            f"{_fmt(minutes)}分钟，至少一次培训的学时疑似虚假。"
        ),
        summary_en=(
            f"Student {a.stunum} was {what_en}, {_window(a, b)}: sessions {a.rnum} and "
            f"{b.rnum} overlap by {_fmt(minutes)} minutes; at least one is suspected fake."
        ),
    )
