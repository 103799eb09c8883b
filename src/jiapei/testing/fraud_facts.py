"""Hand-built and simulated facts for the fraud detectors' tests.

Honest traffic comes from the simulator's own planning and track functions
(:func:`jiapei.sim.days._plan_day`, :func:`jiapei.sim.plants.finish`, :mod:`jiapei.sim.tracks`)
on schools built here without a database, so the false-positive checks see exactly the tracks
that ``jiapei simulate`` sends. :func:`minute`, :func:`walk`, :func:`shift`, :func:`session` and
:func:`context` build the detectors' inputs by hand.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from jiapei.fraud.detectors.base import Draft, MinuteData, ScanContext, SessionData
from jiapei.fraud.params import Params
from jiapei.sim import days, tracks
from jiapei.sim.plants import MINUTE, Plan
from jiapei.sim.roster import Car, Coach, Learner, School
from jiapei.sim.world import square

DAY = date(2026, 3, 2)  # a Monday: part-3 route hours apply
CENTRE = (112.94, 28.23)


def make_school(index: int, *, centre: tuple[float, float] = CENTRE, students: int = 12) -> School:
    """A school like ``sim.roster.prepare`` builds, without filing anything: a 800 m ground near
    ``centre``, the city's 3 km road route, three coaches, three cars and some students."""
    rng = random.Random(f"school:{index}")
    site = (centre[0] + rng.uniform(-0.05, 0.05), centre[1] + rng.uniform(-0.05, 0.05))
    inscode = f"43010{index:011d}"
    coaches = [Coach(f"4301{index:04d}{n:010d}", frozenset({"C1", "C2"})) for n in range(3)]
    coaches.append(Coach(f"4301{index:04d}{9:010d}", frozenset({"C1"})))
    cars = [
        Car(f"43A{index:03d}{n:02d}", f"{index:012d}{n:04d}", "C1" if n < 2 else "C2")
        for n in range(3)
    ]
    applied = DAY - timedelta(days=60)
    learners = [
        Learner(
            f"4301{index:04d}{n:08d}",
            "C1" if n % 4 else "C2",
            applied + timedelta(days=n * 5),
            (index + 1) * 100000 + 500 + n,
            f"photo{n}",
        )
        for n in range(students)
    ]
    return School(
        index,
        inscode,
        tracks.Area.from_wire(square(site, 0.4)),
        tracks.Area.from_wire(square((centre[0] + 0.03, centre[1] + 0.02), 1.5)),
        [
            {"start": "09:00", "end": "11:30", "weekdays": [1, 2, 3, 4, 5]},
            {"start": "14:00", "end": "17:00", "weekdays": [1, 2, 3, 4, 5, 6, 7]},
        ],
        coaches,
        cars,
        learners,
        f"T{index}",
        f"CLS{index}",
        f"WEB{index}",
        f"SPR{index}",
        f"U{index}",
    )


def session_from_plan(plan: Plan) -> SessionData:
    """The SessionData the loader would build from a simulated session."""
    minutes = []
    for i in range(plan.minutes):
        at = plan.start + (i + 1) * MINUTE - timedelta(seconds=1)
        fix = plan.fixes[i] if plan.fixes else None
        minutes.append(
            MinuteData(
                recordnum=f"{plan.devnum}{at:%y%m%d}{i + 1:04d}",
                at=at,
                max_speed=fix.max_speed if fix else 0.0,
                mileage=fix.mileage if fix else 0.0,
                lng=fix.lng if fix else None,
                lat=fix.lat if fix else None,
                engine_rpm=fix.rpm if fix else None,
                accepted=True,
                valid=True,
            )
        )
    return SessionData(
        log_id=abs(hash((plan.student.stunum, plan.recnum, plan.start))) % 10**9,
        rnum=plan.student.stunum + plan.recnum,
        stunum=plan.student.stunum,
        inscode=plan.school.inscode,
        platnum="A0001",
        coach=plan.coach,
        car=plan.car.carnum if plan.car else None,
        devnum=plan.devnum,
        mode=plan.mode,
        part=plan.part,
        start=plan.start,
        end=plan.end,
        minutes=tuple(minutes),
        audit_status="valid",
        credited_minutes=plan.minutes,
        reported_mileage=round(sum(m.mileage for m in minutes), 1),
    )


