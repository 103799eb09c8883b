"""The fraud injector reaches its minimum whatever the first day: any weekday (part 3 has no
morning route hours at weekends), across a month end and a leap day, in a world too small for
the day's own sessions to carry every pattern. The plans are built in memory (``sim.days``
planning without the API), so dozens of runs cost a few seconds.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from itertools import combinations

import pytest

from jiapei.sim import fraud
from jiapei.sim.days import CODES, _plan_day
from jiapei.sim.plants import Calendar, Plan
from jiapei.sim.roster import Car, Coach, Learner, School
from jiapei.sim.tracks import Area

ROUTE_WINDOWS = [  # as ``sim.world`` files the police routes
    {"start": "09:00", "end": "11:30", "weekdays": [1, 2, 3, 4, 5]},
    {"start": "14:00", "end": "17:00", "weekdays": [1, 2, 3, 4, 5, 6, 7]},
]
# A Monday, the Sunday of a month end, the leap day, and the week around them.
STARTS = [date(2026, 12, 7) + timedelta(days=n) for n in range(7)] + [
    date(2027, 2, 27),
    date(2027, 3, 31),
    date(2028, 2, 28),
    date(2028, 2, 29),
]


def school(index: int, first_day: date, students: int, cars: int, rng: random.Random) -> School:
    """One school like ``sim.world`` files and ``sim.roster`` reads them: ``cars`` cars, the last
    one C2, three coaches and the C2-only one the roster adds, students enrolled 5 to 90 days
    before ``first_day`` (a quarter of them C2)."""
    code = f"43010{index:011d}"
    learners = [
        Learner(
            f"{code}S{i:03d}",
            "C2" if i % 4 == 3 else "C1",
            first_day - timedelta(days=rng.randrange(5, 90)),
            (index + 1) * 100000 + 500 + i,
            f"photo-{index}-{i}",
        )
        for i in range(students)
    ]
    return School(
        index=index,
        inscode=code,
        ground=Area(112.90, 28.20, 112.91, 28.21),
        route=Area(112.93, 28.22, 112.96, 28.25),
        route_windows=ROUTE_WINDOWS,
        coaches=[
            Coach(f"{code}C1", frozenset({"C1"})),
            Coach(f"{code}C2", frozenset({"C1", "C2"})),
            Coach(f"{code}C3", frozenset({"C1"})),
            Coach(f"{code}C4", frozenset({"C2"})),
        ],
        cars=[
            Car(f"湘A{index}000{n}", f"{code}D{n}", "C2" if n == cars - 1 else "C1")
            for n in range(cars)
        ],
        students=learners,
        teacher=f"{code}T",
        classroom_dev=f"{code}CLS",
        remote_dev=f"{code}WEB",
        spare_dev=f"{code}SPR",
        unfiled_coach=f"{code}X",
    )


def plan(
    first_day: date, *, days: int, schools: int, students: int, cars: int, share: float,
    seed: int, minimum: int, violation_share: float = 0.0, fast_track: int = 0,
) -> tuple[fraud.FraudInjector, list[list[Plan]]]:  # fmt: skip
    """The days' plans as ``simulate_days`` makes them, with the injector that marked them."""
    rng = random.Random(seed)
    world = [school(i, first_day, students, cars, rng) for i in range(schools)]
    injector = fraud.FraudInjector(
        seed=seed, first_day=first_day, days=days, share=share, min_per_pattern=minimum
    )
    played = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        plans = _plan_day(
            random.Random(f"{seed}:{day}"), world, day, violation_share, list(CODES),
            fast_track, injector,
        )  # fmt: skip
        injector.sent(day, plans)
        played.append(plans)
    return injector, played


def _overlap(a: Plan, b: Plan) -> bool:
    return a.start < b.end and b.start < a.end


