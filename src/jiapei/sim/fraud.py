"""Hours-fraud patterns (anchors.md §2.4) injected into the simulator's honest training days.

Each pattern imitates one technique with randomised parameters, so that the detectors of
``fraud/detectors`` are measured on a family of forms rather than on one exact shape:

* 照片机: every photo of a session is the same picture (PHOTO_FROZEN), or copies of the photos
  of the student's earlier session (PHOTO_REPLAYED);
* 替学: a stand-in whose photos also appear in another student's session (FACE_SHARED), whose
  face scores low all along (FACE_LOW), or who takes over after the student signed in
  (FACE_FALLING);
* 跑马机 and emulators: speed and mileage while the fix stays put with a few metres of jitter
  (GNSS_STILL_MILEAGE), a scripted regular speed curve (SPEED_TOO_REGULAR), a track replayed
  from an earlier session with small noise (TRACK_REPLAYED);
* impossible schedules: one coach on two cars at once (COACH_TWO_CARS), one car with two
  students at once (CAR_TWO_STUDENTS), a student in a classroom and a car at once
  (THEORY_PRACTICE_CROSS), a night session in a car idle all day (NIGHT_IDLE_CAR).

The three schedule patterns make a pair of sessions; both carry the pattern, since the
detector cannot know (and the regulator must check) which of the two is the false one. Stage
bursts (STAGE_BURST) and school-level outliers (SCHOOL_*) are not injected: they need stage
submissions and whole schools, which the day simulator does not model.

:class:`FraudInjector` implements the ``sim.days.Injector`` hooks. The pure functions below it
build the altered tracks (``sim.tracks``) and photos (``sim.fraud_shots``) and are tested on
their own. Photos that copy another picture are sent as slightly altered copies
(``photos.variant``): a near-copy is the harder case for the detectors (an identical file is
stored as another photo too, and matches exactly).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from jiapei.sim import plants, tracks
from jiapei.sim.fraud_schedule import fits_window, shares_with_another, stage
from jiapei.sim.fraud_shots import (
    STAND_IN_FACES,
    copied_shots,
    falling_shots,
    frozen_shots,
    stand_in_shots,
)
from jiapei.sim.plants import MINUTE, Calendar, Plan
from jiapei.sim.roster import Car, School
from jiapei.sim.tracks import regular_profile, replayed_track, still_mileage

PATTERNS = (
    "PHOTO_FROZEN",
    "PHOTO_REPLAYED",
    "FACE_SHARED",
    "FACE_LOW",
    "FACE_FALLING",
    "GNSS_STILL_MILEAGE",
    "SPEED_TOO_REGULAR",
    "TRACK_REPLAYED",
    "COACH_TWO_CARS",
    "CAR_TWO_STUDENTS",
    "THEORY_PRACTICE_CROSS",
    "NIGHT_IDLE_CAR",
)
PAIRED = frozenset({"COACH_TWO_CARS", "CAR_TWO_STUDENTS", "THEORY_PRACTICE_CROSS"})
PHOTO_PATTERNS = frozenset(
    {"PHOTO_FROZEN", "PHOTO_REPLAYED", "FACE_SHARED", "FACE_LOW", "FACE_FALLING"}
)
TRACK_PATTERNS = frozenset({"GNSS_STILL_MILEAGE", "SPEED_TOO_REGULAR", "TRACK_REPLAYED"})
# Night sessions start 21:00–21:30 (minutes of the day) and run at least 30 minutes: the whole
# session lies in the night hours, and within the part-2 window that ends at 22:30.
NIGHT_STARTS = (21 * 60, 21 * 60 + 30)
NIGHT_END = 22 * 60 + 30


# --- the injector ----------------------------------------------------------------------------


def _priority(pattern: str) -> tuple[int, bool]:
    group = 0 if pattern in PAIRED | {"NIGHT_IDLE_CAR"} else 1 if pattern in TRACK_PATTERNS else 2
    return group, pattern not in ("TRACK_REPLAYED", "PHOTO_REPLAYED", "FACE_SHARED")


class FraudInjector:
    """Injects :data:`PATTERNS` into the simulator's days (the ``sim.days.Injector`` hooks).

    Every day, each pattern is wanted ``max(ceil(missing / days left), share-based count)``
    times, where ``missing`` is what ``min_per_pattern`` still lacks and the share-based count
    spreads ``share`` × the day's sessions over the patterns. Paired patterns count both their
    sessions. Targets are honest sessions (``planted`` and ``injected`` unset); a pattern that
    needs an earlier session takes one already sent (an earlier day) or one of the same day
    that ended before the target starts. Everything is drawn from ``random.Random`` seeded by
    (seed, day), so a run is deterministic for its seed.
    """

    def __init__(
        self,
        *,
        seed: int,
        first_day: date,
        days: int,
        share: float,
        min_per_pattern: int,
        patterns: Sequence[str] = PATTERNS,
    ) -> None:
        unknown = set(patterns) - set(PATTERNS)
        if unknown:
            raise ValueError(f"unknown fraud patterns {sorted(unknown)}; known: {PATTERNS}")
        self.seed = seed
        self.first_day = first_day
        self.last_day = first_day + timedelta(days=days - 1)
        self.share = share
        self.min_per_pattern = min_per_pattern
        self.patterns = [p for p in PATTERNS if p in patterns]
        self.done: Counter[str] = Counter()
        self.history: list[Plan] = []  # honest sessions sent on earlier days
        self._idle: list[tuple[School, Car]] = []
        self._copy = 0  # photo copy numbers, unique within a run
        # id(target plan) -> the session it copies: chosen in ``add``, applied in ``finish``.
        self._sources: dict[int, Plan] = {}

    # -- quotas --

    def wanted(self, day: date, sessions: int) -> dict[str, int]:
        """How many sessions of each pattern the day should carry (see the class docstring)."""
        left = max(1, (self.last_day - day).days + 1)
        total = round(self.share * sessions)
        order = self.patterns[day.toordinal() % len(self.patterns) :]
        order += self.patterns[: day.toordinal() % len(self.patterns)]
        wanted = {}
        for position, pattern in enumerate(order):
            missing = max(0, self.min_per_pattern - self.done[pattern])
            spread = total // len(order) + (position < total % len(order))
            wanted[pattern] = max(-(-missing // left), spread)
        return wanted

    # -- hooks --

    def reserve(self, cal: Calendar, schools: list[School], day: date) -> None:
        """Keep cars idle all day for NIGHT_IDLE_CAR (the night session is placed in ``add``)."""
        self._idle = []
        if "NIGHT_IDLE_CAR" not in self.patterns:
            return
        rng = random.Random(f"{self.seed}:{day}:fraud:reserve")
        enrolled = sum(s.applydate <= day for school in schools for s in school.students)
        count = self.wanted(day, round(enrolled * 0.9))["NIGHT_IDLE_CAR"]
        midnight = datetime.combine(day, time())
        # Only schools with at least two cars of the class keep honest training going.
        choices = [
            (school, car)
            for school in schools
            for car in school.cars
            if sum(c.klass == car.klass for c in school.cars) >= 2
            and any(
                s.klass == car.klass and stage(s, day) == 2 and s.applydate <= day
                for s in school.students
            )
        ]
        rng.shuffle(choices)
        used: Counter[int] = Counter()
        for school, car in choices:
            if len(self._idle) >= count:
                break
            # Keep two cars of the class in use, for honest training and the paired patterns.
            if used[school.index] >= sum(c.klass == car.klass for c in school.cars) - 2:
                continue
            used[school.index] += 1
            cal.take([("car", car.carnum)], midnight, midnight + timedelta(days=1))
            self._idle.append((school, car))

    def add(self, cal: Calendar, schools: list[School], day: date, plans: list[Plan]) -> None:
        rng = random.Random(f"{self.seed}:{day}:fraud")
        wanted = self.wanted(day, len(plans))
        self._sources = {}
        made: Counter[str] = Counter()
        # Scarce needs first: schedule patterns need free cars, coaches and students; the track
        # patterns need practical sessions; the replays need a source. Photo patterns prefer
        # classroom sessions (see ``_candidates``), which nothing else uses.
        order = sorted(self.patterns, key=_priority)
        for pattern in order:
            for _ in range(wanted[pattern] * 3):  # a bounded number of attempts
                if made[pattern] >= wanted[pattern]:
                    break
                if pattern == "NIGHT_IDLE_CAR":
                    new = self._night(rng, cal, day)
                elif pattern in PAIRED:
                    new = self._pair(rng, cal, day, plans, pattern)
                else:
                    new = self._mark(rng, day, plans, pattern)
                if not new:
                    break
                made[pattern] += len(new)
                known = {id(p) for p in plans}
                plans += [p for p in new if id(p) not in known]
        self.done.update(made)

    def finish(self, day: date, plans: list[Plan]) -> None:
        for plan in plans:
            if plan.injected in PHOTO_PATTERNS | TRACK_PATTERNS:
                rng = random.Random(f"{self.seed}:{day}:{plan.classid}:fraud")
                self._alter(rng, plan, self._sources.get(id(plan)))

    def sent(self, day: date, plans: list[Plan]) -> None:
        self.history += [p for p in plans if p.planted is None and p.injected is None]

    # -- session-changing patterns --

    def _candidates(self, day: date, plans: list[Plan], pattern: str) -> list[Plan]:
        # A session another one copies stays honest, so that the copy is of honest data.
        sources = {id(p) for p in self._sources.values()}
        honest = [
            p
            for p in plans
            if p.planted is None
            and p.injected is None
            and not p.fast_track
            and id(p) not in sources
        ]
        if pattern in PHOTO_PATTERNS:
            return [p for p in honest if p.mode in (1, 2) and p.minutes >= 45]
        return [p for p in honest if p.mode == 1 and p.minutes >= 30]

    def _earlier(self, plans: list[Plan], target: Plan) -> list[Plan]:
        """Honest sessions already sent, or of the same day and over before ``target``."""
        same_day = [
            p
            for p in plans
            if p.planted is None and p.injected is None and p.end + MINUTE <= target.start
        ]
        return self.history + same_day

    def _mark(self, rng: random.Random, day: date, plans: list[Plan], pattern: str) -> list[Plan]:
        candidates = self._candidates(day, plans, pattern)
        rng.shuffle(candidates)
        candidates.sort(key=lambda p: p.mode != 2)  # classroom first (photo patterns)
        for target in candidates:
            source = None
            if pattern == "PHOTO_REPLAYED":
                pool = [
                    p
                    for p in self._earlier(plans, target)
                    if p.student is target.student and p.mode in (1, 2)
                ]
                source = rng.choice(pool) if pool else None
            elif pattern == "FACE_SHARED":
                pool = [
                    p
                    for p in self._earlier(plans, target)
                    if p.school is target.school
                    and p.student is not target.student
                    and p.mode in (1, 2)
                ]
                source = rng.choice(pool) if pool else None
            elif pattern == "TRACK_REPLAYED":
                pool = [
                    p
                    for p in self._earlier(plans, target)
                    if p.school is target.school
                    and p.mode == 1
                    and p.part == target.part
                    and p.minutes >= target.minutes
                ]
                source = rng.choice(pool) if pool else None
            if pattern in ("PHOTO_REPLAYED", "FACE_SHARED", "TRACK_REPLAYED") and source is None:
                continue
            target.injected = pattern
            if source is not None:
                self._sources[id(target)] = source
            return [target]
        return []

    def _alter(self, rng: random.Random, plan: Plan, source: Plan | None) -> None:
        pattern = plan.injected
        face = plan.student.seed
        stand_in = STAND_IN_FACES + rng.randrange(10**6)
        if pattern == "PHOTO_FROZEN":
            plan.shots = frozen_shots(rng, plan.shots, face, self._next_copies(len(plan.shots)))
        elif pattern in ("PHOTO_REPLAYED", "FACE_SHARED"):
            assert source is not None
            plan.shots = copied_shots(
                rng,
                plan.shots,
                source.shots,
                source.student.seed,
                self._next_copies(len(plan.shots)),
            )
        elif pattern == "FACE_LOW":
            plan.shots = stand_in_shots(rng, plan.shots, stand_in)
        elif pattern == "FACE_FALLING":
            plan.shots = falling_shots(rng, plan.shots, stand_in)
        elif pattern == "GNSS_STILL_MILEAGE":
            area = plan.school.ground if plan.part == 2 else plan.school.route
            plan.fixes, _, _ = still_mileage(rng, area, plan.part, plan.minutes)
        elif pattern == "SPEED_TOO_REGULAR":
            area = plan.school.ground if plan.part == 2 else plan.school.route
            profile = regular_profile(rng, plan.part, plan.minutes)
            plan.fixes = tracks.drive(rng, area, plan.part, [tracks.DRIVE] * plan.minutes, profile)
        elif pattern == "TRACK_REPLAYED":
            assert source is not None
            plan.fixes, _, _ = replayed_track(rng, source.fixes, plan.minutes)

    def _next_copies(self, count: int) -> int:
        first = self._copy + 1
        self._copy += count
        return first

    # -- schedule patterns --

    def _pair(
        self, rng: random.Random, cal: Calendar, day: date, plans: list[Plan], pattern: str
    ) -> list[Plan]:
        """A second session overlapping an honest practical one (see the module docstring)."""
        busy = Counter(p.student.stunum for p in plans)
        candidates = [
            p
            for p in self._candidates(day, plans, pattern)
            if pattern != "THEORY_PRACTICE_CROSS" or busy[p.student.stunum] == 1
        ]
        rng.shuffle(candidates)
        for first in candidates[:20]:
            minutes = rng.randrange(30, 91)
            low = max(-20, 30 - minutes)
            start = (
                first.start + rng.randrange(low // 5, (first.minutes - 30) // 5 + 1) * 5 * MINUTE
            )
            end = start + minutes * MINUTE
            if shares_with_another(plans, first, start, end, pattern):
                # The pair must be exactly two sessions at once: a second session that also
                # overlapped the car's (or coach's) next honest session would make that one a
                # true positive the evaluation counts as an honest session flagged.
                continue
            school = first.school
            second: Plan | None
            if pattern == "THEORY_PRACTICE_CROSS":
                # Classroom theory of the student's stage: part 1 while on part 2, else part 4.
                theory = 1 if first.part == 2 else 4
                if not fits_window(school, day, 2, theory, start, minutes):
                    continue
                second = Plan(
                    school,
                    first.student,
                    start,
                    minutes,
                    plants.subject_code(2, theory, first.student.klass),
                    school.teacher,
                    None,
                    school.classroom_dev,
                    injected=pattern,
                )
                cal.take([("stu", first.student.stunum)], start, end)
            else:
                second = self._second_car(rng, cal, day, plans, first, start, minutes, pattern)
            if second is None:
                continue
            first.injected = pattern
            return [first, second]
        return []

    def _second_car(
        self,
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

    def _night(self, rng: random.Random, cal: Calendar, day: date) -> list[Plan]:
        """A part-2 session late in the evening in one of the cars kept idle by ``reserve``."""
        while self._idle:
            school, car = self._idle.pop()
            first = (
                NIGHT_STARTS[0] + rng.randrange((NIGHT_STARTS[1] - NIGHT_STARTS[0]) // 5 + 1) * 5
            )
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
