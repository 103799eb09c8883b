"""Fixtures of the work-order tests.

Teaching logs are uploaded through the signed API (``play_session`` of the audit pipeline's
tests) and audited by the worker's audit step; findings are then stored directly, as the fraud
pipeline would, and handed to :func:`jiapei.workorders.services.open_for_finding`. The syllabus
override of the stage tests makes part 2 of C1 need only 60 practical minutes, so one honest
session completes it and can be approved and pushed to the police platform.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jiapei.accounts.models import Role, User
from jiapei.audit.services import _syllabus_overrides
from jiapei.integrations.police.fake import FakePolicePlatform, shared_fake
from jiapei.stages.tests.conftest import SHORT_PART_TWO
from jiapei.training.tests.test_audit_pipeline import ground  # noqa: F401  (a fixture)


@pytest.fixture(autouse=True)
def short_part_two(settings: Any, tmp_path: Path) -> Iterator[None]:
    path = tmp_path / "syllabus.json"
    path.write_text(json.dumps(SHORT_PART_TWO), encoding="utf-8")
    settings.JIAPEI_SYLLABUS_FILE = str(path)
    settings.JIAPEI_STAGE_MANUAL_SHARE = 0.0
    settings.JIAPEI_STAGE_MANUAL_SHARE_BY_CITY = {}
    _syllabus_overrides.cache_clear()  # the overrides are read once per process
    yield
    _syllabus_overrides.cache_clear()


@pytest.fixture
def police(settings: Any) -> FakePolicePlatform:
    """The in-memory police platform the outbox relay delivers to."""
    settings.JIAPEI_POLICE_BACKEND = "fake"
    fake = shared_fake()
    fake.reset()
    return fake


@pytest.fixture
def county_regulator(make_user: Any) -> User:
    """The regulator of 岳麓区 (430104), the county of the test school."""
    user: User = make_user(Role.COUNTY_REGULATOR, "430104", "yuelu")
    return user
