"""SPEED_TOO_REGULAR on scripted speed curves that are not constant: a cycle of a few speeds
and a repeating sawtooth, as an emulator plays them, against varied honest driving."""

from __future__ import annotations

import dataclasses
import random

from jiapei.fraud.detectors import driving
from jiapei.testing.fraud_facts import NINE, codes, context, session, walk


def _scripted(cycle: list[float], minutes: int, seed: int) -> list:
    rng = random.Random(seed)
    return [
        dataclasses.replace(
            m, max_speed=round(cycle[i % len(cycle)], 1), mileage=rng.choice((0.3, 0.4, 0.5))
        )
        for i, m in enumerate(walk(NINE, minutes, step_m=400.0))
    ]


def test_a_cycle_of_three_speeds_repeats_with_period_three() -> None:
    minutes = _scripted([18.0, 26.5, 31.0], 30, seed=1)
    draft = codes(driving.detect(context([session(minutes, rnum="R-CY")])), "SPEED_TOO_REGULAR")
    assert [d.key for d in draft] == ["SPEED_TOO_REGULAR:R-CY"]
    figures = draft[0].evidence["figures"]
    assert figures["repeat_period_minutes"] == 3 and figures["repeat_share"] == 1.0
    assert "每3分钟重复一次" in draft[0].summary


def test_a_repeating_sawtooth_is_caught_but_varied_speeds_are_not() -> None:
    saw = _scripted([12.0, 16.0, 20.0, 24.0, 28.0], 40, seed=2)
    rng = random.Random(3)
    varied = [
        dataclasses.replace(
            m, max_speed=round(rng.uniform(10, 30), 1), mileage=rng.choice((0.2, 0.3, 0.5))
        )
        for m in walk(NINE, 40, step_m=400.0)
    ]
    drafts = codes(
        driving.detect(context([session(saw, rnum="R-SAW"), session(varied, rnum="R-VAR")])),
        "SPEED_TOO_REGULAR",
    )
    assert [d.key for d in drafts] == ["SPEED_TOO_REGULAR:R-SAW"]
    assert drafts[0].evidence["figures"]["repeat_period_minutes"] == 5


def test_the_repeat_share_of_one_irregular_minute_in_each_cycle() -> None:
    # Noise of more than the tolerance in one minute of each cycle of three: two thirds repeat,
    # below the 0.8 the detector needs, so a profile this irregular is left alone.
    rng = random.Random(4)
    speeds = [[18.0, 26.0, rng.uniform(30, 40)][i % 3] for i in range(30)]
    _period, share = driving.repeating_period(speeds, driving.DrivingParams())
    assert share < 0.8
