"""Fixtures shared by the regulator-scope tests (``test_scope_lists`` and ``test_scope_writes``).

None is autouse: a module asks for ``fast_passwords`` with
``pytestmark = pytest.mark.usefixtures("fast_passwords")``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jiapei.accounts.models import User
from jiapei.api.tests.edge_helpers import wire_bodies  # noqa: F401 (fixtures)
from jiapei.api.tests.scope_helpers import FURONG, LUSONG, YUELU, ZHUZHOU_CENTRE, World, ok
from jiapei.registry.models import TeachingArea
from jiapei.sim.world import square
from jiapei.testing import factories as f
from jiapei.testing.fixtures import School


@pytest.fixture
def fast_passwords(settings: Any) -> None:
    # Every API call authenticates with HTTP Basic; the production hasher costs ~0.3 s a call.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(file_school: Callable[..., School], tp: Any, api: Any, zhuzhou_regulator: User) -> World:
    yuelu = file_school(district=YUELU)
    furong = file_school(district=FURONG)
    lusong = file_school(district=LUSONG)
    tp.post("region", f.AreaPayload(inscode=yuelu.inscode, seq="1"))
    tp.post("region", f.AreaPayload(inscode=furong.inscode, seq="1", address="长沙市芙蓉区"))
    tp.post(
        "region",
        f.AreaPayload(
            inscode=lusong.inscode,
            seq="1",
            address="株洲市芦淞区",
            polygon=square(ZHUZHOU_CENTRE, 0.4),
        ),
    )
    route = ok(
        api(
            zhuzhou_regulator,
            "POST",
            "/api/regulator/routes",
            json={
                "seq": "1",
                "name": "株洲公安指定道路训练路线一",
                "vehicletype": "C1",
                "polygon": square((ZHUZHOU_CENTRE[0] + 0.03, ZHUZHOU_CENTRE[1]), 1.0),
                "time_windows": [{"start": "09:00", "end": "11:30"}],
            },
        )
    )
    areas = {
        a.institution.inscode: a
        for a in TeachingArea.objects.filter(institution__isnull=False).select_related(
            "institution"
        )
    }
    return World(yuelu, furong, lusong, areas, TeachingArea.objects.get(pk=route["id"]))
