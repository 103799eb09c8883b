"""The finding's page (/console/findings/<pk>/) over HTTP, with the evidence panels of several
detectors on it as an officer opens them: each page shows its panel, every id on the page is
unique (several charts with hatched patterns on one page), no figure is shown by its code name,
and the page's query count does not grow with the evidence (a 12-minute replay and a 24-minute
one cost the same)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from jiapei.console.tests.evidence_world import (
    ACTOR,
    DAY,
    at,
    audit,
    loop,
    second_student,
    upload,
)
from jiapei.console.tests.findings_world import (
    Shared,
    shared_fixture,  # noqa: F401  (the ``shared`` fixture)
)
from jiapei.fraud import queries as fraud
from jiapei.fraud import services
from jiapei.fraud.detectors import driving, overlaps, replay
from jiapei.fraud.models import Finding
from jiapei.testing.pages import queries_of

pytestmark = pytest.mark.django_db

# Figure codes the panels must put in words.
CODES = ("session_fixes", "time_shift_minutes", "constant_offset_m", "median_distance_m")


@pytest.fixture
def world(tp: Any, school: Any, ground: Any, province_regulator: Any) -> dict[str, Finding]:
    """One school's day: a 12-minute and a 24-minute replay of a drive two days before, a
    跑马机 stretch, and the car with two students at once; scanned by the real detectors."""
    upload(tp, school, number=1, start=at(DAY - timedelta(days=2), 9), fixes=loop(24))
    short = upload(tp, school, number=2, start=at(DAY, 9, 30), fixes=loop(24, jitter_m=6)[:12])
    long = upload(tp, school, number=3, start=at(DAY, 11), fixes=loop(24, jitter_m=6))
    still = [(112.9 + 0.0004 * i, 28.2, 220, 4) for i in range(4)]
    still += [(112.9016 + 0.00001 * (i % 3), 28.2, 300 + 20 * (i % 4), 5) for i in range(12)]
    pulses = upload(tp, school, number=4, start=at(DAY, 14), fixes=still)
    other = second_student(tp, school)
    first = upload(tp, school, number=11, start=at(DAY, 16), fixes=[], length=40)
    upload(tp, school, number=12, start=at(DAY, 16, 20), fixes=[], stunum=other, length=40)
    audit()
    services.scan_day(
        actor=ACTOR, day=DAY, detectors=[replay.detect, overlaps.detect, driving.detect]
    )

    def one(detector: str, rnum: str) -> Finding:
        rows = fraud.filtered(fraud.findings_for(province_regulator), detector=detector, rnum=rnum)
        [finding] = [row for row in rows if ":nofix" not in row.key]
        return finding

    return {
        "short": one("TRACK_REPLAYED", short),
        "long": one("TRACK_REPLAYED", long),
        "still": one("GNSS_STILL_MILEAGE", pulses),
        "cars": one("CAR_TWO_STUDENTS", first),
    }


@pytest.fixture
def officer(province_regulator: Any) -> Client:
    client = Client()
    client.force_login(province_regulator)
    return client


def page_of(client: Client, finding: Finding) -> str:
    response = client.get(f"/console/findings/{finding.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def assert_sound(html: str) -> None:
    """Every id once, no figure by its code, no placeholder left unfilled."""
    repeated = [k for k, n in Counter(re.findall(r'\sid="([^"]+)"', html)).items() if n > 1]
    assert not repeated, repeated
    assert not [code for code in CODES if f"<dt>{code}</dt>" in html]
    assert "%(" not in html


@pytest.mark.parametrize(
    ("name", "slug", "words"),
    [
        ("short", "track-replayed", "两条轨迹整体错开约"),
        ("long", "track-replayed", "与原始轨迹逐点对应"),
        ("still", "driving-gnss-still-mileage", "上报行驶但定位不动"),
        ("cars", "overlap", "同时进行"),
    ],
)
def test_each_detector_s_page_shows_its_panel(
    world: dict[str, Finding], officer: Client, name: str, slug: str, words: str
) -> None:
    html = page_of(officer, world[name])
    assert f'data-evidence="{slug}"' in html and words in html
    assert_sound(html)


def test_a_page_with_hatched_charts_gives_each_pattern_its_own_id(
    world: dict[str, Finding], officer: Client
) -> None:
    html = page_of(officer, world["still"])
    # Two charts shade the stretch, each with its own pattern, each pattern used by its chart.
    patterns = re.findall(r'<pattern id="([^"]+)"', html)
    assert len(patterns) == 2 and len(set(patterns)) == 2
    for pattern in patterns:
        assert f'fill="url(#{pattern})"' in html


def test_the_replay_page_costs_the_same_queries_whatever_its_length(
    world: dict[str, Finding], officer: Client
) -> None:
    short, long = world["short"], world["long"]
    assert short.evidence["figures"]["pairs"] < long.evidence["figures"]["pairs"]
    assert queries_of(officer, f"/console/findings/{short.pk}/") == queries_of(
        officer, f"/console/findings/{long.pk}/"
    )


def test_a_photo_finding_s_page_is_sound(
    shared: Shared, make_user: Callable[..., Any], province_regulator: Any, officer: Client
) -> None:
    html = page_of(officer, shared.finding)
    assert "<img" in html
    assert_sound(html)
