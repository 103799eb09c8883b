"""TRACK_REPLAYED on hand-built tracks: replays with noise and a time shift, same-day replays,
near misses (a car practising on one spot, a partly copied track) and key stability."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from jiapei.fraud.detectors import driving
from jiapei.fraud.detectors.base import SessionData
from jiapei.fraud.detectors.replay import detect as detect_replays
from jiapei.sim import tracks
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


def test_a_partly_replayed_track_is_found_for_its_replayed_part_only() -> None:
    source = session(walk(NINE, 40, step_m=180.0, rng=random.Random(1)), rnum="R-SRC")
    copied = replay_of(source, rnum="R-PART", start=NINE + timedelta(days=1), noise_m=5)

    def then_own_way(replayed: int) -> SessionData:
        # The first ``replayed`` minutes follow the source; then the car goes its own way north.
        own = [
            dataclasses.replace(m, lat=round((m.lat or 0) + 0.01 + i * 0.0015, 6))
            for i, m in enumerate(copied.minutes[replayed:])
        ]
        return dataclasses.replace(copied, minutes=(*copied.minutes[:replayed], *own))

    [draft] = codes(detect_replays(context([then_own_way(20)], earlier=[source])), "TRACK_REPLAYED")
    assert draft.key == "TRACK_REPLAYED:R-PART:R-SRC"
    assert draft.evidence["minutes"] == [m.recordnum for m in copied.minutes[:20]]
    figures = draft.evidence["figures"]
    assert figures["pairs"] == 20 and figures["session_fixes"] == 40
    assert figures["constant_offset_m"] < 10 and figures["time_shift_minutes"] == 1440
    assert "50%" in draft.summary
    # Fewer minutes than ``replay_min_points`` (10) are not enough to call it a replay.
    short = detect_replays(context([then_own_way(8)], earlier=[source]))
    assert codes(short, "TRACK_REPLAYED") == []


def test_replay_keys_are_stable_whatever_the_order() -> None:
    source = session(walk(NINE, 30, step_m=180.0, rng=random.Random(1)), rnum="R-SRC")
    twin = dataclasses.replace(source, rnum="R-TWIN")  # a second copy of the same source
    replay = replay_of(source, rnum="R-REP", start=NINE + timedelta(days=1), noise_m=10)
    one = codes(detect_replays(context([replay], earlier=[source, twin])), "TRACK_REPLAYED")
    two = codes(detect_replays(context([replay], earlier=[twin, source])), "TRACK_REPLAYED")
    assert [d.key for d in one] == [d.key for d in two] == ["TRACK_REPLAYED:R-REP:R-SRC"]
    assert one[0].evidence == two[0].evidence


def as_session(fixes: list[tracks.MinuteFix], *, rnum: str, start: datetime) -> SessionData:
    """A simulator track as the detectors' facts: one fix per minute at second 30."""
    minutes = [
        minute(
            start + timedelta(minutes=i, seconds=30),
            speed=f.max_speed,
            km=f.mileage,
            lng=f.lng,
            lat=f.lat,
            n=i + 1,
        )
        for i, f in enumerate(fixes)
    ]
    return session(minutes, rnum=rnum, stunum=f"S-{rnum}", start=start)


@pytest.mark.parametrize("form", tracks.REPLAY_FORMS)
@pytest.mark.parametrize("part", [2, 3])
def test_every_form_of_a_replay_from_the_simulator_is_found(form: str, part: int) -> None:
    found = 0
    for seed in range(4):
        rng = random.Random(f"{form}:{part}:{seed}")
        school = make_school(seed % 2)
        area = school.ground if part == 2 else school.route
        plan = [tracks.DRIVE] * 70
        source = tracks.drive(rng, area, part, plan)
        own = tracks.drive(rng, area, part, plan[:50])
        replayed, _, _ = tracks.replayed_track(rng, source, 50, form, own)
        first = as_session(source, rnum="R-SRC", start=NINE - timedelta(days=2))
        later = as_session(replayed, rnum="R-REP", start=NINE + timedelta(hours=2, minutes=3))
        drafts = codes(detect_replays(context([later], earlier=[first])), "TRACK_REPLAYED")
        found += [d.key for d in drafts] == ["TRACK_REPLAYED:R-REP:R-SRC"]
    assert found == 4, (form, part, found)


def test_honest_days_of_four_schools_give_no_replay() -> None:
    # Part-3 cars of one city share a route at ~600 m a minute; some run in step for a few
    # minutes (replay_inlier_m's docstring has the figures).
    history = honest_days([make_school(i) for i in range(4)], DAY, 4)
    days = sorted(history)
    flagged = []
    for k in range(1, len(days)):
        earlier = [s for d in days[:k] for s in history[d]]
        flagged += codes(
            detect_replays(context(history[days[k]], earlier=earlier)), "TRACK_REPLAYED"
        )
    assert flagged == []
