"""Where and when the simulator's injected fraud (``sim.fraud``) may place a session: the part
a student trains on, the allowed windows, and whether a paired session meets only its partner.
"""

from __future__ import annotations

from datetime import date, datetime

from jiapei.sim import plants
from jiapei.sim.plants import Calendar, Plan
from jiapei.sim.roster import Learner, School


def stage(student: Learner, day: date) -> int:
    """The practical part a student trains on (as ``sim.days`` plans it)."""
    return 3 if (day - student.applydate).days >= 30 else 2


def fits_window(school: School, day: date, mode: int, part: int, start: datetime, n: int) -> bool:
    """Whether [start, start + n minutes) lies in one allowed window of the mode and part."""
    first = start.hour * 60 + start.minute
    if start.date() != day:
        return False
    return any(
        low <= first and first + n <= high
        for low, high in plants.session_windows(school, day, mode, part)
    )


def shares_with_another(
    plans: list[Plan], first: Plan, start: datetime, end: datetime, pattern: str
) -> bool:
    """Whether [start, end) meets a session other than ``first`` in the car (CAR_TWO_STUDENTS)
    or of the coach (COACH_TWO_CARS), with the calendar's gap."""
    if pattern not in ("CAR_TWO_STUDENTS", "COACH_TWO_CARS"):
        return False
    for plan in plans:
        if plan is first:
            continue
        same = (
            plan.car is not None and first.car is not None and plan.car.carnum == first.car.carnum
            if pattern == "CAR_TWO_STUDENTS"
            else plan.coach == first.coach
        )
        if same and plan.start < end + Calendar.GAP and start < plan.end + Calendar.GAP:
            return True
    return False
