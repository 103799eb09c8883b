"""GNSS_STILL_MILEAGE and SPEED_TOO_REGULAR on hand-built and simulated facts (built by
:mod:`jiapei.testing.fraud_facts`; TRACK_REPLAYED is tested in ``test_detect_replay``)."""

from __future__ import annotations

import dataclasses
import math
import random
from datetime import datetime, timedelta

from jiapei.fraud.detectors import driving, replay
from jiapei.fraud.detectors.base import MinuteData, SessionData
from jiapei.fraud.detectors.driving import DrivingParams
from jiapei.testing.fraud_facts import (
    DAY,
    NINE,
    codes,
    context,
    honest_days,
    make_school,
    minute,
    session,
    walk,
)

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


def test_a_repeated_last_fix_is_a_gnss_dropout_not_a_pulse_generator() -> None:
    rng = random.Random(5)
    minutes = walk(NINE, 30, rng=rng)
    held = minutes[9]
    dropout = [
        dataclasses.replace(m, lng=held.lng, lat=held.lat) if 10 <= i < 18 else m
        for i, m in enumerate(minutes)
    ]
    assert codes(driving.detect(context([session(dropout)])), "GNSS_STILL_MILEAGE") == []
    # Frozen for longer than a dropout lasts: judged as usual.
    frozen_fix = [
        dataclasses.replace(m, lng=held.lng, lat=held.lat) if 10 <= i < 25 else m
        for i, m in enumerate(minutes)
    ]
    found = codes(driving.detect(context([session(frozen_fix)])), "GNSS_STILL_MILEAGE")
    assert len(found) == 1
