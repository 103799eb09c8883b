"""Session plans for the training-day simulator, and the violations planted in them.

A :class:`Plan` is one session placed in a :class:`Calendar` of busy students, coaches, cars and
terminals. :func:`honest` places a session that keeps every rule; :func:`plant` places the
session(s) carrying one planted violation of DESIGN §6; :func:`finish` gives a placed session
its GNSS track and photos, with the planted fault if any.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from jiapei.sim import tracks
from jiapei.sim.roster import Car, Learner, School

EPOCH = date(2020, 1, 1)
MINUTE = timedelta(minutes=1)
# Plants made of a few consecutive minutes of one behaviour (see ``tracks``).
BEHAVIOURS = {
    "ENGINE_OFF": (tracks.ENGINE_OFF, 3),
    "STATIONARY": (tracks.PARKED, 4),
    "NO_MILEAGE": (tracks.CREEP, 3),
    "OUT_OF_FENCE": (tracks.OUT, 3),
    "SPEED": (tracks.FAST, 2),
    "ODOMETER_GNSS_MISMATCH": (tracks.FROZEN, 6),
}
PHOTO_PLANTS = {"PHOTO_GAP", "SIGNIN_PHOTO_MISSING", "SIGNOUT_PHOTO_MISSING", "TWO_BAD_PHOTOS",
                "FACE_MISMATCH", "PHOTO_REUSED"}  # fmt: skip
PART2_PLANTS = {"SPEED", "TIME_WINDOW", "CROSS_DAY", "DAILY_CAP"}


@dataclass
class Shot:
    at: datetime
    event: int  # 17 sign-in, 5 timed, 18 sign-out
    confidence: int
    image: str  # seed of a live photo; "near:<seed>" for a near-copy (PHOTO_REUSED)
    # Whose face the photo shows (a portrait seed; None: the session's student) and, when > 0,
    # which slightly altered copy of the picture is sent (``photos.variant``): other bytes, the
    # same perceptual hash. Injected fraud (``sim.fraud``) uses both; honest shots use neither.
    face: int | None = None
    variant: int = 0
    # The harder simulator (``sim.camera``): the terminal's fixed camera (0: the older
    # ``sim.photos`` pictures) and, for injected fraud, the form of the copy or of the cover.
    camera: int = 0
    form: str = ""


@dataclass
class Plan:
    school: School
    student: Learner
    start: datetime
    minutes: int
    subjcode: str
    coach: str
    car: Car | None
    devnum: str
    planted: str | None = None
    injected: str | None = None  # the fraud pattern of ``sim.fraud`` this session carries
    fixes: list[tracks.MinuteFix] = field(default_factory=list)
    shots: list[Shot] = field(default_factory=list)
    fast_track: bool = False  # a fast-tracked student's theory (never given fraud)
    recnum: str = ""
    classid: str = ""
    form: str = ""  # the form of the injected pattern, or of the hard honest case

    @property
    def mode(self) -> int:
        return int(self.subjcode[0])

    @property
    def part(self) -> int:
        return int(self.subjcode[3])

    @property
    def end(self) -> datetime:
        return self.start + self.minutes * MINUTE


class Calendar:
    """Busy intervals per resource ("stu"/"coach"/"car"/"dev", number) with a gap between two
    uses: a car needs time to get from the ground to the route, a student a break."""

    GAP = timedelta(minutes=10)

    def __init__(self) -> None:
        self.busy: dict[tuple[str, str], list[tuple[datetime, datetime]]] = defaultdict(list)

    def free(self, keys: list[tuple[str, str]], start: datetime, end: datetime) -> bool:
        return all(
            end + self.GAP <= s or e + self.GAP <= start for k in keys for s, e in self.busy[k]
        )

    def take(self, keys: list[tuple[str, str]], start: datetime, end: datetime) -> None:
        for key in keys:
            self.busy[key].append((start, end))


# --- placing sessions --------------------------------------------------------------------------


def session_windows(school: School, day: date, mode: int, part: int) -> list[tuple[int, int]]:
    """Allowed [start, end) of a session as minutes of the day: part 3 in the route's hours."""
    if mode == 1 and part == 3:
        return [
            (_minutes(w["start"]), _minutes(w["end"]))
            for w in school.route_windows
            if day.isoweekday() in w.get("weekdays", range(1, 8))
        ]
    return {1: [(6 * 60, 22 * 60 + 30)], 2: [(8 * 60, 21 * 60)]}.get(mode, [(6 * 60, 23 * 60)])


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def subject_code(mode: int, part: int, klass: str) -> str:
    """The course code (``subjcode``, standards.md §1.5) of a session of ``mode`` in ``part``."""
    if mode == 1:
        return f"1{ {'C1': '21', 'C2': '22'}.get(klass, '21') }{part}{11 if part == 2 else 21}0000"
    # Theory: part 1 item 01 (laws and signals), part 4 item 41 (safe driving); no vehicle.
    return f"{mode}00{part}{'01' if part == 1 else '41'}0000"


