"""The world of the manual-audit pages (the ``sampling`` fixture; a test module imports
``sampling_fixture`` and the fixtures named in its ``__all__`` to use it).

岳麓区 (430104) has one school with five teaching logs of October 2026 uploaded through the
signed API: two whole practical sessions (minutes, photos, the log; the first with four
stationary minutes, void), three logs alone. Two logs carry a fraud finding: the first session
the worker's scan finds too regular (SPEED_TOO_REGULAR), the second a finding written here.
芙蓉区 (430102), in the same city, has another school with two logs. The audit runs as in
production.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from jiapei.accounts.models import Role, User
from jiapei.core.actors import Actor
from jiapei.fraud.models import Finding
from jiapei.sim.client import TimingPlatformClient
from jiapei.supervision import services
from jiapei.supervision.models import SampleDraw
from jiapei.supervision.tests.conftest import OCTOBER, flag, upload_logs
from jiapei.testing.fixtures import School
from jiapei.testing.sessions import ground, play_session
from jiapei.training.models import TeachingLog

__all__ = ["flag", "ground", "sampling_fixture", "upload_logs"]


@dataclass
class Sampling:
    school: School
    rnums: list[str]
    finding: Finding
    other_school: School
    county: User  # 岳麓区's regulator
    city: User  # 长沙's regulator
    other_county: User  # 芙蓉区's regulator

    def draw(self, user: User | None = None, region: str = "430104") -> SampleDraw:
        """Draw October in a county (through the service, as the API does)."""
        [row] = self.draw_all(user, region)
        return row

    def draw_all(self, user: User | None = None, region: str = "430104") -> list[SampleDraw]:
        return services.draw(
            actor=Actor.for_user(user or self.county), region_code=region, month="2026-10"
        )


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(name="sampling")
def sampling_fixture(
    tp: TimingPlatformClient,
    school: School,
    ground: Any,
    file_school: Callable[..., School],
    make_user: Callable[..., User],
    upload_logs: Callable[..., list[str]],
    flag: Callable[..., Finding],
) -> Sampling:
    rnums = [
        play_session(
            tp, school, recnum="90001", start=OCTOBER, length=30, stationary=range(10, 14)
        ),
        play_session(
            tp, school, recnum="90002", start=OCTOBER + timedelta(hours=2), length=20, seq0=100
        ),
    ]
    rnums += upload_logs(school, [OCTOBER.replace(day=d) for d in (8, 9, 10)])
    other = file_school("430102")
    upload_logs(other, [OCTOBER.replace(day=d) for d in (6, 7)])
    call_command("worker", once=True)
    assert TeachingLog.objects.count() == 7
    return Sampling(
        school=school,
        rnums=rnums,
        finding=flag(rnums[1]),
        other_school=other,
        county=make_user(Role.COUNTY_REGULATOR, "430104", "yuelu"),
        city=make_user(Role.CITY_REGULATOR, "430100", "changsha"),
        other_county=make_user(Role.COUNTY_REGULATOR, "430102", "furong"),
    )
