"""Overlap detectors: a coach on two cars, a car with two students, a student in two places."""

from __future__ import annotations

import itertools
import random
from datetime import date, datetime, time, timedelta

from jiapei.fraud.detectors.base import MinuteData, ScanContext, SessionData
from jiapei.fraud.detectors.overlaps import OverlapParams, detect, overlap_minutes
from jiapei.fraud.params import Params

DAY = date(2026, 11, 20)
_ids = itertools.count(1)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute))


def session(
    rnum: str,
    start: datetime,
    minutes: int = 60,
    *,
    stunum: str = "S1",
    coach: str | None = "C1",
    car: str | None = "K1",
    mode: int = 1,
    inscode: str = "I1",
) -> SessionData:
    """A session with one minute record per minute (recordnum ``<rnum>-<n>``)."""
    records = tuple(
        MinuteData(f"{rnum}-{n:03d}", start + timedelta(minutes=n), 30.0, 0.4, None, None,
                   None, True, True)
        for n in range(minutes)
    )  # fmt: skip
    return SessionData(
        log_id=next(_ids), rnum=rnum, stunum=stunum, inscode=inscode, platnum="P1",
        coach=coach, car=car, devnum="D-" + (car or "none"), mode=mode, part=2 if mode == 1 else 1,
        start=start, end=start + timedelta(minutes=minutes), minutes=records,
    )  # fmt: skip


def context(sessions, earlier=(), **params) -> ScanContext:
    return ScanContext(
        day=DAY,
        sessions=list(sessions),
        earlier=list(earlier),
        params=Params(overlaps=OverlapParams(**params)),
    )


def keys(drafts) -> list[str]:
    return [d.key for d in drafts]


# -- COACH_TWO_CARS -------------------------------------------------------------------------


def test_a_coach_on_two_cars_at_once():
    one = session("R2", at(9), stunum="S1", car="K1")
    two = session("R1", at(9, 20), stunum="S2", car="K2")
    drafts = detect(context([one, two]))
    assert keys(drafts) == ["COACH_TWO_CARS:R1+R2"]
    d = drafts[0]
    assert (d.severity, d.score, d.coach, d.car, d.stunum) == ("high", 40.0, "C1", None, None)
    assert d.logs == ["R1", "R2"]
    assert "教练员C1于2026-11-20 09:20—10:00同时在两辆教练车（K2、K1）上带教" in d.summary
    assert "重叠40分钟" in d.summary
    assert "Coach C1 taught on two cars (K2, K1) at once" in d.summary_en
    assert d.evidence["figures"] == {"overlap_minutes": 40.0}
    # The minutes both sessions recorded while the other was open: 09:20–09:59 of each.
    assert len(d.evidence["minutes"]) == 80
    assert "R1-000" in d.evidence["minutes"] and "R2-020" in d.evidence["minutes"]
    assert "R2-019" not in d.evidence["minutes"]


def test_a_coach_in_a_car_and_a_classroom_at_once_but_not_in_one_classroom_twice():
    car = session("R1", at(9), stunum="S1", car="K1")
    room = session("R2", at(9, 30), stunum="S2", car=None, mode=2)
    also_room = session("R3", at(9, 30), stunum="S3", car=None, mode=2)  # the same lesson
    drafts = [d for d in detect(context([car, room, also_room])) if d.detector == "COACH_TWO_CARS"]
    assert keys(drafts) == ["COACH_TWO_CARS:R1+R2", "COACH_TWO_CARS:R1+R3"]
    assert (
        "同时在教练车K1上带教（学员S1的培训R1）和在课堂授课（学员S2的培训R2）" in drafts[0].summary
    )


def test_a_late_logout_is_tolerated_and_the_bound_is_inclusive():
    one = session("R1", at(9), stunum="S1", car="K1")
    late = session("R2", at(9, 56), stunum="S2", car="K2")  # 4 minutes of overlap
    assert detect(context([one, late])) == []
    five = session("R2", at(9, 55), stunum="S2", car="K2")
    assert keys(detect(context([one, five]))) == ["COACH_TWO_CARS:R1+R2"]
    back_to_back = session("R2", at(10), stunum="S2", car="K2")
    assert detect(context([one, back_to_back], coach_min_overlap_minutes=0)) == []


def test_a_coach_teaching_a_class_is_not_on_two_cars():
    # A classroom lesson has one session per student, all with the same coach and no car.
    students = [session(f"R{n}", at(9), stunum=f"S{n}", car=None, mode=2) for n in range(5)]
    assert detect(context(students)) == []


# -- CAR_TWO_STUDENTS -----------------------------------------------------------------------


def test_one_car_with_two_students_at_once():
    one = session("R1", at(14), stunum="S1", coach="C1")
    two = session("R2", at(14, 30), 45, stunum="S2", coach="C1")
    drafts = detect(context([two, one]))
    assert keys(drafts) == ["CAR_TWO_STUDENTS:R1+R2"]
    d = drafts[0]
    assert (d.car, d.coach, d.stunum, d.score) == ("K1", "C1", None, 30.0)
    assert "教练车K1于2026-11-20 14:30—15:00同时为两名学员计时" in d.summary