def check_pairs(plans: list[Plan]) -> None:
    """The schedule patterns are really two sessions at once; no honest session shares their
    car or coach at that time (the evaluation would count it as an honest session flagged)."""
    mine = Counter(p.injected for p in plans if p.injected)
    for pattern in ("COACH_TWO_CARS", "CAR_TWO_STUDENTS"):
        marked = [p for p in plans if p.injected == pattern]
        assert mine[pattern] % 2 == 0, pattern
        same = (
            (lambda a, b: a.coach == b.coach and a.car != b.car)
            if pattern == "COACH_TWO_CARS"
            else (lambda a, b: a.car == b.car and a.student is not b.student)
        )
        assert sum(_overlap(a, b) and same(a, b) for a, b in combinations(marked, 2)) == (
            mine[pattern] // 2
        ), pattern
    cars = Calendar()
    for p in plans:
        if p.car is not None and p.injected not in ("COACH_TWO_CARS", "CAR_TWO_STUDENTS"):
            assert cars.free([("car", p.car.carnum)], p.start, p.end), p
            cars.take([("car", p.car.carnum)], p.start, p.end)


def check_caps(plans: list[Plan]) -> None:
    """No student goes over the daily cap of a category (240 minutes)."""
    used: Counter[tuple[str, bool]] = Counter()
    for p in plans:
        if p.planted is None:
            used[p.student.stunum, p.mode == 1] += p.minutes
    assert max(used.values()) <= 240


@pytest.mark.parametrize("first_day", STARTS, ids=str)
def test_every_pattern_reaches_the_minimum_whatever_the_first_day(first_day):
    """The fraud-evaluation test's tiny world: one school of 20 with four cars, two days, one
    of each pattern."""
    injector, played = plan(first_day, days=2, schools=1, students=20, cars=4, share=0.7,
                            seed=5, minimum=1)  # fmt: skip
    assert {p: n for p, n in injector.done.items() if n}.keys() >= set(fraud.PATTERNS)
    injected = Counter(p.injected for plans in played for p in plans if p.injected)
    assert injected == +injector.done
    for plans in played:
        check_pairs(plans)
        check_caps(plans)


@pytest.mark.parametrize("first_day", STARTS[:7], ids=str)
def test_the_demo_world_gets_every_pattern_whatever_the_weekday(first_day):
    """``jiapei demo``'s defaults: four schools of eight with three cars (two of them C1, so
    keeping a car idle all night leaves one in use), three days, a tenth of the sessions,
    planted violations too, and one fast-tracked student per school."""
    injector, played = plan(first_day, days=3, schools=4, students=8, cars=3, share=0.1,
                            seed=20260901, minimum=1, violation_share=0.15,
                            fast_track=1)  # fmt: skip
    assert all(injector.done[p] >= 1 for p in fraud.PATTERNS), injector.done
    for plans in played:
        check_pairs(plans)


def test_the_plan_is_the_same_for_the_same_seed_and_first_day():
    def fingerprint(seed: int) -> list[tuple[str, str | None, str]]:
        _, played = plan(date(2027, 3, 31), days=2, schools=1, students=20, cars=4, share=0.7,
                         seed=seed, minimum=1)  # fmt: skip
        return [(p.classid, p.injected, f"{p.start:%H%M}") for plans in played for p in plans]

    assert fingerprint(5) == fingerprint(5)
    assert fingerprint(5) != fingerprint(6)


def test_the_minimum_is_spread_over_the_days_and_completed_on_the_last():
    injector = fraud.FraudInjector(
        seed=1, first_day=date(2027, 2, 27), days=3, share=0.1, min_per_pattern=5
    )
    assert set(injector.need(date(2027, 2, 27)).values()) == {2}  # ceil(5 / 3)
    injector.done.update(dict.fromkeys(fraud.PATTERNS, 4))
    assert set(injector.need(date(2027, 3, 1)).values()) == {1}  # the last day: all of it
    injector.done.update(dict.fromkeys(fraud.PATTERNS, 1))
    assert set(injector.need(date(2027, 3, 1)).values()) == {0}
