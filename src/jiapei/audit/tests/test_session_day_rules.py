"""Session rules (SHORT_DISTANCE, VALID_SHARE) and day rules (OVERLAP, DAILY_CAP)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from jiapei.audit.facts import Mode
from jiapei.audit.rules.day import CapCandidate, conflicting, daily_cap, overlap_minutes
from jiapei.audit.rules.session import session_distance_km, short_distance, valid_share_fails
from jiapei.audit.tests import builders as b

T = b.thresholds()


def test_short_distance_under_100_m() -> None:
    crawl = b.session(1, b.when(9), 10)
    crawl = dataclasses.replace(
        crawl, minutes=tuple(dataclasses.replace(m, mileage=0.009) for m in crawl.minutes)
    )
    assert round(session_distance_km(crawl), 3) == 0.09
    assert short_distance(crawl, T)
    assert not short_distance(b.session(2, b.when(9), 10), T)


def test_short_distance_does_not_apply_to_classroom() -> None:
    assert not short_distance(b.session(1, b.when(9), 45, mode=Mode.CLASSROOM, part=1), T)


def test_distance_falls_back_to_reported_mileage_without_minutes() -> None:
    empty = b.session(1, b.when(9), 0, reported_mileage=0.5)
    assert session_distance_km(empty) == 0.5


def test_valid_share_threshold() -> None:
    assert valid_share_fails(100, 74, T)
    assert not valid_share_fails(100, 75, T)
    assert valid_share_fails(0, 0, T)


def test_student_in_two_sessions_at_once_across_modes() -> None:
    car = b.session(1, b.when(9), 60)
    remote = b.session(2, b.when(9, 30), 60, mode=Mode.REMOTE, part=1, coach=None)
    flagged = overlap_minutes([car, remote], [], T)
    car_hits = [m.at for m in car.minutes if m.id in flagged]
    remote_hits = [m.at for m in remote.minutes if m.id in flagged]
    assert car_hits[0] == b.when(9, 30, 59) and len(car_hits) == 30
    assert remote_hits[-1] == b.when(9, 59, 59) and len(remote_hits) == 30


def test_back_to_back_sessions_do_not_overlap() -> None:
    first = b.session(1, b.when(9), 60)
    second = b.session(2, b.when(10), 60)
    assert overlap_minutes([first, second], [], T) == []


def test_clock_skew_below_tolerance_is_not_overlap() -> None:
    first = b.session(1, b.when(9), 60)
    second = b.session(2, b.when(9, 59, 30), 60)
    assert overlap_minutes([first, second], [], T) == []


def test_coach_or_car_with_another_student() -> None:
    s = b.session(1, b.when(9), 60)
    other = b.interval(b.when(9, 45), b.when(10, 45), car="3201000000000V99")
    flagged = overlap_minutes([s], [other], T)
    assert len(flagged) == 15
    other_car = b.interval(b.when(9, 45), b.when(10, 45), coach="3201000000000C99")
    assert len(overlap_minutes([s], [other_car], T)) == 15
    unrelated = b.interval(b.when(9), b.when(10), coach="X", car="Y")
    assert overlap_minutes([s], [unrelated], T) == []


def test_classroom_teacher_with_many_students_is_not_overlap() -> None:
    lesson = b.session(1, b.when(9), 60, mode=Mode.CLASSROOM, part=1)
    classmate = b.interval(b.when(9), b.when(10), car=None, mode=Mode.CLASSROOM)
    me = b.interval(b.when(9), b.when(10), student=b.STUDENT, car=None, mode=Mode.CLASSROOM)
    assert not conflicting(me, classmate)
    assert conflicting(me, dataclasses.replace(classmate, student=b.STUDENT))
    assert overlap_minutes([lesson], [classmate], T) == []
    # The same teacher in a car at that time is a conflict.
    driving = b.interval(b.when(9), b.when(10), car=None, mode=Mode.PRACTICAL)
    assert len(overlap_minutes([lesson], [driving], T)) == 60


def test_others_with_an_own_session_key_are_ignored() -> None:
    s = b.session(1, b.when(9), 60)
    itself = b.interval(s.start, s.end, key=s.key, student=b.STUDENT)
    assert overlap_minutes([s], [itself], T) == []


def _candidates(start_hour: int, count: int, mode: int = Mode.PRACTICAL, first: int = 0):
    start = b.when(start_hour)
    return [
        CapCandidate(first + i, start + timedelta(minutes=i, seconds=59), mode)
        for i in range(count)
    ]


def test_daily_cap_voids_minutes_beyond_240_in_time_order() -> None:
    flagged = daily_cap(_candidates(8, 300), T)
    assert flagged == list(range(240, 300))
    assert daily_cap(_candidates(8, 240), T) == []


def test_daily_cap_counts_practical_and_theory_separately() -> None:
    practical = _candidates(8, 240)
    theory = _candidates(13, 240, Mode.CLASSROOM, first=1000)
    simulator = _candidates(18, 10, Mode.SIMULATOR, first=2000)
    flagged = daily_cap([*simulator, *theory, *practical], T)
    assert flagged == list(range(2000, 2010))


def test_daily_cap_resets_each_local_day() -> None:
    today = _candidates(8, 240)
    tomorrow = [
        dataclasses.replace(c, minute_id=c.minute_id + 1000, at=c.at + timedelta(days=1))
        for c in today
    ]
    assert daily_cap([*today, *tomorrow], T) == []
    assert daily_cap(today, b.thresholds(daily_cap_practical_minutes=180)) == list(range(180, 240))


def test_clock_skew_between_two_terminals_is_tolerated_at_the_edge() -> None:
    # A coach's back-to-back sessions in two cars whose terminals' clocks differ by 2 minutes.
    first = b.session(1, b.when(9), 60)
    mate = b.interval(b.when(9, 58), b.when(10, 58), car="3201000000000V99")
    assert len(overlap_minutes([first], [mate], T)) == 2  # same terminal unknown: 60 s only
    on_two = dataclasses.replace(first, device="D1")
    other_terminal = dataclasses.replace(mate, device="D2")
    assert overlap_minutes([on_two], [other_terminal], T) == []
    # More than the skew, or one session within the other, is still a conflict.
    longer = dataclasses.replace(other_terminal, start=b.when(9, 55))
    assert len(overlap_minutes([on_two], [longer], T)) == 5
    inside = dataclasses.replace(other_terminal, start=b.when(9, 20), end=b.when(9, 22))
    assert len(overlap_minutes([on_two], [inside], T)) == 2
    same_terminal = dataclasses.replace(mate, device="D1")
    assert len(overlap_minutes([on_two], [same_terminal], T)) == 2
