"""The TRACK_REPLAYED panel against the detector's fit: a replay moved by a constant offset and
sampled half a minute later than its source is stated with its time shift, its offset and its
share, and the distances drawn agree with the detector's median once the offset is removed;
a finding stored before the fit (no ``time_shift_minutes``) still renders as it was."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from jiapei.console.evidence.replays import shift_words
from jiapei.console.tests.evidence_world import DAY, at, audit, found, loop, rendered, upload
from jiapei.fraud.detectors import replay

pytestmark = pytest.mark.django_db

# 30 m east at the ground's latitude (28.2°), in degrees of longitude.
EAST_30_M = 30 / (111_320 * 0.8813)


@pytest.fixture
def shifted(tp: Any, school: Any, ground: Any) -> dict[str, str]:
    """A 24-minute drive three days before, and a session replaying its last 16 minutes two
    days and 30.5 minutes later, 30 m east of it, after 8 minutes of its own driving."""
    original = upload(
        tp, school, number=1, start=at(DAY - timedelta(days=2), 9), fixes=loop(24, speeds=(180,))
    )
    own = [(112.91 + 0.0006 * i, 28.21 + 0.0003 * (i % 2), 150, 1) for i in range(8)]
    replayed = [(round(lng + EAST_30_M, 6), lat, speed, km) for lng, lat, speed, km in loop(24)[8:]]
    copy = upload(
        tp,
        school,
        number=2,
        start=at(DAY, 9, 22) + timedelta(seconds=30),
        fixes=own + replayed,
    )
    audit()
    return {"original": original, "copy": copy}


def _number(pattern: str, html: str) -> float:
    match = re.search(pattern, html)
    assert match, pattern
    return float(match.group(1))


def test_a_shifted_offset_partial_replay_is_stated_as_the_detector_judged_it(
    shifted, province_regulator
):
    finding = found(
        province_regulator, "TRACK_REPLAYED", shifted["copy"], detectors=[replay.detect]
    )
    figures = finding.evidence["figures"]
    html = rendered(finding, province_regulator)
    # The shift in days, hours and minutes (to the tenth), the offset, and the share replayed.
    assert shift_words(figures["time_shift_minutes"]) in html
    assert "2天" in shift_words(figures["time_shift_minutes"])
    offset = _number(r"两条轨迹整体错开约 (\d+) 米", html)
    assert abs(offset - figures["constant_offset_m"]) <= 1 and 20 <= offset <= 40
    share = f"{figures['pairs'] / figures['session_fixes']:.0%}"
    assert f"本次培训共 {figures['session_fixes']} 个有效定位点" in html
    assert f"（{share}）与原始轨迹逐点对应。只有部分时段是回放的。" in html
    # Measured after removing the offset at the refitted shift, the distances agree with the
    # detector's median; the raw pairs (30 m apart and half a minute off) would not.
    median = _number(r"对应点距离的中位数为 (\d+) 米", html)
    assert abs(median - figures["median_distance_m"]) <= 3, (median, figures)
    assert "去除整体平移后" in html and "原始培训对应时刻" in html


def test_an_old_replay_finding_without_the_fit_renders_its_pairs_as_stored(
    shifted, province_regulator
):
    finding = found(
        province_regulator, "TRACK_REPLAYED", shifted["copy"], detectors=[replay.detect]
    )
    figures = finding.evidence["figures"]
    for key in ("time_shift_minutes", "constant_offset_m", "session_fixes"):
        figures.pop(key)
    html = rendered(finding, province_regulator)
    # The shift from the first pair, the share from the session's minutes, raw distances.
    assert re.search(r"时间相差 2天\d+分钟", html)
    assert "本次培训共 24 个有效定位点" in html
    assert "按下图各对定位点计算" in html and "去除整体平移后" not in html
    assert "session_fixes" not in html and "time_shift_minutes" not in html


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (2910.5, "2天30.5分钟"),
        (101, "1小时41分钟"),
        (1440, "1天"),
        (0.25, "0.2分钟"),
        (-61, "提前1小时1分钟"),
    ],
)
def test_shift_words(minutes: float, words: str) -> None:
    assert shift_words(minutes) == words
