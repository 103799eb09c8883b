"""Region scope of the regulators' API, writing: a regulator changes only its own region.

One school is filed in 长沙 (岳麓区 430104), one in another 长沙 county (芙蓉区 430102) and one in
株洲 (芦淞区 430203) by the ``world`` fixture in ``conftest.py``.

Another city's rows answer 404 (or 403 for routes and platforms) in the envelope, and a
refused write leaves the row, the audit trail and the outbox exactly as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jiapei.accounts.models import Role, User
from jiapei.api.tests.scope_helpers import (
    ENVELOPE_KEYS,
    LUSONG,
    YUELU,
    World,
    ok,
    platform_body,
    refused,
    route_payload,
    snapshot,
)
from jiapei.registry.models import (
    AreaStatus,
    FilingStatus,
    Personnel,
    PlatformStatus,
    TeachingArea,
    TimingPlatform,
    TrainingCar,
)
from jiapei.testing import factories as f
from jiapei.testing.fixtures import PASSWORD

pytestmark = pytest.mark.usefixtures("fast_passwords")


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
        if role == "bad":
            # Wrong passwords: 401, until the login throttle locks the caller out (429).
            assert reply.status_code in (401, 429), (method, path, reply.text)
            assert envelope["errorcode"] == 3002, (method, path, reply.text)
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
