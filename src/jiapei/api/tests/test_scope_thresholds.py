"""Region scope of the audit-threshold list: a regulator reads the settings in force somewhere in
its region (the province's, its city's, its institutions') and not another city's or another
region's schools'. Before, every regulator read every override in the province."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jiapei.accounts.models import Role, User
from jiapei.api.tests.scope_helpers import FURONG, LUSONG, YUELU, ok, refused
from jiapei.testing.fixtures import School

URL = "/api/regulator/thresholds"


@pytest.fixture
def settings_by_scope(
    api: Any,
    file_school: Callable[..., School],
    province_regulator: User,
    changsha_regulator: User,
    zhuzhou_regulator: User,
) -> dict[str, str]:
    """One speed-limit override per scope, set through the API; keyed by a name for the scope,
    valued by its ``scope_code``."""
    yuelu, lusong = file_school(district=YUELU), file_school(district=LUSONG)
    scopes = [
        (province_regulator, "province", "430000"),
        (changsha_regulator, "city", "430100"),
        (zhuzhou_regulator, "city", "430200"),
        (changsha_regulator, "institution", yuelu.inscode),
        (zhuzhou_regulator, "institution", lusong.inscode),
    ]
    for user, kind, code in scopes:
        ok(api(user, "POST", URL, json={"scope_kind": kind, "scope_code": code,
                                        "field": "speed_limit_part2_kmh", "value": 20,
                                        "effective_from": "2026-11-01"}))  # fmt: skip
    return {
        "province": "430000",
        "changsha": "430100",
        "zhuzhou": "430200",
        "yuelu_school": yuelu.inscode,
        "lusong_school": lusong.inscode,
    }


# (caller role, caller region, the scopes it reads)
READERS = [
    (Role.PROVINCE_REGULATOR, "430000",
     {"province", "changsha", "zhuzhou", "yuelu_school", "lusong_school"}),
    (Role.CITY_REGULATOR, "430100", {"province", "changsha", "yuelu_school"}),
    (Role.CITY_REGULATOR, "430200", {"province", "zhuzhou", "lusong_school"}),
    (Role.COUNTY_REGULATOR, YUELU, {"province", "changsha", "yuelu_school"}),
    (Role.COUNTY_REGULATOR, FURONG, {"province", "changsha"}),
    (Role.COUNTY_REGULATOR, LUSONG, {"province", "zhuzhou", "lusong_school"}),
]  # fmt: skip


@pytest.mark.parametrize(("role", "region", "expected"), READERS, ids=[r[1] for r in READERS])
def test_the_threshold_list_holds_the_settings_in_force_in_the_callers_region(
    role: str,
    region: str,
    expected: set[str],
    settings_by_scope: dict[str, str],
    api: Any,
    make_user: Callable[..., User],
) -> None:
    caller = make_user(role, region)
    codes = [row["scope_code"] for row in ok(api(caller, "GET", URL))]
    assert len(codes) == len(set(codes))
    assert set(codes) == {settings_by_scope[name] for name in expected}


@pytest.mark.parametrize("role", [Role.SCHOOL, Role.STUDENT, Role.TIMING_PLATFORM])
def test_non_regulators_and_anonymous_callers_read_no_thresholds(
    role: str, settings_by_scope: dict[str, str], api: Any, make_user: Callable[..., User]
) -> None:
    refused(api(make_user(role), "GET", URL), 403, 3001)
    refused(api(None, "GET", URL), 401, 3002)
