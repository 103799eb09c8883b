"""Region scope of the regulators' API, reading: a regulator sees only its own region.

One school is filed in 长沙 (岳麓区 430104), one in another 长沙 county (芙蓉区 430102) and one in
株洲 (芦淞区 430203) by the ``world`` fixture in ``conftest.py``.

Lists hold only in-scope rows and another city's rows answer 404 in the envelope.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from jiapei.accounts.models import Role, User
from jiapei.api.tests.scope_helpers import (
    FURONG,
    LUSONG,
    YUELU,
    World,
    ok,
    refused,
)
from jiapei.testing.fixtures import School

pytestmark = pytest.mark.usefixtures("fast_passwords")


# (list path, key of a row, the school's number for that key)
LISTS: list[tuple[str, str, Callable[[School], str]]] = [
    ("institutions", "inscode", lambda s: s.inscode),
    ("personnel", "coachnum", lambda s: s.coachnum),
    ("personnel?role=coach", "coachnum", lambda s: s.coachnum),
    ("cars", "carnum", lambda s: s.carnum),
    ("devices", "devnum", lambda s: s.devnum),
    ("students", "stunum", lambda s: s.stunum),
    ("areas", "inscode", lambda s: s.inscode),
    ("areas?status=pending", "inscode", lambda s: s.inscode),
]


def listed(api: Any, user: User, path: str, key: str) -> set[str]:
    sep = "&" if "?" in path else "?"
    data = ok(api(user, "GET", f"/api/regulator/{path}{sep}limit=1000"))
    rows = [row[key] for row in data["items"]]
    assert data["total"] == len(rows)
    return {r for r in rows if r is not None}


@pytest.mark.parametrize(("path", "key", "number"), LISTS, ids=[p for p, _, _ in LISTS])
def test_each_list_holds_only_the_callers_region(
    path: str,
    key: str,
    number: Callable[[School], str],
    world: World,
    api: Any,
    make_user: Callable[..., User],
    province_regulator: User,
    changsha_regulator: User,
    zhuzhou_regulator: User,
) -> None:
    yuelu, furong, lusong = number(world.yuelu), number(world.furong), number(world.lusong)
    yuelu_county = make_user(Role.COUNTY_REGULATOR, YUELU)

    assert listed(api, changsha_regulator, path, key) == {yuelu, furong}
    assert listed(api, zhuzhou_regulator, path, key) == {lusong}
    assert listed(api, yuelu_county, path, key) == {yuelu}
    assert listed(api, province_regulator, path, key) == {yuelu, furong, lusong}


def test_paging_never_reaches_outside_the_region(world: World, api: Any, changsha_regulator: User):
    seen = []
    for offset in range(0, 5):
        data = ok(
            api(changsha_regulator, "GET", f"/api/regulator/students?limit=1&offset={offset}")
        )
        assert data["total"] == 2
        seen += [row["stunum"] for row in data["items"]]
    assert sorted(seen) == sorted([world.yuelu.stunum, world.furong.stunum])


def test_a_negative_offset_is_answered_in_the_envelope(
    world: World, api: Any, changsha_regulator: User
):
    """Refused by field (400) or read as 0; never a server error, never outside the region."""
    reply = api(changsha_regulator, "GET", "/api/regulator/institutions?offset=-1&limit=1000")
    assert reply.headers["content-type"].startswith("application/json"), reply.status_code
    if reply.status_code == 200:
        items = ok(reply)["items"]
        assert {row["inscode"] for row in items} <= {world.yuelu.inscode, world.furong.inscode}
    else:
        refused(reply, 400, 2001)


def test_police_routes_are_listed_only_in_their_city(
    world: World, api: Any, changsha_regulator: User, zhuzhou_regulator: User, make_user: Any
):
    route_id = world.zhuzhou_route.pk

    def route_ids(user: User) -> set[int]:
        data = ok(api(user, "GET", "/api/regulator/areas?limit=1000"))
        return {row["id"] for row in data["items"] if row["police"]}

    assert route_ids(zhuzhou_regulator) == {route_id}
    assert route_ids(changsha_regulator) == set()
    refused(api(changsha_regulator, "GET", f"/api/regulator/areas/{route_id}"), 404, 2002)
    # A county regulator of 株洲 sees its own county's areas, not the city-wide route.
    assert route_ids(make_user(Role.COUNTY_REGULATOR, LUSONG)) == set()


def test_area_detail_only_within_scope(
    world: World,
    api: Any,
    make_user: Callable[..., User],
    province_regulator: User,
    changsha_regulator: User,
    zhuzhou_regulator: User,
) -> None:
    yuelu = world.areas[world.yuelu.inscode].pk
    furong = world.areas[world.furong.inscode].pk
    lusong = world.areas[world.lusong.inscode].pk
    yuelu_county = make_user(Role.COUNTY_REGULATOR, YUELU)

    def detail(user: User, pk: int) -> httpx.Response:
        return api(user, "GET", f"/api/regulator/areas/{pk}")

    assert ok(detail(changsha_regulator, yuelu))["inscode"] == world.yuelu.inscode
    assert ok(detail(changsha_regulator, furong))["inscode"] == world.furong.inscode
    body = refused(detail(changsha_regulator, lusong), 404, 2002)
    assert world.lusong.inscode not in body["message"]
    assert body["data"]["errors"][0]["field"] == "id"

    assert ok(detail(zhuzhou_regulator, lusong))["inscode"] == world.lusong.inscode
    refused(detail(zhuzhou_regulator, yuelu), 404, 2002)

    assert ok(detail(yuelu_county, yuelu))["region"] == YUELU
    refused(detail(yuelu_county, furong), 404, 2002)
    refused(detail(yuelu_county, lusong), 404, 2002)

    for pk in (yuelu, furong, lusong, world.zhuzhou_route.pk):
        ok(detail(province_regulator, pk))


def test_regions_list_is_the_callers_subtree(
    api: Any, changsha_regulator: User, province_regulator: User, make_user: Any
):
    codes = {r["code"] for r in ok(api(changsha_regulator, "GET", "/api/regulator/regions"))}
    assert {"430100", YUELU, FURONG} <= codes
    assert all(c.startswith("4301") for c in codes)
    county = {r["code"] for r in ok(api(make_user(Role.COUNTY_REGULATOR, YUELU), "GET",
                                             "/api/regulator/regions"))}  # fmt: skip
    assert county == {YUELU}
    province = {r["code"] for r in ok(api(province_regulator, "GET", "/api/regulator/regions"))}
    assert {"430000", "430100", "430200", LUSONG} <= province
