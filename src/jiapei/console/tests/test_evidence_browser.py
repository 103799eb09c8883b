"""The evidence panels in a real browser, inside the console's page frame: the replayed track
over its original and the overlapping sessions, readable at the console's width, their data
tables opening, their session links leading to the session pages; screenshots for review."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from jiapei.console.tests.evidence_world import DAY, at, audit, found, loop, page, rendered, upload
from jiapei.fraud.detectors import driving, overlaps, replay

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_the_panels_read_in_the_console_frame(
    web: Any, tp: Any, school: Any, ground: Any, province_regulator: Any
) -> None:
    original = upload(
        tp,
        school,
        number=1,
        start=at(DAY - timedelta(days=3), 9),
        fixes=loop(20, speeds=(120, 180, 240, 150, 200)),
    )
    copy = upload(
        tp, school, number=2, start=at(DAY, 9, 30), fixes=loop(20, speeds=(200,), jitter_m=8)
    )
    upload(tp, school, number=3, start=at(DAY, 9, 40), fixes=[], length=30)
    audit()
    panels = "".join(
        rendered(
            found(province_regulator, detector, copy, detectors=[module.detect]), province_regulator
        )
        for detector, module in (
            ("TRACK_REPLAYED", replay),
            ("SPEED_TOO_REGULAR", driving),
            ("THEORY_PRACTICE_CROSS", overlaps),
        )
    )
    web.go("/")
    web.page.set_content(page(panels))
    map_box = web.page.locator("svg.map").first.bounding_box()
    main_box = web.page.locator("main").bounding_box()
    # The map fits the main column; nothing overflows sideways.
    assert map_box and main_box and map_box["width"] > 300
    assert map_box["x"] + map_box["width"] <= main_box["x"] + main_box["width"] + 1
    assert web.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The distances' data table opens; the original session is a link.
    web.page.get_by_text("数据表").first.click()
    assert web.page.get_by_role("columnheader", name="原始培训对应时刻").is_visible()
    assert web.page.get_by_role("link", name=original).first.is_visible()
    assert web.page.locator(".evidence-strip svg").count() == 2
    web.shot("evidence-panels")
