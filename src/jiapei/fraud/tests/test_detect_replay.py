"""TRACK_REPLAYED on hand-built tracks: replays with noise and a time shift, same-day replays,
near misses (a car practising on one spot, a partly copied track) and key stability."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta

import numpy as np

from jiapei.fraud.detectors import driving
from jiapei.fraud.detectors.base import SessionData
from jiapei.fraud.detectors.replay import detect as detect_replays
from jiapei.testing.fraud_facts import (
    DAY,
    NINE,
    codes,
    context,
    honest_days,
    make_school,
    minute,
    session,
    shift,
    walk,
)


def replay_of(
    source: SessionData,
    *,
    rnum: str,
    start: datetime,
    noise_m: float,
    seed: int = 1,
    skip: int = 0,
) -> SessionData:
    fixes = driving.ordered(source.minutes)[skip:]
    moved = shift(fixes, metres=noise_m, rng=random.Random(seed), start=start)
    return dataclasses.replace(
        source,
        rnum=rnum,
        stunum="S-OTHER",
        start=start,
        end=start + timedelta(minutes=len(moved)),
        minutes=tuple(moved),
    )


def test_a_replayed_track_with_noise_and_time_shift_is_found() -> None:
    schools = [make_school(0), make_school(1)]
    history = honest_days(schools, DAY, 3)
    earlier = history[DAY] + history[DAY + timedelta(days=1)]
    today = history[DAY + timedelta(days=2)]
    source = next(s for s in earlier if s.mode == 1 and s.part == 2 and len(s.minutes) >= 40)
    start = datetime.combine(DAY + timedelta(days=2), datetime.min.time()) + timedelta(hours=21)
    replay = replay_of(
        source, rnum="R-REPLAY", start=start + timedelta(minutes=7), noise_m=20, skip=3
    )
    drafts = codes(detect_replays(context([*today, replay], earlier=earlier)), "TRACK_REPLAYED")
    assert [d.key for d in drafts] == [f"TRACK_REPLAYED:R-REPLAY:{source.rnum}"]
    draft = drafts[0]
    assert draft.logs == ["R-REPLAY"] and draft.stunum == "S-OTHER"
    assert draft.evidence["source_log"] == source.rnum
    figures = draft.evidence["figures"]
    assert figures["offset_minutes"] == 3 and figures["pairs"] == len(source.minutes) - 3
    assert figures["median_distance_m"] <= 25
    assert len(draft.evidence["points"]) == len(draft.evidence["source_points"])
    assert source.rnum in draft.summary and "回放" in draft.summary


def compact(session: SessionData) -> SessionData:
    """The session as the loader gives a look-back one: a [lng, lat, seconds] track, no minutes."""
    fixes = [m for m in driving.ordered(session.minutes) if driving.has_fix(m)]
    track = np.array([(m.lng, m.lat, m.at.replace(tzinfo=UTC).timestamp()) for m in fixes])
    return dataclasses.replace(session, minutes=(), track=track)


def test_a_look_back_session_given_as_a_compact_track_is_matched_the_same() -> None:
    schools = [make_school(0), make_school(1)]
    history = honest_days(schools, DAY, 3)
    earlier = history[DAY] + history[DAY + timedelta(days=1)]
    source = next(s for s in earlier if s.mode == 1 and s.part == 2 and len(s.minutes) >= 40)
    start = datetime.combine(DAY + timedelta(days=2), datetime.min.time()) + timedelta(hours=9)
    replay = replay_of(source, rnum="R-REPLAY", start=start, noise_m=10, skip=2)
    full = detect_replays(context([replay], earlier=earlier))
    slim = detect_replays(context([replay], earlier=[compact(s) for s in earlier]))
    assert (
        [d.key for d in slim] == [d.key for d in full] == [f"TRACK_REPLAYED:R-REPLAY:{source.rnum}"]
    )
    assert slim[0].evidence == full[0].evidence  # the source points read back from the array


def test_a_same_day_replay_names_the_earlier_session_only() -> None:
    source = session(walk(NINE, 30, step_m=180.0, rng=random.Random(1)), rnum="R-FIRST")
    later = replay_of(source, rnum="R-LATER", start=NINE + timedelta(hours=5), noise_m=8)
    drafts = codes(detect_replays(context([later, source])), "TRACK_REPLAYED")
    assert [(d.key, d.logs) for d in drafts] == [("TRACK_REPLAYED:R-LATER:R-FIRST", ["R-LATER"])]


def test_a_car_practising_on_one_spot_is_not_a_replay() -> None:
    # Reversing into one bay again and again: every fix within 15 m of the bay, in both
    # sessions. Close to each other, but no closer than the car's own moves.
    rng = random.Random(8)

    def bay(start: datetime, rnum: str) -> SessionData:
        return session(
            [
                minute(
                    start + timedelta(minutes=i, seconds=59),
                    speed=8.0,
                    km=0.1,
                    lng=round(112.9 + rng.uniform(-15, 15) / 98_000, 6),
                    lat=round(28.2 + rng.uniform(-15, 15) / 111_320, 6),
                    n=i + 1,
                )
                for i in range(40)
            ],
            rnum=rnum,
        )

    drafts = detect_replays(
        context(
            [bay(NINE + timedelta(hours=3), "R-B")], earlier=[bay(NINE - timedelta(days=1), "R-A")]
        )
    )
    assert codes(drafts, "TRACK_REPLAYED") == []


def test_a_partly_copied_track_below_the_coverage_is_not_reported() -> None:
    source = session(walk(NINE, 40, step_m=180.0, rng=random.Random(1)), rnum="R-SRC")
    copied = replay_of(source, rnum="R-PART", start=NINE + timedelta(days=1), noise_m=5)
    # Only the first 20 of 40 minutes follow the source; then the car goes its own way north.
    own = [
        dataclasses.replace(m, lat=round((m.lat or 0) + 0.01 + i * 0.0015, 6))
        for i, m in enumerate(copied.minutes[20:])
    ]
    partial = dataclasses.replace(copied, minutes=(*copied.minutes[:20], *own))
    assert codes(detect_replays(context([partial], earlier=[source])), "TRACK_REPLAYED") == []
    whole = codes(detect_replays(context([copied], earlier=[source])), "TRACK_REPLAYED")
    assert [d.key for d in whole] == ["TRACK_REPLAYED:R-PART:R-SRC"]


def test_replay_keys_are_stable_whatever_the_order() -> None:
    source = session(walk(NINE, 30, step_m=180.0, rng=random.Random(1)), rnum="R-SRC")
    twin = dataclasses.replace(source, rnum="R-TWIN")  # a second copy of the same source
    replay = replay_of(source, rnum="R-REP", start=NINE + timedelta(days=1), noise_m=10)
    one = codes(detect_replays(context([replay], earlier=[source, twin])), "TRACK_REPLAYED")
    two = codes(detect_replays(context([replay], earlier=[twin, source])), "TRACK_REPLAYED")
    assert [d.key for d in one] == [d.key for d in two] == ["TRACK_REPLAYED:R-REP:R-SRC"]
    assert one[0].evidence == two[0].evidence