def honest_days(
    schools: Sequence[School], first: date, count: int, *, seed: int = 7, codes: Sequence[str] = ()
) -> dict[date, list[SessionData]]:
    """``count`` simulated days of the schools' sessions (honest unless ``codes`` plants some)."""
    result = {}
    for offset in range(count):
        day = first + timedelta(days=offset)
        share = 0.3 if codes else 0.0
        plans = days._plan_day(
            random.Random(f"{seed}:{day}"), list(schools), day, share, list(codes)
        )
        result[day] = [session_from_plan(p) for p in plans]
    return result


def minute(
    at: datetime,
    *,
    speed: float = 30.0,
    km: float = 0.5,
    lng: float | None = 112.9,
    lat: float | None = 28.2,
    n: int = 1,
    dev: str = "DEV0000000000001",
) -> MinuteData:
    return MinuteData(f"{dev}{at:%y%m%d}{n:04d}", at, speed, km, lng, lat, 1800, True, True)


def session(
    minutes: Sequence[MinuteData] = (),
    *,
    rnum: str = "R1",
    start: datetime | None = None,
    length: int | None = None,
    mode: int = 1,
    part: int = 2,
    car: str | None = "湘A00001",
    stunum: str = "S1",
    inscode: str = "I1",
    credited: int | None = None,
    coach: str | None = "C1",
) -> SessionData:
    if start is None:
        # The detectors' facts are naive Shanghai wall-clock times (fraud.loading).
        start = minutes[0].at - timedelta(seconds=59) if minutes else datetime(2026, 3, 2, 9)  # noqa: DTZ001
    length = length if length is not None else max(len(minutes), 1)
    return SessionData(
        log_id=hash(rnum) % 10**9,
        rnum=rnum,
        stunum=stunum,
        inscode=inscode,
        platnum="A0001",
        coach=coach,
        car=car,
        devnum="DEV0000000000001",
        mode=mode,
        part=part,
        start=start,
        end=start + timedelta(minutes=length),
        minutes=tuple(minutes),
        audit_status="valid",
        credited_minutes=length if credited is None else credited,
    )


def context(
    sessions: Sequence[SessionData], *, earlier: Sequence[SessionData] = (), params: object = None
) -> ScanContext:
    return ScanContext(
        day=sessions[0].day if sessions else DAY,
        sessions=list(sessions),
        params=params or Params(),
        earlier=list(earlier),
    )


def codes(drafts: Sequence[Draft], detector: str) -> list[Draft]:
    return [d for d in drafts if d.detector == detector]


def shift(
    track: Sequence[MinuteData], *, metres: float, rng: random.Random, start: datetime
) -> list[MinuteData]:
    """A copy of a track starting at ``start`` with every fix moved up to ``metres`` per axis."""
    result = []
    for i, m in enumerate(track):
        assert m.lng is not None and m.lat is not None
        dx, dy = rng.uniform(-metres, metres), rng.uniform(-metres, metres)
        lng = round(m.lng + dx / (111_320 * math.cos(math.radians(m.lat))), 6)
        lat = round(m.lat + dy / 111_320, 6)
        at = start + (i + 1) * MINUTE - timedelta(seconds=1)
        result.append(
            dataclasses.replace(m, recordnum=f"REPLAY{at:%y%m%d%H%M}", at=at, lng=lng, lat=lat)
        )
    return result


def walk(
    start: datetime,
    count: int,
    *,
    step_m: float = 150.0,
    speed: float = 30.0,
    km: float = 0.2,
    lng: float = 112.9,
    lat: float = 28.2,
    first: int = 1,
    rng: random.Random | None = None,
) -> list[MinuteData]:
    """``count`` minutes driving east ``step_m`` a minute, varying speed when ``rng`` is given."""
    result = []
    for i in range(count):
        at = start + timedelta(minutes=i, seconds=59)
        x = i * step_m / (111_320 * math.cos(math.radians(lat)))
        top = speed if rng is None else round(rng.uniform(speed * 0.6, speed * 1.4), 1)
        result.append(minute(at, speed=top, km=km, lng=round(lng + x, 6), lat=lat, n=first + i))
    return result


NINE = datetime(2026, 3, 2, 9, 0)  # noqa: DTZ001 — the detectors take naive local times
