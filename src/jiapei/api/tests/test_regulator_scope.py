"""Region scope of the regulators' API: a regulator sees and changes only its own region.

One school is filed in 长沙 (岳麓区 430104), one in another 长沙 county (芙蓉区 430102) and one in
株洲 (芦淞区 430203). Every resource the API exposes is checked from each side: lists hold only
in-scope rows, another city's rows answer 404 (or 403 for routes) in the envelope, and a refused
write leaves the row, the audit trail and the outbox exactly as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from jiapei.accounts.models import Role, User
from jiapei.core.models import AuditLogEntry
from jiapei.outbox.models import OutboxMessage
from jiapei.registry.models import (
    AreaStatus,
    FilingStatus,
    Personnel,
    PlatformStatus,
    TeachingArea,
    TimingPlatform,
    TrainingCar,
)
from jiapei.signing import generate_key, public_pem
from jiapei.sim.world import square
from jiapei.testing import factories as f
from jiapei.testing.fixtures import PASSWORD, School

YUELU, FURONG, LUSONG = "430104", "430102", "430203"
ZHUZHOU_CENTRE = (113.13, 27.83)
ENVELOPE_KEYS = {"errorcode", "message", "data"}


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # Every API call authenticates with HTTP Basic; the production hasher costs ~0.3 s a call.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def ok(reply: httpx.Response) -> Any:
    body = reply.json()
    assert reply.status_code == 200, body
    assert set(body) == ENVELOPE_KEYS and body["errorcode"] == 0, body
    return body["data"]


def refused(reply: httpx.Response, status: int, errorcode: int) -> dict[str, Any]:
    body = reply.json()
    assert set(body) == ENVELOPE_KEYS, body
    assert (reply.status_code, body["errorcode"]) == (status, errorcode), body
    return body


@dataclass
class World:
    yuelu: School
    furong: School
    lusong: School
    areas: dict[str, TeachingArea]  # keyed by inscode
    zhuzhou_route: TeachingArea


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


def snapshot() -> dict[str, Any]:
    """Everything a refused regulator write could have touched."""
    return {
        "audit": AuditLogEntry.objects.count(),
        "outbox": list(OutboxMessage.objects.values_list("idempotency_key", flat=True)),
        "areas": list(
            TeachingArea.objects.order_by("pk").values_list(
                "pk", "status", "review_reason", "reviewed_by", "name", "polygon", "time_windows"
            )
        ),
        "personnel": list(
            Personnel.objects.order_by("pk").values_list("number", "filing_status", "status_reason")
        ),
        "cars": list(
            TrainingCar.objects.order_by("pk").values_list(
                "carnum", "filing_status", "status_reason"
            )
        ),
        "platforms": list(
            TimingPlatform.objects.order_by("pk").values_list(
                "platnum", "status", "cert_serial", "callback_url"
            )
        ),
    }


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


# Writes into another city: every one is refused and leaves no trace.


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_city_regulator_cannot_review_another_citys_area(
    decision: str, world: World, api: Any, changsha_regulator: User, make_user: Any
):
    lusong = world.areas[world.lusong.inscode]
    furong = world.areas[world.furong.inscode]
    yuelu_county = make_user(Role.COUNTY_REGULATOR, YUELU)
    before = snapshot()
    body = {"decision": decision, "reason": "越权审核"}
    refused(api(changsha_regulator, "POST", f"/api/regulator/areas/{lusong.pk}/review", json=body),
            404, 2002)  # fmt: skip
    # A county regulator of 长沙 cannot review its sibling county's area either.
    refused(api(yuelu_county, "POST", f"/api/regulator/areas/{furong.pk}/review", json=body),
            404, 2002)  # fmt: skip
    assert snapshot() == before
    lusong.refresh_from_db()
    assert lusong.status == AreaStatus.PENDING and lusong.reviewed_by is None


def test_own_city_review_is_allowed(world: World, api: Any, changsha_regulator: User):
    # The control for the test above: the same call on an in-scope area succeeds.
    yuelu = world.areas[world.yuelu.inscode]
    data = ok(api(changsha_regulator, "POST", f"/api/regulator/areas/{yuelu.pk}/review",
                  json={"decision": "approve"}))  # fmt: skip
    assert data["status"] == AreaStatus.APPROVED
    # Approving it again is refused: it is no longer pending.
    refused(api(changsha_regulator, "POST", f"/api/regulator/areas/{yuelu.pk}/review",
                json={"decision": "approve"}), 400, 2001)  # fmt: skip


@pytest.mark.parametrize(("kind", "attr"), [("coach", "coachnum"), ("trainingcar", "carnum")])
def test_city_regulator_cannot_revoke_another_citys_filing(
    kind: str,
    attr: str,
    world: World,
    api: Any,
    changsha_regulator: User,
    zhuzhou_regulator: User,
) -> None:
    number = getattr(world.lusong, attr)
    path = f"/api/regulator/filings/{kind}/{number}"
    before = snapshot()
    body = refused(api(changsha_regulator, "POST", f"{path}/revoke", json={"reason": "越权"}),
                   404, 2002)  # fmt: skip
    assert body["data"]["errors"][0]["field"] == "number"
    assert snapshot() == before

    # 株洲 revokes its own filing; 长沙 then cannot restore it.
    assert (
        ok(api(zhuzhou_regulator, "POST", f"{path}/revoke", json={"reason": "违规"}))[
            "filingstatus"
        ]
        == FilingStatus.REVOKED
    )
    before = snapshot()
    refused(api(changsha_regulator, "POST", f"{path}/restore", json={"reason": "越权"}), 404, 2002)
    assert snapshot() == before
    model = TrainingCar if kind == "trainingcar" else Personnel
    lookup = {"carnum": number} if kind == "trainingcar" else {"number": number}
    row = model.objects.get(**lookup)
    assert (row.filing_status, row.status_reason) == (FilingStatus.REVOKED, "违规")


def test_county_regulator_cannot_revoke_in_a_sibling_county(
    world: World, api: Any, make_user: Callable[..., User]
):
    yuelu_county = make_user(Role.COUNTY_REGULATOR, YUELU)
    before = snapshot()
    for number in (world.furong.coachnum, world.lusong.coachnum):
        refused(api(yuelu_county, "POST", f"/api/regulator/filings/coach/{number}/revoke",
                    json={"reason": "越权"}), 404, 2002)  # fmt: skip
    assert snapshot() == before
    ok(api(yuelu_county, "POST", f"/api/regulator/filings/coach/{world.yuelu.coachnum}/revoke",
           json={"reason": "本辖区"}))  # fmt: skip
    assert Personnel.objects.get(number=world.yuelu.coachnum).filing_status == "revoked"


def route_payload(**overrides: Any) -> dict[str, Any]:
    return {
        "seq": "1",
        "name": "越权路线",
        "vehicletype": "C1",
        "polygon": square((112.95, 28.25), 1.0),
        "time_windows": [{"start": "08:00", "end": "10:00"}],
        **overrides,
    }


@pytest.mark.parametrize("region", ["430200", LUSONG, "430000"])
def test_city_regulator_cannot_enter_a_route_outside_its_city(
    region: str, world: World, api: Any, changsha_regulator: User
):
    before = snapshot()
    body = refused(api(changsha_regulator, "POST", "/api/regulator/routes",
                       json=route_payload(region=region)), 403, 3001)  # fmt: skip
    assert body["data"]["errors"][0]["field"] == "region"
    assert snapshot() == before
    route = TeachingArea.objects.get(pk=world.zhuzhou_route.pk)
    assert route.name == "株洲公安指定道路训练路线一"
    assert not TeachingArea.objects.filter(name="越权路线").exists()


def test_county_regulator_cannot_enter_routes(world: World, api: Any, make_user: Any):
    yuelu_county = make_user(Role.COUNTY_REGULATOR, YUELU)
    before = snapshot()
    refused(api(yuelu_county, "POST", "/api/regulator/routes", json=route_payload()), 403, 3001)
    assert snapshot() == before


def test_city_regulator_enters_a_route_for_its_own_city(api: Any, changsha_regulator: User, db):
    data = ok(api(changsha_regulator, "POST", "/api/regulator/routes", json=route_payload()))
    assert (data["region"], data["created"]) == ("430100", True)


# Timing platforms: province regulators only.


def platform_body(platnum: str = "B0042") -> dict[str, Any]:
    key = generate_key()
    return {"platnum": platnum, "name": "越权平台", "cert_serial": "ABCDEF01",
            "public_key_pem": public_pem(key), "callback_url": "http://127.0.0.1:9/cb"}  # fmt: skip


def test_only_the_province_registers_timing_platforms(
    platform: TimingPlatform,
    api: Any,
    changsha_regulator: User,
    province_regulator: User,
    make_user: Any,
):
    yuelu_county = make_user(Role.COUNTY_REGULATOR, YUELU)
    before = snapshot()
    for user in (changsha_regulator, yuelu_county):
        refused(api(user, "POST", "/api/regulator/platforms", json=platform_body()), 403, 3001)
        # Nor may a city regulator re-register (and so redirect) an existing platform.
        hijack = {**platform_body(platform.platnum), "cert_serial": platform.cert_serial}
        refused(api(user, "POST", "/api/regulator/platforms", json=hijack), 403, 3001)
    assert snapshot() == before

    data = ok(api(province_regulator, "POST", "/api/regulator/platforms", json=platform_body()))
    assert (data["platnum"], data["status"], data["created"]) == ("B0042", "active", True)


def test_only_the_province_suspends_timing_platforms(
    platform: TimingPlatform,
    tp: Any,
    api: Any,
    changsha_regulator: User,
    province_regulator: User,
    make_user: Any,
):
    path = f"/api/regulator/platforms/{platform.platnum}/status"
    yuelu_county = make_user(Role.COUNTY_REGULATOR, YUELU)
    before = snapshot()
    for user in (changsha_regulator, yuelu_county):
        for status in ("suspended", "revoked"):
            refused(api(user, "POST", path, json={"status": status, "reason": "越权"}), 403, 3001)
    assert snapshot() == before
    assert tp.call("institution", f.InstitutionPayload())[1]["errorcode"] == 0

    data = ok(api(province_regulator, "POST", path, json={"status": "suspended", "reason": "整改"}))
    assert data["status"] == PlatformStatus.SUSPENDED


# Callers who are not regulators.

ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "regions", None),
    ("GET", "platforms", None),
    ("GET", "institutions", None),
    ("GET", "personnel", None),
    ("GET", "cars", None),
    ("GET", "devices", None),
    ("GET", "students", None),
    ("GET", "areas", None),
    ("GET", "areas/{area}", None),
    ("POST", "areas/{area}/review", {"decision": "approve"}),
    ("POST", "filings/coach/{coachnum}/revoke", {"reason": "r"}),
    ("POST", "filings/coach/{coachnum}/restore", {"reason": "r"}),
    ("POST", "filings/trainingcar/{carnum}/revoke", {"reason": "r"}),
    ("POST", "routes", route_payload()),
    ("POST", "platforms", platform_body("C0043")),
    ("POST", "platforms/{platnum}/status", {"status": "suspended", "reason": "r"}),
]


@pytest.mark.parametrize("role", [None, Role.SCHOOL, Role.STUDENT, Role.TIMING_PLATFORM, "bad"])
def test_non_regulators_are_refused_everywhere(
    role: str | None, world: World, platform: TimingPlatform, api: Any, make_user: Any
):
    caller: User | None = None
    status, errorcode = 401, 3002
    if role == "bad":
        # A regulator's name with the wrong password is anonymous.
        caller = make_user(Role.CITY_REGULATOR, "430100", "changsha-impostor")
        caller.set_password("not-" + PASSWORD)
        caller.save()
    elif role is not None:
        caller = make_user(role)
        status, errorcode = 403, 3001
    names = {
        "area": world.areas[world.yuelu.inscode].pk,
        "coachnum": world.yuelu.coachnum,
        "carnum": world.yuelu.carnum,
        "platnum": platform.platnum,
    }
    before = snapshot()
    for method, path, body in ENDPOINTS:
        reply = api(caller, method, "/api/regulator/" + path.format(**names), json=body)
        envelope = reply.json()
        assert set(envelope) == ENVELOPE_KEYS, (method, path, reply.text)
        assert envelope["data"] in (None, {}), (method, path, reply.text)
        if status == 401:
            # Without valid credentials: 401, or 403 where the session's CSRF check answers first
            # (see test_a_post_with_wrong_credentials_is_told_to_authenticate).
            assert reply.status_code in (401, 403), (method, path, reply.text)
            assert envelope["errorcode"] != 0, (method, path, reply.text)
        else:
            assert (reply.status_code, envelope["errorcode"]) == (status, errorcode), (
                method,
                path,
                reply.text,
            )
    assert snapshot() == before


def test_a_post_with_wrong_credentials_is_told_to_authenticate(
    api: Any, make_user: Callable[..., User]
):
    """A script whose password is wrong must learn that it is not authenticated (3002, one of the
    stable codes), not that a browser's CSRF token is missing."""
    caller = make_user(Role.PROVINCE_REGULATOR, "430000", "hunan-script")
    caller.set_password("not-" + PASSWORD)
    caller.save()
    reply = api(caller, "POST", "/api/regulator/platforms", json=platform_body("D0044"))
    refused(reply, 401, 3002)
    assert not TimingPlatform.objects.filter(platnum="D0044").exists()


def test_a_deactivated_regulator_is_refused(api: Any, changsha_regulator: User):
    ok(api(changsha_regulator, "GET", "/api/regulator/regions"))
    User.objects.filter(pk=changsha_regulator.pk).update(is_active=False)
    refused(api(changsha_regulator, "GET", "/api/regulator/regions"), 401, 3002)
