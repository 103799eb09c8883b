"""Fixtures of the stage-review tests.

``ground`` (an approved part-2 teaching area and the 长沙 regulator who approved it) and
``play_session`` come from the audit pipeline's tests; a province syllabus override makes part 2
of C1 need only 60 practical minutes, so one honest session completes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jiapei.audit.services.verdicts import syllabus_overrides
from jiapei.integrations.police.fake import FakePolicePlatform, shared_fake
from jiapei.testing.sessions import ground  # noqa: F401  (a fixture)

SHORT_PART_TWO = {
    "overrides": {
        "2016": {
            "classes": {
                "C1": {"parts": {"2": {"total_minutes": 60, "minimum_minutes": {"practical": 60}}}}
            }
        }
    }
}


@pytest.fixture(autouse=True)
def short_part_two(settings: Any, tmp_path: Path) -> Iterator[None]:
    path = tmp_path / "syllabus.json"
    path.write_text(json.dumps(SHORT_PART_TWO), encoding="utf-8")
    settings.JIAPEI_SYLLABUS_FILE = str(path)
    settings.JIAPEI_STAGE_MANUAL_SHARE = 0.0
    settings.JIAPEI_STAGE_MANUAL_SHARE_BY_CITY = {}
    syllabus_overrides.cache_clear()  # the overrides are read once per process
    yield
    syllabus_overrides.cache_clear()


@pytest.fixture
def police(settings: Any) -> FakePolicePlatform:
    """The in-memory police platform the outbox relay delivers to."""
    settings.JIAPEI_POLICE_BACKEND = "fake"
    fake = shared_fake()
    fake.reset()
    return fake
