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
from typing import Any

from jiapei.sim import hard, plants, tracks
from jiapei.sim.fraud_schedule import (
    carrier,
    fits_window,
    fresh_pair,
    night_session,
    second_car,
    shares_with_another,
    stage,
)
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
REPLAYS = frozenset({"PHOTO_REPLAYED", "FACE_SHARED", "TRACK_REPLAYED"})  # copy an earlier session
# Fresh sessions tried per session a day's minimum still lacks (see ``FraudInjector.add``).
MAKE_UP_ATTEMPTS = 4


# --- the injector ----------------------------------------------------------------------------


def _priority(pattern: str) -> tuple[int, bool]:
    group = 0 if pattern in PAIRED | {"NIGHT_IDLE_CAR"} else 1 if pattern in TRACK_PATTERNS else 2
    return group, pattern not in ("TRACK_REPLAYED", "PHOTO_REPLAYED", "FACE_SHARED")


class FraudInjector:
    """Injects :data:`PATTERNS` into the simulator's days (the ``sim.days.Injector`` hooks).

    Every day, each pattern is wanted ``max(need, share-based count)`` times, where ``need`` is
    ``ceil(missing / days left)``, ``missing`` what ``min_per_pattern`` still lacks, and the
    share-based count spreads ``share`` × the day's sessions over the patterns. Paired patterns
    count both their sessions. Targets are honest sessions (``planted`` and ``injected`` unset);
    a pattern that needs an earlier session takes one already sent (an earlier day) or one of
    the same day that ended before the target starts.

    The minimum does not depend on the day's draw: when the day's own sessions cannot carry a
    pattern's ``need`` (too few eligible sessions, no earlier session to copy, no free car for
    the pair, a weekend without morning route hours), the injector places fresh honest
    sessions for it (``fraud_schedule.carrier``: students with room under the daily cap, a
    source before the target for the replays) and injects the pattern there. On the last day
    ``need`` is all that is missing, so every pattern reaches ``min_per_pattern`` unless the
    world has no student, car or coach left for it that day (``shortfall`` in the evaluation).
    Everything is drawn from ``random.Random`` seeded by (seed, day), so a run is deterministic
    for its seed and first day, whatever the weekday.
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
        hard: bool = False,
    ) -> None:
        unknown = set(patterns) - set(PATTERNS)
        if unknown:
            raise ValueError(f"unknown fraud patterns {sorted(unknown)}; known: {PATTERNS}")
        self.seed = seed
        self.hard = hard  # the harder simulator of issue 19 (``sim.hard``)
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

    def need(self, day: date) -> dict[str, int]:
        """Sessions of each pattern the day must carry towards ``min_per_pattern``: what is still
        missing spread over the days left, so all of it on the last day."""
        left = max(1, (self.last_day - day).days + 1)
        return {p: -(-max(0, self.min_per_pattern - self.done[p]) // left) for p in self.patterns}

    def wanted(self, day: date, sessions: int) -> dict[str, int]:
        """How many sessions of each pattern the day should carry (see the class docstring)."""
        need = self.need(day)
        total = round(self.share * sessions)
        order = self.patterns[day.toordinal() % len(self.patterns) :]
        order += self.patterns[: day.toordinal() % len(self.patterns)]
        wanted = {}
        for position, pattern in enumerate(order):
            spread = total // len(order) + (position < total % len(order))
            wanted[pattern] = max(need[pattern], spread)
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
        # Keep two cars of the class in use, for honest training and the paired patterns. When no
        # school can spare a car that way (two cars of a class, as in the demo's world) and the
        # minimum needs the pattern today, keep one.
        for keep, wanted in ((2, count), (1, self.need(day)["NIGHT_IDLE_CAR"])):
            for school, car in choices:
                if len(self._idle) >= wanted:
                    break
                if (school, car) in self._idle or used[school.index] >= sum(
                    c.klass == car.klass for c in school.cars
                ) - keep:
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
                    new = night_session(rng, cal, day, self._idle)
                elif pattern in PAIRED:
                    new = self._pair(rng, cal, day, plans, pattern)
                else:
                    new = self._mark(rng, day, plans, pattern)
                if not new:
                    break
                made[pattern] += len(new)
                known = {id(p) for p in plans}
                plans += [p for p in new if id(p) not in known]
        # What the day's own sessions could not carry of the minimum goes on fresh sessions.
        need = self.need(day)
        for pattern in order:
            for _ in range(MAKE_UP_ATTEMPTS * need[pattern]):
                if made[pattern] >= need[pattern]:
                    break
                new = self._carried(rng, cal, schools, day, plans, pattern)
                made[pattern] += sum(p.injected == pattern for p in new)
        self.done.update(made)

    def finish(self, day: date, plans: list[Plan]) -> None:
        for plan in plans:
            rng = random.Random(f"{self.seed}:{day}:{plan.classid}:fraud")
            if plan.injected in PHOTO_PATTERNS | TRACK_PATTERNS:
                self._alter(rng, plan, self._sources.get(id(plan)))
                if self.hard and plan.injected in PHOTO_PATTERNS:
                    hard.photo_form(rng, plan, self._sources.get(id(plan)))
            elif self.hard and plan.injected is None and plan.planted is None and plan.mode == 1:
                hard.honest_track(rng, plan)
            if self.hard:
                hard.on_camera(plan)

    def sent(self, day: date, plans: list[Plan]) -> None:
        self.history += [p for p in plans if p.planted is None and p.injected is None]

    # -- session-changing patterns --

    def _candidates(
        self, day: date, plans: list[Plan], pattern: str, only: list[Plan] | None = None
    ) -> list[Plan]:
        # A session another one copies stays honest, so that the copy is of honest data.
        sources = {id(p) for p in self._sources.values()}
        honest = [
            p
            for p in (plans if only is None else only)
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

    def _mark(
        self,
        rng: random.Random,
        day: date,
        plans: list[Plan],
        pattern: str,
        only: list[Plan] | None = None,
    ) -> list[Plan]:
        candidates = self._candidates(day, plans, pattern, only)
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
            form = rng.choice(tracks.REPLAY_FORMS) if self.hard else "noisy"
            if self.hard:
                plan.form = form
            plan.fixes, _, _ = replayed_track(rng, source.fixes, plan.minutes, form, plan.fixes)

    def _next_copies(self, count: int) -> int:
        first = self._copy + 1
        self._copy += count
        return first

    # -- fresh sessions for the minimum --

    def _carried(
        self, rng: random.Random, cal: Calendar, schools: list[School], day: date,
        plans: list[Plan], pattern: str,
    ) -> list[Plan]:  # fmt: skip
        """Fresh honest sessions added to ``plans``, one of which (two for a pair) now carries
        ``pattern``; a replay gets a fresh source before its target. Returns the sessions that
        carry the pattern ([] when none could be placed; fresh honest sessions stay honest)."""
        if pattern == "NIGHT_IDLE_CAR":
            new = night_session(rng, cal, day, self._idle)
            plans += new
            return new
        if pattern in ("COACH_TWO_CARS", "CAR_TWO_STUDENTS"):
            new = fresh_pair(rng, cal, schools, day, plans, pattern)
            plans += new
            return new
        mode = 2 if pattern in PHOTO_PATTERNS else 1
        place: dict[str, Any] = {"mode": mode, "minutes": rng.randrange(60, 91)}
        if pattern in REPLAYS:
            source = carrier(rng, cal, schools, day, plans, **place)
            if source is None:
                return []
            plans.append(source)
            place = {"mode": mode, "minutes": rng.randrange(45, source.minutes + 1),
                     "not_before": source.end + MINUTE, "school": source.school}  # fmt: skip
            if pattern == "PHOTO_REPLAYED":
                place["student"] = source.student
            elif pattern == "TRACK_REPLAYED":
                place["part"] = source.part
        target = carrier(rng, cal, schools, day, plans, **place)
        if target is None:
            return []
        plans.append(target)
        if pattern in PAIRED:
            new = self._pair(rng, cal, day, plans, pattern, only=[target])
        else:
            new = self._mark(rng, day, plans, pattern, only=[target])
        known = {id(p) for p in plans}
        plans += [p for p in new if id(p) not in known]
        return new

    # -- schedule patterns --

    def _pair(
        self,
        rng: random.Random,
        cal: Calendar,
        day: date,
        plans: list[Plan],
        pattern: str,
        only: list[Plan] | None = None,
    ) -> list[Plan]:
        """A second session overlapping an honest practical one (see the module docstring)."""
        busy = Counter(p.student.stunum for p in plans)
        candidates = [
            p
            for p in self._candidates(day, plans, pattern, only)
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
                second = second_car(rng, cal, day, plans, first, start, minutes, pattern)
            if second is None:
                continue
            first.injected = pattern
            return [first, second]
        return []