def test_car_near_misses():
    one = session("R1", at(14), stunum="S1", coach="C1")
    # The next student logs in two minutes before the last one logs out: a handover.
    assert detect(context([one, session("R2", at(14, 58), stunum="S2", coach="C2")])) == []
    # Different cars and coaches: nothing shared.
    other = session("R2", at(14), stunum="S2", coach="C2", car="K2")
    assert detect(context([one, other])) == []


# -- THEORY_PRACTICE_CROSS ------------------------------------------------------------------


def test_a_student_in_a_classroom_and_a_car_at_once():
    car = session("R1", at(10), 60, coach="C1", car="K1")
    classroom = session("R2", at(9, 30), 90, coach="C9", car=None, mode=2)
    drafts = detect(context([car, classroom]))
    assert keys(drafts) == ["THEORY_PRACTICE_CROSS:R1+R2"]
    d = drafts[0]
    assert (d.stunum, d.car, d.coach, d.score) == ("S1", "K1", "C1", 60.0)
    assert "学员S1于2026-11-20 10:00—11:00同时参加实车与课堂教学培训（理论与实操交叉）" in d.summary
    assert "in a practical and a classroom session at once" in d.summary_en


def test_a_student_in_two_cars_at_once_is_also_a_cross():
    # The simulator's OVERLAP plant: the same student in a second car with another coach.
    one = session("R1", at(8), coach="C1", car="K1")
    two = session("R2", at(8), coach="C2", car="K2")
    drafts = detect(context([one, two]))
    assert keys(drafts) == ["THEORY_PRACTICE_CROSS:R1+R2"]
    assert "同时在两辆教练车（K1、K2）上培训" in drafts[0].summary


def test_student_near_misses():
    classroom = session("R2", at(8), 120, coach="C9", car=None, mode=2)
    after = session("R1", at(9, 57), coach="C1", car="K1")  # logged out of class 3 min late
    assert detect(context([classroom, after])) == []
    other_student = session("R3", at(9), stunum="S2", coach="C1", car="K1")
    assert detect(context([classroom, other_student])) == []


# -- the day and the look-back --------------------------------------------------------------


def test_a_session_of_the_evening_before_running_past_midnight_is_a_partner():
    yesterday = DAY - timedelta(days=1)
    night = session("R0", datetime.combine(yesterday, time(23, 30)), 60, car="K1")
    early = session("R1", at(0, 0), 60, stunum="S2", coach="C2", car="K1")
    drafts = detect(context([early], [night]))
    assert keys(drafts) == ["CAR_TWO_STUDENTS:R0+R1"]
    assert drafts[0].day == DAY
    # Two sessions of the look-back alone are not the day's business.
    older = session("R9", datetime.combine(yesterday, time(23, 40)), 60, stunum="S3", car="K1")
    assert keys(detect(context([], [night, older]))) == []


def test_keys_are_stable_across_rescans_and_input_order():
    rng = random.Random(5)
    sessions = [
        session("R1", at(9), stunum="S1", car="K1"),
        session("R2", at(9, 10), stunum="S2", car="K2"),  # coach C1 on K1 and K2
        session("R3", at(9, 30), stunum="S3", coach="C3", car="K2"),  # K2 with S2 and S3
        session("R4", at(9, 15), stunum="S1", coach=None, car=None, mode=3),  # S1 also in a sim
    ]
    first = detect(context(sessions))
    for _ in range(5):
        shuffled = rng.sample(sessions, len(sessions))
        again = detect(context(shuffled, earlier=shuffled[:2]))
        assert [(d.key, d.summary, d.logs, d.score) for d in again] == [
            (d.key, d.summary, d.logs, d.score) for d in first
        ]
    assert keys(first) == [
        "CAR_TWO_STUDENTS:R2+R3",
        "COACH_TWO_CARS:R1+R2",
        "THEORY_PRACTICE_CROSS:R1+R4",
    ]


def test_honest_busy_days_are_not_flagged():
    """A day of back-to-back lessons: each car and coach serves one student after another,
    students go from the classroom to a car, with logouts up to 3 minutes late."""
    rng = random.Random(11)
    sessions, n = [], 0
    for car in range(40):
        clock = at(7)
        for _ in range(8):
            minutes = rng.choice([45, 60, 90, 120])
            late = rng.randrange(0, 4)
            student = f"S{car:02d}{n % 8}"
            sessions.append(session(f"R{n:04d}", clock, minutes + late, stunum=student,
                                    coach=f"C{car}", car=f"K{car}"))  # fmt: skip
            n += 1
            clock += timedelta(minutes=minutes)
    for s in list(sessions):
        if s.start.hour >= 13:  # the morning in the classroom, before the afternoon's drive
            classroom = session(f"T{s.rnum}", at(8), 5 * 60 - 3, stunum=s.stunum,
                                coach="C99", car=None, mode=2)  # fmt: skip
            if overlap_minutes(classroom, s) <= 0:
                sessions.append(classroom)
    assert detect(context(sessions)) == []
