"""Property-style checks over seeded random students (``random.Random``, no hypothesis).

Each test draws many students from fixed seeds, so a failure names a reproducible seed.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta

from jiapei.audit.engine import audit_student
from jiapei.audit.facts import Mode, SessionFact
from jiapei.audit.reasons import REASONS
from jiapei.audit.rules.minute import odometer_gnss_mismatch
from jiapei.audit.tests import builders as b
from jiapei.audit.thresholds import ThresholdOverride, resolve

T = b.thresholds()
SYLLABUS = b.syllabus()
SEEDS = range(40)


def honest_student(rng: random.Random) -> list[SessionFact]:
    """A few days of honest training: ≤ 3 sessions of 20–80 minutes per day, no overlaps."""
    sessions = []
    next_id = 1
    for day in range(rng.randint(1, 4)):
        moment = b.when(rng.randint(6, 9), rng.randint(0, 59), day=date(2024, 5, 6 + day))
        for _ in range(rng.randint(1, 3)):
            count = rng.randint(20, 80)
            mode = rng.choice([Mode.PRACTICAL, Mode.PRACTICAL, Mode.CLASSROOM])
            part = 2 if mode == Mode.PRACTICAL else 1
            photos = b.photos(moment, count, rng=rng)
            sessions.append(
                b.session(next_id, moment, count, mode=mode, part=part, photo_list=photos)
            )
            next_id += 1
            moment += timedelta(minutes=count + rng.randint(5, 60))
    return sessions


def damaged(rng: random.Random, sessions: list[SessionFact]) -> list[SessionFact]:
    """The sessions with random minute faults and random dropped or failed photos."""
    faults = [
        {"max_speed": 0.0},
        {"mileage": 0.0},
        {"in_fence": False},
        {"engine_rpm": 0},
        {"coach_ok": False},
        {"max_speed": 70.0},
    ]
    result = []
    for s in sessions:
        changes = {i: rng.choice(faults) for i in range(len(s.minutes)) if rng.random() < 0.1}
        photos = [
            dataclasses.replace(p, confidence=rng.choice([10, 90])) if rng.random() < 0.1 else p
            for p in s.photos
            if rng.random() > 0.1
        ]
        result.append(dataclasses.replace(b.replace_minutes(s, changes), photos=tuple(photos)))
    return result


def test_honest_students_are_wholly_valid() -> None:
    for seed in SEEDS:
        sessions = honest_student(random.Random(seed))
        result = audit_student(b.student(), sessions, thresholds=T, syllabus=SYLLABUS)
        assert all(v.valid for v in result.minutes), seed
        assert all(s.status == "valid" for s in result.sessions), seed
        assert sum(s.credited_minutes for s in result.sessions) == sum(
            len(s.minutes) for s in sessions
        ), seed


def test_invariants_hold_for_damaged_students() -> None:
    for seed in SEEDS:
        rng = random.Random(seed)
        sessions = damaged(rng, honest_student(rng))
        result = audit_student(b.student(), sessions, thresholds=T, syllabus=SYLLABUS)
        emitted = {c for v in result.minutes for c in v.codes}
        emitted |= {c for s in result.sessions for c in s.codes}
        assert emitted <= set(REASONS), seed
        assert all(v.valid == (v.codes == []) for v in result.minutes), seed
        for verdict in result.sessions:
            assert 0 <= verdict.credited_minutes <= verdict.valid_minutes <= verdict.total_minutes
            if verdict.status == "invalid":
                assert verdict.credited_minutes == 0 and verdict.mileage == 0
            assert (verdict.status == "valid") == (
                verdict.valid_minutes == verdict.total_minutes and verdict.status != "invalid"
            )
        for part in result.parts:
            plan = SYLLABUS.plan("C1")
            assert plan is not None
            caps = plan.part(part.part).cap
            assert all(part.credited[m] <= caps.get(m, 10**9) for m in part.credited), seed


def test_determinism_under_reordering() -> None:
    for seed in SEEDS:
        rng = random.Random(seed)
        sessions = damaged(rng, honest_student(rng))
        shuffled = [
            dataclasses.replace(s, minutes=tuple(rng.sample(s.minutes, len(s.minutes))))
            for s in rng.sample(sessions, len(sessions))
        ]
        first = audit_student(b.student(), sessions, thresholds=T, syllabus=SYLLABUS)
        again = audit_student(b.student(), shuffled, thresholds=T, syllabus=SYLLABUS)
        assert first == again, seed


def test_daily_credit_never_exceeds_the_caps() -> None:
    for seed in SEEDS:
        rng = random.Random(seed)
        day = b.when(5, 30)
        sessions = [
            b.session(
                i,
                day + timedelta(minutes=70 * (i - 1)),
                65,
                photo_list=b.photos(day + timedelta(minutes=70 * (i - 1)), 65, rng=rng),
            )
            for i in range(1, rng.randint(2, 9))
        ]
        result = audit_student(b.student(), sessions, thresholds=T, syllabus=SYLLABUS)
        assert sum(s.credited_minutes for s in result.sessions) <= 240, seed
        expected = min(240, 65 * len(sessions))
        assert sum(s.credited_minutes for s in result.sessions) == expected, seed


def test_any_injected_standstill_is_void() -> None:
    for seed in SEEDS:
        rng = random.Random(seed)
        s = b.session(1, b.when(9), 60, photo_list=b.photos(b.when(9), 60, rng=rng))
        length = rng.randint(2, 8)
        first = rng.randint(0, 60 - length)
        stopped = b.replace_minutes(s, b.at_positions(range(first, first + length), max_speed=0.0))
        result = audit_student(b.student(), [stopped], thresholds=T, syllabus=SYLLABUS)
        flagged = [i for i, v in enumerate(result.minutes) if "STATIONARY" in v.codes]
        assert flagged == list(range(first, first + length)), seed


def test_odometer_rule_never_fires_on_honest_laps() -> None:
    for seed in range(200):
        minutes = b.driving(1, b.when(9), 90, rng=random.Random(seed))
        assert odometer_gnss_mismatch(minutes, T) == [], seed


def test_threshold_resolution_is_order_independent() -> None:
    kinds = {"province": "320000", "city": "320100", "institution": "S01"}
    for seed in SEEDS:
        rng = random.Random(seed)
        rows = []
        for _ in range(rng.randint(0, 12)):
            kind = rng.choice(list(kinds))
            start = date(2023, 1, 1) + timedelta(days=rng.randint(0, 700))
            field = rng.choice(["stationary_minutes", "photo_window_minutes"])
            # The value is a function of (kind, start), so two rows never conflict.
            value = (start.toordinal() * 7 + list(kinds).index(kind)) % 50 + 1
            rows.append(ThresholdOverride(kind, kinds[kind], field, value, start, None))
        on = date(2024, 1, 1) + timedelta(days=rng.randint(0, 365))
        where = {"province": "320000", "city": "320100", "inscode": "S01", "on": on}
        forward = resolve(rows, **where)  # type: ignore[arg-type]
        assert forward == resolve(list(reversed(rows)), **where), seed  # type: ignore[arg-type]
        applicable = [r for r in rows if r.effective_from <= on and r.field == "stationary_minutes"]
        if applicable:
            rank = {"province": 0, "city": 1, "institution": 2}
            best = max(applicable, key=lambda r: (rank[r.scope_kind], r.effective_from))
            assert forward.stationary_minutes == best.value, seed