def _place(
    rng: random.Random,
    cal: Calendar,
    day: date,
    windows: list[tuple[int, int]],
    minutes: int,
    keys: list[tuple[str, str]],
    coaches: list[str],
    cars: list[Car | None],
    *,
    practical: bool,
    exact: bool = False,
) -> tuple[datetime, str, Car | None] | None:
    """Find a start and a free coach and car; reserve them. ``exact`` starts at the window."""
    fitting = [w for w in windows if w[1] - w[0] >= minutes]
    midnight = datetime.combine(day, time())
    for _ in range(1 if exact else 25):
        if not fitting:
            return None
        low, high = rng.choice(fitting)
        first = low if exact else low + rng.randrange((high - low - minutes) // 5 + 1) * 5
        start = midnight + timedelta(minutes=first)
        end = start + minutes * MINUTE
        if not cal.free(keys, start, end):
            continue
        coach = next((c for c in rng.sample(coaches, len(coaches))
                      if not practical or cal.free([("coach", c)], start, end)), None)  # fmt: skip
        car = next((c for c in rng.sample(cars, len(cars))
                    if c is None or cal.free([("car", c.carnum)], start, end)), "none")  # fmt: skip
        if coach is None or car == "none":
            continue
        assert not isinstance(car, str)
        taken = keys + ([("coach", coach)] if practical else [])
        cal.take(taken + ([("car", car.carnum)] if car else []), start, end)
        return start, coach, car
    return None


def _practical_resources(school: School, student: Learner) -> tuple[list[str], list[Car | None]]:
    coaches = [c.number for c in school.coaches if student.klass in c.classes]
    return coaches, [c for c in school.cars if c.klass == student.klass]


def honest(
    rng: random.Random, cal: Calendar, school: School, student: Learner, day: date,
    mode: int, part: int, minutes: int, planted: str | None = None,
    not_before: datetime | None = None,
) -> list[Plan]:  # fmt: skip
    """A session that keeps every rule, in the allowed windows (from ``not_before`` on, if
    given); [] when none fits the calendar."""
    keys = [("stu", student.stunum)]
    if mode == 1:
        coaches, cars = _practical_resources(school, student)
        device = None
    else:
        coaches, cars = [school.teacher], [None]
        device = school.classroom_dev if mode == 2 else school.remote_dev
    windows = session_windows(school, day, mode, part)
    if not_before is not None:
        floor = (not_before - datetime.combine(day, time())) // MINUTE
        windows = [(max(low, floor), high) for low, high in windows]
    placed = _place(rng, cal, day, windows, minutes, keys, coaches, cars, practical=mode == 1)
    if placed is None:
        return []
    start, coach, car = placed
    devnum = car.devnum if car else str(device)
    subjcode = subject_code(mode, part, student.klass)
    return [Plan(school, student, start, minutes, subjcode, coach, car, devnum, planted)]


# --- planting violations -----------------------------------------------------------------------


def plant(
    rng: random.Random, cal: Calendar, school: School, student: Learner, day: date,
    code: str | None, mode: int, part: int, minutes: int,
) -> list[Plan]:  # fmt: skip
    """The sessions carrying planted violation ``code``; [] when it cannot be scheduled."""
    if code is None:
        return []
    if code in PHOTO_PLANTS:
        # Photo rules do not apply to remote teaching; take a classroom session instead.
        mode, part, minutes = (mode, part, rng.randrange(75, 121)) if mode != 4 else (2, 1, 90)
        return honest(rng, cal, school, student, day, mode, part, minutes, code)
    if code == "BEFORE_ENROL":
        # In class on a day before enrolment; the day shifts with the planning day so that two
        # such plants of one student never meet.
        when = student.applydate - timedelta(days=1 + (day - EPOCH).days % 30)
        start = datetime.combine(when, time(9, 0))
        subjcode = subject_code(2, 1, student.klass)
        return [Plan(school, student, start, 60, subjcode, school.teacher, None,
                     school.classroom_dev, code)]  # fmt: skip
    if code == "COACH_NOT_FILED" and mode != 1:
        plans = honest(rng, cal, school, student, day, mode, part, minutes, code)
        return [replace(p, coach=school.unfiled_coach) for p in plans]
    part = 2 if code in PART2_PLANTS else (part if mode == 1 else 2)
    coaches, cars = _practical_resources(school, student)
    keys = [("stu", student.stunum)]
    windows = session_windows(school, day, 1, part)
    exact = False
    devnum = None
    if code == "TIME_WINDOW":
        windows, minutes = [(3 * 60, 4 * 60 + 55)], rng.randrange(30, 51)
    elif code == "CROSS_DAY":
        windows, minutes, exact = [(23 * 60 + 30, 24 * 60 + 30)], 60, True
    elif code == "SHORT_DISTANCE":
        minutes = 20
    elif code == "COACH_NOT_FILED":
        coaches = [school.unfiled_coach]
    elif code == "COACH_CLASS":
        coaches = [c.number for c in school.coaches if student.klass not in c.classes]
    elif code == "DEVICE_UNBOUND":
        keys, devnum = [*keys, ("dev", school.spare_dev)], school.spare_dev
    if code == "DAILY_CAP":
        return _daily_cap(rng, cal, school, student, day, coaches, cars)
    if code == "OVERLAP":
        return _overlap(rng, cal, school, student, day, minutes, part)
    plan = _drive(rng, cal, school, student, day, windows, minutes, part, coaches, cars,
                  keys=keys, planted=code, exact=exact, devnum=devnum)  # fmt: skip
    return [plan] if plan else []


def _drive(
    rng: random.Random, cal: Calendar, school: School, student: Learner, day: date,
    windows: list[tuple[int, int]], minutes: int, part: int, coaches: list[str],
    cars: list[Car | None], *, keys: list[tuple[str, str]] | None = None,
    planted: str | None = None, exact: bool = False, coach_free: bool = True,
    devnum: str | None = None,
) -> Plan | None:  # fmt: skip
    """Place one practical session (``coach_free=False``: the coach may already be busy)."""
    keys = [("stu", student.stunum)] if keys is None else keys
    placed = _place(rng, cal, day, windows, minutes, keys, coaches, cars,
                    practical=coach_free, exact=exact)  # fmt: skip
    if placed is None:
        return None
    start, coach, car = placed
    if car is None:
        return None
    subjcode = subject_code(1, part, student.klass)
    return Plan(school, student, start, minutes, subjcode, coach, car, devnum or car.devnum,
                planted)  # fmt: skip


def _daily_cap(
    rng: random.Random, cal: Calendar, school: School, student: Learner, day: date,
    coaches: list[str], cars: list[Car | None],
) -> list[Plan]:  # fmt: skip
    """Three 100-minute part-2 sessions: the third exceeds the 240-minute day (it is marked)."""
    plans = []
    snapshot = {k: list(v) for k, v in cal.busy.items()}
    for low, high in ((6 * 60, 11 * 60 + 30), (11 * 60 + 30, 17 * 60), (17 * 60, 22 * 60 + 30)):
        plan = _drive(rng, cal, school, student, day, [(low, high)], 100, 2, coaches, cars)
        if plan is None:
            cal.busy = defaultdict(list, snapshot)
            return []
        plans.append(plan)
    plans[-1].planted = "DAILY_CAP"
    return plans


def _overlap(
    rng: random.Random, cal: Calendar, school: School, student: Learner, day: date,
    minutes: int, part: int,
) -> list[Plan]:  # fmt: skip
    """The student in two cars at once, or (when a classmate is free) one coach in two cars."""
    coaches, cars = _practical_resources(school, student)
    windows = session_windows(school, day, 1, part)
    one = _drive(rng, cal, school, student, day, windows, minutes, part, coaches, cars,
                 planted="OVERLAP")  # fmt: skip
    if one is None:
        return []
    begin = one.start.hour * 60 + one.start.minute
    slot = [(begin, begin + minutes)]
    others: list[Car | None] = [c for c in cars if c is not one.car]
    mates = [s for s in school.students if s.klass == student.klass and s is not student
             and s.applydate <= day]  # fmt: skip
    if mates and rng.random() < 0.5:  # the same coach in a second car with a classmate
        two = _drive(rng, cal, school, rng.choice(mates), day, slot, minutes, part, [one.coach],
                     others, planted="OVERLAP", exact=True, coach_free=False)  # fmt: skip
    else:  # the same student in a second car with another coach
        two = _drive(rng, cal, school, student, day, slot, minutes, part,
                     [c for c in coaches if c != one.coach], others, keys=[],
                     planted="OVERLAP", exact=True)  # fmt: skip
    if two is None:
        one.planted = None  # alone, the first half is an honest session
        return [one]
    return [one, two]


def finish(rng: random.Random, plan: Plan) -> None:
    """Give a placed session its GNSS track and photos, with the planted fault if any."""
    code, n = plan.planted, plan.minutes
    if plan.mode == 1:
        area = plan.school.ground if plan.part == 2 else plan.school.route
        behaviours = [tracks.DRIVE] * n
        if code in BEHAVIOURS:
            kind, length = BEHAVIOURS[code]
            first = rng.randrange(5, n - length - 4)
            behaviours[first : first + length] = [kind] * length
        elif code == "VALID_SHARE":
            behaviours[4 : 4 + (n * 3 + 4) // 5] = [tracks.OUT] * ((n * 3 + 4) // 5)
        elif code == "SHORT_DISTANCE":
            behaviours = [tracks.CRAWL] * n
        plan.fixes = tracks.drive(rng, area, plan.part, behaviours[:n])
        if code == "TELEPORT":
            plan.fixes = tracks.teleport(plan.fixes, rng.randrange(5, n - 5))
    seconds = timedelta(seconds=1)
    base = f"{plan.student.stunum}:{plan.start:%Y%m%d%H%M}"
    shots = [Shot(plan.start + rng.randrange(5, 21) * seconds, 17, 0, f"{base}:0")]
    k = 1
    while k * 15 < n - 1:
        shots.append(Shot(plan.start + k * 15 * MINUTE + rng.randrange(0, 21) * seconds, 5, 0,
                          f"{base}:{k}"))  # fmt: skip
        k += 1
    shots.append(Shot(plan.end - rng.randrange(5, 21) * seconds, 18, 0, f"{base}:{k}"))
    for shot in shots:
        shot.confidence = rng.randrange(80, 100)
    if code == "FACE_MISMATCH":
        shots[2].confidence = rng.randrange(20, 41)
    elif code == "PHOTO_REUSED":
        shots[3].image = f"near:{shots[2].image}"
    drop = {"SIGNIN_PHOTO_MISSING": [0], "SIGNOUT_PHOTO_MISSING": [len(shots) - 1],
            "PHOTO_GAP": [2], "TWO_BAD_PHOTOS": [2, 3]}.get(code or "", [])  # fmt: skip
    plan.shots = [s for i, s in enumerate(shots) if i not in drop]
