"""GNSS_STILL_MILEAGE without positions: distance claimed while the terminal sends no fix."""

from __future__ import annotations

import dataclasses
import random

from jiapei.fraud.detectors import nofix
from jiapei.testing.fraud_facts import NINE, context, session, walk


def _blind(minutes, indices, *, zeros=False):
    value = 0.0 if zeros else None
    return [
        dataclasses.replace(m, lng=value, lat=value) if i in indices else m
        for i, m in enumerate(minutes)
    ]


def test_minutes_driving_without_any_fix_are_found_with_the_evidence() -> None:
    rng = random.Random(1)
    minutes = _blind(walk(NINE, 30, rng=rng, km=0.3), range(8, 20))
    drafts = nofix.detect(context([session(minutes, rnum="R-BLIND")]))
    assert [d.key for d in drafts] == ["GNSS_STILL_MILEAGE:R-BLIND:nofix"]
    draft = drafts[0]
    assert draft.logs == ["R-BLIND"] and draft.severity == "medium"  # 12 minutes: < 22
    assert draft.evidence["minutes"] == [m.recordnum for m in minutes[8:20]]
    assert draft.evidence["figures"]["claimed_km"] == 3.6
    assert "第9至第20分钟" in draft.summary and "没有上报任何卫星定位" in draft.summary


def test_zero_positions_count_as_no_fix_and_short_dropouts_do_not() -> None:
    minutes = walk(NINE, 30, km=0.3)
    zeros = _blind(minutes, range(0, 12), zeros=True)
    # Runs of 2, 10 and 1 minutes: a tunnel or an urban canyon, not a 跑马机 (issue 19).
    dropouts = _blind(minutes, {3, 4, *range(10, 20), 25})
    parked = [
        dataclasses.replace(m, lng=None, lat=None, max_speed=0.0, mileage=0.0) for m in minutes
    ]  # no fix, but claiming no movement either: nothing to verify
    drafts = nofix.detect(
        context(
            [
                session(zeros, rnum="R-ZERO"),
                session(dropouts, rnum="R-DROP"),
                session(parked, rnum="R-PARK"),
                session(_blind(minutes, range(30)), rnum="R-THEORY", mode=2),
            ]
        )
    )
    assert [d.key for d in drafts] == ["GNSS_STILL_MILEAGE:R-ZERO:nofix"]
    assert drafts[0].severity == "medium"
