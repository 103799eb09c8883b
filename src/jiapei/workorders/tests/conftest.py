"""Fixtures of the work-order tests.

Teaching logs are uploaded through the signed API (``play_session`` of the audit pipeline's
tests) and audited by the worker's audit step; findings are then stored directly, as the fraud
pipeline would, and handed to :func:`jiapei.workorders.services.open_for_finding`. The syllabus
override of the stage tests makes part 2 of C1 need only 60 practical minutes, so one honest
session completes it and can be approved and pushed to the police platform.
"""

from __future__ import annotations

from typing import Any

import pytest

from jiapei.accounts.models import Role, User

# The stage tests' fixtures: a 60-minute part 2 (autouse) and the fake police platform.
from jiapei.stages.tests.conftest import police, short_part_two  # noqa: F401
from jiapei.testing.sessions import ground  # noqa: F401  (a fixture)


@pytest.fixture
def county_regulator(make_user: Any) -> User:
    """The regulator of 岳麓区 (430104), the county of the test school."""
    user: User = make_user(Role.COUNTY_REGULATOR, "430104", "yuelu")
    return user
