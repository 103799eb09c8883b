"""GNSS_STILL_MILEAGE and SPEED_TOO_REGULAR on hand-built and simulated facts (the builders are
shared with the other detector tests; TRACK_REPLAYED is tested in ``test_detect_replay``).

Honest traffic comes from the simulator's own planning and track functions
(:func:`jiapei.sim.days._plan_day`, :func:`jiapei.sim.plants.finish`, :mod:`jiapei.sim.tracks`)
on schools built here without a database, so the false-positive checks see exactly the tracks
that ``jiapei simulate`` sends. The builders are imported by the other detector tests too.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from jiapei.fraud.detectors import driving, replay
from jiapei.fraud.detectors.base import Draft, MinuteData, ScanContext, SessionData
from jiapei.fraud.detectors.driving import DrivingParams
from jiapei.fraud.params import Params
from jiapei.sim import days, tracks
from jiapei.sim.plants import MINUTE, Plan
from jiapei.sim.roster import Car, Coach, Learner, School
from jiapei.sim.world import square

DAY = date(2026, 3, 2)  # a Monday: part-3 route hours apply
CENTRE = (112.94, 28.23)

# --- builders (shared with the other detector tests) -------------------------------------------


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


# --- GNSS_STILL_MILEAGE ------------------------------------------------------------------------


def frozen(
    start: datetime,
    count: int,
    *,
    jitter_m: float,
    rng: random.Random,
    first: int,
    lng: float = 112.91,
    lat: float = 28.2,
) -> list[MinuteData]:
    """A parked car's fix with ``jitter_m`` of noise per axis while a pulse generator claims
    30 km/h and 0.5 km a minute."""
    result = []
    for i in range(count):
        at = start + timedelta(minutes=i, seconds=59)
        dx, dy = rng.uniform(-jitter_m, jitter_m), rng.uniform(-jitter_m, jitter_m)
        result.append(
            minute(
                at,
                speed=round(rng.uniform(28, 32), 1),
                km=0.5,
                lng=round(lng + dx / (111_320 * math.cos(math.radians(lat))), 6),
                lat=round(lat + dy / 111_320, 6),
                n=first + i,
            )
        )
    return result


def still_session(still: int, *, jitter_m: float = 3.0, seed: int = 1) -> SessionData:
    rng = random.Random(seed)
    before = walk(NINE, 10, rng=rng)
    stuck = frozen(NINE + timedelta(minutes=10), still, jitter_m=jitter_m, rng=rng, first=11)
    after = walk(NINE + timedelta(minutes=10 + still), 10, rng=rng, first=11 + still, lng=112.92)
    return session([*before, *stuck, *after], rnum="R-STILL")


def test_still_mileage_reports_the_run_with_its_evidence() -> None:
    s = still_session(6, jitter_m=4.0)
    drafts = codes(driving.detect(context([s])), "GNSS_STILL_MILEAGE")
    assert len(drafts) == 1
    draft = drafts[0]
    assert draft.key == "GNSS_STILL_MILEAGE:R-STILL"
    assert draft.logs == ["R-STILL"] and draft.car == "湘A00001" and draft.stunum == "S1"
    assert draft.severity == "medium"
    assert draft.evidence["minutes"] == [m.recordnum for m in s.minutes[10:16]]
    assert len(draft.evidence["points"]) == 6
    figures = draft.evidence["figures"]
    assert figures["still_minutes"] == 6 and figures["claimed_km"] == 3.0
    assert figures["max_displacement_m"] <= 12
    assert "第11至第16分钟" in draft.summary and "跑马机" in draft.summary
    assert "3.0公里" in draft.summary and "minutes 11-16" in draft.summary_en


def test_a_long_still_run_is_severe_and_drifting_jitter_does_not_break_it() -> None:
    # 20 minutes whose fix wanders 2 m a minute to the east on top of the jitter: 40 m in all,
    # but never more than a few metres from one fix to the next.
    rng = random.Random(3)
    stuck = frozen(NINE, 20, jitter_m=2.0, rng=rng, first=1)
    drift = [
        dataclasses.replace(m, lng=round((m.lng or 0) + i * 2 / 98_000, 6))
        for i, m in enumerate(stuck)
    ]
    draft = codes(driving.detect(context([session(drift)])), "GNSS_STILL_MILEAGE")[0]
    assert draft.severity == "high" and draft.evidence["figures"]["still_minutes"] == 20


def test_still_near_misses_are_not_reported() -> None:
    rng = random.Random(5)
    three = still_session(3, jitter_m=3.0)  # shorter than still_min_minutes
    parked = session(
        [
            dataclasses.replace(m, max_speed=0.0, mileage=0.0)
            for m in frozen(NINE, 8, jitter_m=3.0, rng=rng, first=1)
        ],
        rnum="R-PARKED",
    )
    # Moving 45 m a minute while the odometer, rounded to 100 m, reports 0.1 km a minute.
    crawling = session(walk(NINE, 12, step_m=45.0, km=0.1), rnum="R-CRAWL")
    classroom = dataclasses.replace(still_session(8), rnum="R-CLASS", mode=2)
    drafts = driving.detect(context([three, parked, crawling, classroom]))
    assert codes(drafts, "GNSS_STILL_MILEAGE") == []


def test_jitter_of_nine_metres_per_axis_is_tolerated() -> None:
    for seed in range(20):
        s = still_session(5, jitter_m=9.0, seed=seed)
        drafts = codes(driving.detect(context([s])), "GNSS_STILL_MILEAGE")
        assert [d.evidence["figures"]["still_minutes"] for d in drafts] == [5]


def test_still_key_and_evidence_are_stable() -> None:
    s = still_session(7, seed=9)
    shuffled = dataclasses.replace(s, minutes=tuple(reversed(s.minutes)))
    one = codes(driving.detect(context([s])), "GNSS_STILL_MILEAGE")
    two = codes(driving.detect(context([shuffled])), "GNSS_STILL_MILEAGE")
    assert [d.key for d in one] == [d.key for d in two] == ["GNSS_STILL_MILEAGE:R-STILL"]
    assert one[0].evidence == two[0].evidence and one[0].summary == two[0].summary


# --- SPEED_TOO_REGULAR -------------------------------------------------------------------------


def test_constant_speed_and_mileage_are_too_regular() -> None:
    rng = random.Random(2)
    steady = [
        dataclasses.replace(m, max_speed=round(36 + rng.uniform(-0.3, 0.3), 1), mileage=0.6)
        for m in walk(NINE, 30, step_m=600.0)
    ]
    draft = codes(driving.detect(context([session(steady, rnum="R-PC")])), "SPEED_TOO_REGULAR")[0]
    assert draft.key == "SPEED_TOO_REGULAR:R-PC" and draft.logs == ["R-PC"]
    assert draft.severity == "high"  # three signs at once
    figures = draft.evidence["figures"]
    assert figures["moving_minutes"] == 30 and figures["speed_cv"] < 0.01
    assert figures["commonest_speed_share"] == 1.0 and figures["same_mileage_share"] == 1.0
    assert "36公里/小时" in draft.summary and "0.6公里" in draft.summary


def test_constant_mileage_alone_is_enough_but_varied_driving_is_not() -> None:
    rng = random.Random(4)
    pulses = walk(NINE, 20, step_m=500.0, km=0.5, rng=rng)  # varied speed, 0.5 km every minute
    varied = [
        dataclasses.replace(m, mileage=rng.choice((0.1, 0.2, 0.2, 0.3)))
        for m in walk(NINE, 40, rng=rng, speed=12.0)
    ]
    drafts = codes(
        driving.detect(context([session(pulses, rnum="R-A"), session(varied, rnum="R-B")])),
        "SPEED_TOO_REGULAR",
    )
    assert [d.key for d in drafts] == ["SPEED_TOO_REGULAR:R-A"]
    assert drafts[0].severity == "medium"
    assert drafts[0].evidence["figures"]["same_mileage_share"] == 1.0


def test_too_few_moving_minutes_are_not_judged() -> None:
    steady = [dataclasses.replace(m, mileage=0.6) for m in walk(NINE, 14, step_m=600.0)]
    parked = [
        dataclasses.replace(m, max_speed=0.0, mileage=0.0)
        for m in walk(NINE + timedelta(minutes=14), 20, step_m=0.0, first=15)
    ]
    drafts = driving.detect(context([session([*steady, *parked])]))
    assert codes(drafts, "SPEED_TOO_REGULAR") == []


# --- the simulator's traffic -------------------------------------------------------------------


def test_simulated_honest_traffic_is_not_flagged_and_planted_frozen_gnss_is() -> None:
    """Twelve days of eight simulated schools (about 900 practical sessions): no honest
    session is flagged by any driving detector, and every session with the simulator's planted
    跑马机 (six frozen minutes) is found by GNSS_STILL_MILEAGE."""
    schools = [make_school(i) for i in range(8)]
    honest = honest_days(schools, DAY, 12)
    flagged = []
    ordered = sorted(honest)
    for n, day in enumerate(ordered):
        earlier = [s for d in ordered[:n] for s in honest[d]]
        found = context(honest[day], earlier=earlier)
        flagged += driving.detect(found) + replay.detect(found)
    practical = sum(s.mode == 1 for d in honest.values() for s in d)
    assert practical > 600
    assert flagged == []
    planted = honest_days(schools, DAY, 3, seed=11, codes=["ODOMETER_GNSS_MISMATCH"])
    sessions = [s for d in planted.values() for s in d]
    drafts = driving.detect(context(sessions))
    frozen_logs = {d.logs[0] for d in codes(drafts, "GNSS_STILL_MILEAGE")}
    expected = {s.rnum for s in sessions if _planted_frozen(s)}
    assert len(expected) >= 20
    assert frozen_logs == expected
    assert all(d.detector == "GNSS_STILL_MILEAGE" for d in drafts)


def _planted_frozen(s: SessionData) -> bool:
    """Whether the session carries the simulator's 跑马机: a fix repeated within 9 m while
    mileage is claimed, for three minutes in a row (honest cars never do)."""
    loose = DrivingParams(still_min_minutes=3, still_min_km=0.0)
    return s.mode == 1 and bool(driving.still_runs(driving.ordered(s.minutes), loose))


def test_simulated_sessions_rewritten_by_an_emulator_are_all_too_regular() -> None:
    """Honest simulated tracks whose speeds an emulator replaced: one speed (20-40 km/h) with
    ±1 km/h of noise and an odometer that advances accordingly (rounded to 100 m like the
    wire, so a speed like 33 km/h alternates 0.5 and 0.6 km a minute)."""
    rng = random.Random(12)
    sessions = honest_days([make_school(0), make_school(1)], DAY, 1)[DAY]
    emulated = []
    for s in sessions:
        if s.mode != 1 or len(s.minutes) < 15:
            continue
        speed, odometer, reported, minutes = rng.uniform(20, 40), 0.0, 0, []
        for m in s.minutes:
            odometer += speed / 60
            tenths = round(odometer * 10) - reported
            reported += tenths
            top = round(speed + rng.uniform(-1, 1), 1)
            minutes.append(dataclasses.replace(m, max_speed=top, mileage=tenths / 10))
        emulated.append(dataclasses.replace(s, minutes=tuple(minutes)))
    assert len(emulated) >= 10
    drafts = codes(driving.detect(context(emulated)), "SPEED_TOO_REGULAR")
    assert sorted(d.logs[0] for d in drafts) == sorted(s.rnum for s in emulated)
