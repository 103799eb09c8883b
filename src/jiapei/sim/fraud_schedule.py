"""Where and when the simulator's injected fraud (``sim.fraud``) may place a session: the part
a student trains on, the allowed windows, whether a paired session meets only its partner, the
second session of a schedule pattern (:func:`second_car`), the night session in an idle car
(:func:`night_session`), and fresh honest sessions to carry a pattern the day's own sessions
could not (:func:`carrier`, :func:`fresh_pair`).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta

from jiapei.sim import plants
from jiapei.sim.plants import MINUTE, Calendar, Plan
from jiapei.sim.roster import Car, Learner, School

# Night sessions start 21:00–21:30 (minutes of the day) and run at least 30 minutes: the whole
# session lies in the night hours, and within the part-2 window that ends at 22:30.
NIGHT_STARTS = (21 * 60, 21 * 60 + 30)
NIGHT_END = 22 * 60 + 30


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


# Minutes a student may be credited a day per category (audit thresholds, 2016 syllabus): a
# fresh session must not push its student over, or the honest part of it would be void.
DAILY_CAP = 240


def carrier(
    rng: random.Random,
    cal: Calendar,
    schools: list[School],
    day: date,
    plans: list[Plan],
    *,
    mode: int,
    minutes: int,
    student: Learner | None = None,
    school: School | None = None,
    part: int | None = None,
    not_before: datetime | None = None,
) -> Plan | None:
    """A fresh honest session of ``mode`` (1 practical, 2 classroom) to carry an injected pattern
    that the day's own sessions could not: of ``student`` if given, else of an enrolled student
    (of ``school``, at ``part`` if given) with room for it under the daily cap, preferring those
    with no session that day; starting at ``not_before`` or later. None when nothing fits."""
    category = mode == 1
    used: Counter[str] = Counter()
    sessions: Counter[str] = Counter()
    for plan in plans:
        sessions[plan.student.stunum] += 1
        if (plan.mode == 1) == category:
            used[plan.student.stunum] += plan.minutes
    pool = [
        (home, s)
        for home in ([school] if school is not None else schools)
        for s in home.students
        if (student is None or s is student)
        and s.applydate <= day
        and used[s.stunum] + minutes <= DAILY_CAP
        and (part is None or _part(s, day, mode) == part)
    ]
    rng.shuffle(pool)
    pool.sort(key=lambda pair: sessions[pair[1].stunum])
    for home, learner in pool[:12]:
        made = plants.honest(
            rng, cal, home, learner, day, mode, _part(learner, day, mode), minutes,
            not_before=not_before,
        )  # fmt: skip
        if made:
            return made[0]
    return None


def _part(student: Learner, day: date, mode: int) -> int:
    """The part a fresh session of ``mode`` trains: the student's practical part, or the theory
    of its stage in the classroom (part 1 while on part 2, else part 4)."""
    practical = stage(student, day)
    return practical if mode == 1 else (1 if practical == 2 else 4)


def second_car(
    rng: random.Random,
    cal: Calendar,
    day: date,
    plans: list[Plan],
    first: Plan,
    start: datetime,
    minutes: int,
    pattern: str,
) -> Plan | None:
    """Another student (free all day) in the same car with any free coach, or in another
    free car of the class with the same coach."""
    assert first.car is not None
    school, end = first.school, start + minutes * MINUTE
    if not fits_window(school, day, 1, first.part, start, minutes):
        return None
    busy = {p.student.stunum for p in plans}
    coaches = {c.number: c.classes for c in school.coaches}
    mates = [
        s
        for s in school.students
        if s.stunum not in busy and s.applydate <= day and stage(s, day) == first.part
    ]
    rng.shuffle(mates)
    for mate in mates:
        if not cal.free([("stu", mate.stunum)], start, end):
            continue
        if pattern == "CAR_TWO_STUDENTS":
            if mate.klass != first.car.klass:
                continue
            free = [
                n
                for n, classes in coaches.items()
                if mate.klass in classes
                and n != first.coach
                and cal.free([("coach", n)], start, end)
            ]
            same = mate.klass in coaches.get(first.coach, frozenset())
            if same and (not free or rng.random() < 0.5):
                coach = first.coach
            elif free:
                coach = rng.choice(free)
            else:
                continue
            car = first.car
            cal.take(
                [("stu", mate.stunum)] + ([("coach", coach)] * (coach != first.coach)),
                start,
                end,
            )
        else:
            if mate.klass not in coaches.get(first.coach, frozenset()):
                continue
            cars = [
                c
                for c in school.cars
                if c.carnum != first.car.carnum
                and c.klass == mate.klass
                and cal.free([("car", c.carnum)], start, end)
            ]
            if not cars:
                continue
            coach, car = first.coach, rng.choice(cars)
            cal.take([("stu", mate.stunum), ("car", car.carnum)], start, end)
        return Plan(
            school,
            mate,
            start,
            minutes,
            plants.subject_code(1, first.part, mate.klass),
            coach,
            car,
            car.devnum,
            injected=pattern,
        )
    return None


def night_session(
    rng: random.Random, cal: Calendar, day: date, idle: list[tuple[School, Car]]
) -> list[Plan]:
    """A part-2 session late in the evening in one of the ``idle`` cars (kept idle all day by
    ``FraudInjector.reserve``; the car tried is taken off the list)."""
    while idle:
        school, car = idle.pop()
        first = NIGHT_STARTS[0] + rng.randrange((NIGHT_STARTS[1] - NIGHT_STARTS[0]) // 5 + 1) * 5
        minutes = rng.randrange(30, min(61, NIGHT_END - first + 1))
        start = datetime.combine(day, time()) + timedelta(minutes=first)
        end = start + minutes * MINUTE
        students = [
            s
            for s in school.students
            if s.klass == car.klass
            and s.applydate <= day
            and stage(s, day) == 2
            and cal.free([("stu", s.stunum)], start, end)
        ]
        coaches = [
            c.number
            for c in school.coaches
            if car.klass in c.classes and cal.free([("coach", c.number)], start, end)
        ]
        if not students or not coaches:
            continue
        student, coach = rng.choice(students), rng.choice(coaches)
        cal.take([("stu", student.stunum), ("coach", coach)], start, end)
        return [
            Plan(
                school,
                student,
                start,
                minutes,
                plants.subject_code(1, 2, student.klass),
                coach,
                car,
                car.devnum,
                injected="NIGHT_IDLE_CAR",
            )
        ]
    return []


def fresh_pair(
    rng: random.Random, cal: Calendar, schools: list[School], day: date, plans: list[Plan],
    pattern: str,
) -> list[Plan]:  # fmt: skip
    """Two fresh sessions at once, both carrying ``pattern``: one coach in two cars
    (COACH_TWO_CARS) or two students in one car (CAR_TWO_STUDENTS), for two students of a class
    and part with room for the session under the daily cap. The allowed windows are scanned in
    5-minute steps, so a slot is found whenever the day's calendar has one; [] when it has none."""
    first_minutes, second_minutes = rng.randrange(60, 91), rng.randrange(30, 61)
    used = practical_minutes(plans)
    options = []
    for school in schools:
        for klass in sorted({car.klass for car in school.cars}):
            for part in (2, 3):
                free = [
                    s
                    for s in school.students
                    if s.klass == klass and s.applydate <= day and stage(s, day) == part
                    and used[s.stunum] + first_minutes <= DAILY_CAP
                ]  # fmt: skip
                if len(free) >= 2:
                    options.append((school, klass, part, free))
    rng.shuffle(options)
    shift = rng.randrange((first_minutes - 30) // 5 + 1) * 5  # the second starts within the first
    span = max(first_minutes, shift + second_minutes)
    midnight = datetime.combine(day, time())
    for school, klass, part, free in options:
        # Students with no session that day first: they have the most free time.
        rng.shuffle(free)
        free.sort(key=lambda s: used[s.stunum] > 0)
        cars = [c for c in school.cars if c.klass == klass]
        coaches = [c.number for c in school.coaches if klass in c.classes]
        for low, high in plants.session_windows(school, day, 1, part):
            steps = list(range(low, high - span + 1, 5))
            turn = rng.randrange(len(steps)) if steps else 0
            for first in steps[turn:] + steps[:turn]:
                a = midnight + timedelta(minutes=first)
                b = a + shift * MINUTE
                a_end, b_end = a + first_minutes * MINUTE, b + second_minutes * MINUTE
                one = next((s for s in free if cal.free([("stu", s.stunum)], a, a_end)), None)
                two = next(
                    (s for s in free if s is not one and cal.free([("stu", s.stunum)], b, b_end)),
                    None,
                )
                if one is None or two is None:
                    continue
                chosen = _pair_resources(cal, pattern, cars, coaches, a, a_end, b, b_end)
                if chosen is None:
                    continue
                (coach_a, car_a), (coach_b, car_b) = chosen
                cal.take([("stu", one.stunum), ("coach", coach_a), ("car", car_a.carnum)], a, a_end)
                cal.take([("stu", two.stunum), ("coach", coach_b), ("car", car_b.carnum)], b, b_end)
                subjcode = plants.subject_code(1, part, klass)
                return [
                    Plan(school, one, a, first_minutes, subjcode, coach_a, car_a, car_a.devnum,
                         injected=pattern),
                    Plan(school, two, b, second_minutes, subjcode, coach_b, car_b, car_b.devnum,
                         injected=pattern),
                ]  # fmt: skip
    return []


def practical_minutes(plans: list[Plan]) -> Counter[str]:
    """Practical (in-car) minutes per student in ``plans``, as the daily cap counts them."""
    used: Counter[str] = Counter()
    for plan in plans:
        if plan.mode == 1:
            used[plan.student.stunum] += plan.minutes
    return used


def _pair_resources(
    cal: Calendar, pattern: str, cars: list[Car], coaches: list[str],
    a: datetime, a_end: datetime, b: datetime, b_end: datetime,
) -> tuple[tuple[str, Car], tuple[str, Car]] | None:  # fmt: skip
    """(coach, car) of the sessions [a, a_end) and [b, b_end): the same coach in two free cars
    (COACH_TWO_CARS), or one free car with two coaches, the same one if no other is free
    (CAR_TWO_STUDENTS); None when the calendar has none."""
    both = (min(a, b), max(a_end, b_end))
    if pattern == "COACH_TWO_CARS":
        coach = next((c for c in coaches if cal.free([("coach", c)], *both)), None)
        car_a = next((c for c in cars if cal.free([("car", c.carnum)], a, a_end)), None)
        car_b = next(
            (c for c in cars if c is not car_a and cal.free([("car", c.carnum)], b, b_end)), None
        )
        if coach is None or car_a is None or car_b is None:
            return None
        return (coach, car_a), (coach, car_b)
    car = next((c for c in cars if cal.free([("car", c.carnum)], *both)), None)
    coach_a = next((c for c in coaches if cal.free([("coach", c)], a, a_end)), None)
    if car is None or coach_a is None:
        return None
    others = [c for c in coaches if c != coach_a and cal.free([("coach", c)], b, b_end)]
    return (coach_a, car), ((others[0] if others else coach_a), car)
