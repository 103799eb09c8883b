"""Regulators' decisions and the callbacks that carry them to the timing platform.

A teaching area is reviewed and the platform told through ``/reviewmsg``; a coach's or car's
filing is revoked and restored and the platform told through ``/recordchangemsg``
(standards.md §2.3); a city regulator enters a police-designated road route. Callbacks go
through the outbox and the real relay to a :class:`CallbackReceiver` on loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from jiapei.accounts.models import Role, User
from jiapei.cli.worker import relay_once
from jiapei.core.models import AuditLogEntry
from jiapei.outbox.models import MessageStatus, OutboxMessage
from jiapei.registry.models import (
    AreaStatus,
    AreaType,
    FilingStatus,
    Personnel,
    TeachingArea,
    TimingPlatform,
    TrainingCar,
)
from jiapei.signing import public_pem
from jiapei.sim.client import TimingPlatformClient
from jiapei.sim.receiver import CallbackReceiver
from jiapei.sim.world import square
from jiapei.testing import factories as f
from jiapei.testing.fixtures import School

ENVELOPE_KEYS = {"errorcode", "message", "data"}


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # Every API call authenticates with HTTP Basic; the production hasher costs ~0.3 s a call.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def receiver(
    settings: Any,
    platform: TimingPlatform,
    platform_key: rsa.RSAPrivateKey,
    api: Any,
    province_regulator: User,
) -> Iterator[CallbackReceiver]:
    """A live callback endpoint, made the timing platform's ``callback_url`` by the province
    regulator re-registering the platform through the API."""
    settings.JIAPEI_CALLBACK_BACKEND = "http"
    with CallbackReceiver() as live:
        data = ok(
            api(
                province_regulator,
                "POST",
                "/api/regulator/platforms",
                json={
                    "platnum": platform.platnum,
                    "name": platform.name,
                    "cert_serial": platform.cert_serial,
                    "public_key_pem": public_pem(platform_key),
                    "callback_url": live.url,
                },
            )
        )
        assert (data["created"], data["callback_url"]) == (False, live.url)
        yield live


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


def fields(body: dict[str, Any]) -> set[str]:
    return {e["field"] for e in (body.get("data") or {}).get("errors", [])}


def file_area(tp: TimingPlatformClient, inscode: str, **overrides: Any) -> TeachingArea:
    data = tp.post("region", f.AreaPayload(inscode=inscode, **{"seq": "0003", **overrides}))
    return TeachingArea.objects.get(institution__inscode=inscode, seq=data["seq"])


def review(api: Any, user: User, area: TeachingArea, **body: Any) -> httpx.Response:
    return api(user, "POST", f"/api/regulator/areas/{area.pk}/review", json=body)


# Teaching-area review.


def test_area_enters_pending_and_approval_reaches_the_platform_once(
    school: School, tp: TimingPlatformClient, api: Any, changsha_regulator: User, receiver: Any
):
    filed = tp.post("region", f.AreaPayload(inscode=school.inscode, seq="0003"))
    assert (filed["status"], filed["created"], filed["seq"]) == ("pending", True, "0003")
    key = {"inscode": school.inscode, "seq": "0003"}
    assert tp.post("regionreview/get", key)["flag"] == 0
    # Filing is not a decision: nothing is queued for the platform.
    assert relay_once() == (0, 0)
    assert receiver.received == []

    area = TeachingArea.objects.get(institution__inscode=school.inscode, seq="0003")
    data = ok(review(api, changsha_regulator, area, decision="approve"))
    assert data["status"] == AreaStatus.APPROVED and data["reviewedat"]
    area.refresh_from_db()
    assert (area.status, area.reviewed_by) == (AreaStatus.APPROVED, changsha_regulator)
    assert AuditLogEntry.objects.filter(action="region.review", object_id=str(area.pk)).count() == 1

    # The callback waits in the outbox until the relay runs.
    assert receiver.received == []
    assert OutboxMessage.objects.get().status == MessageStatus.PENDING
    assert relay_once() == (1, 0)
    assert receiver.received == [
        ("/reviewmsg", {"reviewtype": "1", "data": {"inscode": school.inscode, "seq": "0003"}})
    ]
    assert relay_once() == (0, 0)
    assert len(receiver.received) == 1 and receiver.duplicates == 0
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts, message.platform_id) == (
        "delivered",
        1,
        area.platform_id,
    )

    result = tp.post("regionreview/get", key)
    assert (result["flag"], result["status"]) == (1, "approved")


def test_county_regulator_of_the_district_may_review(
    school: School, tp: TimingPlatformClient, api: Any, make_user: Any
):
    area = file_area(tp, school.inscode)
    ok(review(api, make_user(Role.COUNTY_REGULATOR, "430104"), area, decision="approve"))
    assert TeachingArea.objects.get(pk=area.pk).status == AreaStatus.APPROVED


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_rejecting_without_a_reason_is_refused(
    reason: str | None,
    school: School,
    tp: TimingPlatformClient,
    api: Any,
    changsha_regulator: User,
):
    area = file_area(tp, school.inscode)
    body = {"decision": "reject"} if reason is None else {"decision": "reject", "reason": reason}
    answer = refused(review(api, changsha_regulator, area, **body), 400, 2001)
    assert fields(answer) == {"reason"}
    area.refresh_from_db()
    assert (area.status, area.reviewed_by) == (AreaStatus.PENDING, None)
    assert not OutboxMessage.objects.exists()
    assert tp.post("regionreview/get", {"inscode": school.inscode, "seq": "0003"})["flag"] == 0


def test_rejection_with_a_reason_is_sent_and_readable(
    school: School, tp: TimingPlatformClient, api: Any, changsha_regulator: User, receiver: Any
):
    area = file_area(tp, school.inscode)
    data = ok(review(api, changsha_regulator, area, decision="reject", reason="  围栏超出场地  "))
    assert (data["status"], data["reason"]) == ("rejected", "围栏超出场地")
    assert relay_once() == (1, 0)
    assert receiver.received == [
        ("/reviewmsg", {"reviewtype": "1", "data": {"inscode": school.inscode, "seq": "0003"}})
    ]
    result = tp.post("regionreview/get", {"inscode": school.inscode, "seq": "0003"})
    assert (result["flag"], result["reason"]) == (0, "围栏超出场地")


def test_an_unknown_decision_is_refused_by_field(
    school: School, tp: TimingPlatformClient, api: Any, changsha_regulator: User
):
    area = file_area(tp, school.inscode)
    answer = refused(review(api, changsha_regulator, area, decision="maybe"), 400, 2001)
    assert fields(answer) == {"decision"}
    assert TeachingArea.objects.get(pk=area.pk).status == AreaStatus.PENDING


def test_refiling_a_changed_polygon_returns_the_area_to_review(
    school: School, tp: TimingPlatformClient, api: Any, changsha_regulator: User, receiver: Any
):
    polygon = square((112.90, 28.20), 0.4)
    area = file_area(tp, school.inscode, polygon=polygon)
    ok(review(api, changsha_regulator, area, decision="approve"))
    key = {"inscode": school.inscode, "seq": "0003"}

    # The same shape filed again (say, a new vehicle count) keeps the approval.
    again = tp.post("region", f.AreaPayload(inscode=school.inscode, seq="0003", polygon=polygon,
                                            curvehnum=9))  # fmt: skip
    assert (again["status"], again["created"]) == ("approved", False)
    assert tp.post("regionreview/get", key)["flag"] == 1

    moved = tp.post("region", f.AreaPayload(inscode=school.inscode, seq="0003",
                                            polygon=square((112.91, 28.20), 0.4)))  # fmt: skip
    assert (moved["status"], moved["created"]) == ("pending", False)
    result = tp.post("regionreview/get", key)
    assert (result["flag"], result["status"]) == (0, "pending")
    area.refresh_from_db()
    assert (area.reviewed_by, area.reviewed_at) == (None, None)

    # It is reviewed again, and a second /reviewmsg is sent.
    ok(review(api, changsha_regulator, area, decision="approve"))
    assert relay_once() == (2, 0)
    assert [path for path, _ in receiver.received] == ["/reviewmsg", "/reviewmsg"]
    assert receiver.duplicates == 0
    assert tp.post("regionreview/get", key)["flag"] == 1


def test_refiling_a_rejected_area_returns_it_to_review(
    school: School, tp: TimingPlatformClient, api: Any, changsha_regulator: User
):
    area = file_area(tp, school.inscode)
    ok(review(api, changsha_regulator, area, decision="reject", reason="不合格"))
    assert tp.post("region", f.AreaPayload(inscode=school.inscode, seq="0003"))["status"] == (
        "pending"
    )
    area.refresh_from_db()
    assert (area.status, area.review_reason) == (AreaStatus.PENDING, "")


# Revoking and restoring filings.


def revoke(api: Any, user: User, kind: str, number: str, action: str = "revoke", reason="违规"):
    return api(user, "POST", f"/api/regulator/filings/{kind}/{number}/{action}",
               json={"reason": reason})  # fmt: skip


def test_revoking_and_restoring_a_coach_reach_the_platform(
    school: School, api: Any, changsha_regulator: User, receiver: Any
):
    data = ok(revoke(api, changsha_regulator, "coach", school.coachnum, reason="伪造学时"))
    assert data == {"number": school.coachnum, "filingstatus": "revoked"}
    # Revoking again changes nothing and sends nothing more.
    assert ok(revoke(api, changsha_regulator, "coach", school.coachnum))["filingstatus"] == (
        "revoked"
    )
    coach = Personnel.objects.get(number=school.coachnum)
    assert (coach.filing_status, coach.status_reason) == (FilingStatus.REVOKED, "伪造学时")
    assert relay_once() == (1, 0)
    assert relay_once() == (0, 0)
    assert receiver.received == [
        (
            "/recordchangemsg",
            {
                "recordtype": "2",
                "changetype": "0",
                "inscode": school.inscode,
                "recordnum": school.coachnum,
                "reason": "伪造学时",
            },
        )
    ]

    ok(revoke(api, changsha_regulator, "coach", school.coachnum, "restore", reason="整改完成"))
    ok(revoke(api, changsha_regulator, "coach", school.coachnum, "restore", reason="整改完成"))
    assert Personnel.objects.get(number=school.coachnum).filing_status == FilingStatus.ACTIVE
    assert relay_once() == (1, 0)
    assert len(receiver.received) == 2 and receiver.duplicates == 0
    path, body = receiver.received[1]
    assert path == "/recordchangemsg"
    assert (body["recordtype"], body["changetype"], body["recordnum"]) == (
        "2",
        "1",
        school.coachnum,
    )
    assert AuditLogEntry.objects.filter(action__in=["coach.revoke", "coach.restore"]).count() == 2


def test_revoking_a_car_sends_recordtype_5(
    school: School, api: Any, province_regulator: User, receiver: Any
):
    ok(revoke(api, province_regulator, "trainingcar", school.carnum, reason="车辆报废"))
    assert TrainingCar.objects.get(carnum=school.carnum).filing_status == FilingStatus.REVOKED
    assert relay_once() == (1, 0)
    [(path, body)] = receiver.received
    assert path == "/recordchangemsg"
    assert (body["recordtype"], body["changetype"], body["recordnum"], body["reason"]) == (
        "5",
        "0",
        school.carnum,
        "车辆报废",
    )


@pytest.mark.parametrize("reason", ["", "  "])
def test_revoking_without_a_reason_is_refused(
    reason: str, school: School, api: Any, changsha_regulator: User
):
    answer = refused(revoke(api, changsha_regulator, "coach", school.coachnum, reason=reason),
                     400, 2001)  # fmt: skip
    assert fields(answer) == {"reason"}
    assert Personnel.objects.get(number=school.coachnum).filing_status == FilingStatus.ACTIVE
    assert not OutboxMessage.objects.exists()


def test_revoking_an_unknown_number_is_not_found(api: Any, changsha_regulator: User, school):
    refused(revoke(api, changsha_regulator, "coach", "0000000000000000"), 404, 2002)
    # A car's number is not a coach's.
    refused(revoke(api, changsha_regulator, "coach", school.carnum), 404, 2002)
    refused(revoke(api, changsha_regulator, "device", school.devnum), 400, 2001)
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize("kind", ["coach", "trainingcar"])
def test_a_revoked_filing_stays_revoked_when_the_platform_files_it_again(
    kind: str,
    file_school: Any,
    tp: TimingPlatformClient,
    api: Any,
    changsha_regulator: User,
):
    """Only a regulator restores a revoked filing. A timing platform re-filing the same coach or
    car (an ordinary update) must not quietly undo the revocation."""
    school = file_school()
    row: Any
    if kind == "coach":
        row = Personnel.objects.get(number=school.coachnum)
        body = f.CoachPayload(inscode=school.inscode, photo=school.photo, idcard=row.idcard,
                              coachnum=row.number, mobile="13912345678")  # fmt: skip
    else:
        row = TrainingCar.objects.get(carnum=school.carnum)
        body = f.TrainingCarPayload(inscode=school.inscode, licnum=row.licnum,
                                    carnum=row.carnum, brand="捷达")  # fmt: skip
    ok(revoke(api, changsha_regulator, kind, row.number if kind == "coach" else row.carnum))
    status, envelope = tp.call(kind, dict(body))
    row.refresh_from_db()
    assert row.filing_status == FilingStatus.REVOKED, (status, envelope)
    assert row.status_reason == "违规"


def test_restoring_does_not_revive_a_withdrawn_filing(
    school: School, tp: TimingPlatformClient, api: Any, changsha_regulator: User
):
    """A coach the platform withdrew (注销) and a regulator then revoked must not become an
    active filing again when the revocation is lifted."""
    tp.post("coach/delete", {"coachnum": school.coachnum})
    assert Personnel.objects.get(number=school.coachnum).filing_status == FilingStatus.DELETED
    reply = revoke(api, changsha_regulator, "coach", school.coachnum)
    if reply.json()["errorcode"] == 0:
        ok(revoke(api, changsha_regulator, "coach", school.coachnum, "restore", reason="撤销有误"))
    assert Personnel.objects.get(number=school.coachnum).filing_status != FilingStatus.ACTIVE


# Police-designated road routes.

WINDOWS = [
    {"start": "09:00", "end": "11:30", "weekdays": [5, 1, 2, 3, 4, 1]},
    {"start": "14:00", "end": "17:00"},
]


def route(**overrides: Any) -> dict[str, Any]:
    return {
        "seq": "1",
        "name": "长沙公安指定道路训练路线一",
        "address": "岳麓区 学士路",
        "vehicletype": "C1,C2",
        "polygon": square((112.97, 28.25), 1.5),
        "time_windows": WINDOWS,
        **overrides,
    }


def test_city_regulator_enters_a_police_route(api: Any, changsha_regulator: User, db: Any):
    data = ok(api(changsha_regulator, "POST", "/api/regulator/routes", json=route()))
    assert data["created"] is True
    assert (data["type"], data["police"], data["status"]) == ("2", True, "approved")
    assert (data["region"], data["inscode"], data["seq"]) == ("430100", None, "0001")
    assert data["timewindows"] == [
        {"start": "09:00", "end": "11:30", "weekdays": [1, 2, 3, 4, 5]},
        {"start": "14:00", "end": "17:00", "weekdays": [1, 2, 3, 4, 5, 6, 7]},
    ]
    row = TeachingArea.objects.get(pk=data["id"])
    assert (row.type, row.police_designated, row.status) == (AreaType.ROAD, True, "approved")
    assert (row.institution, row.platform, row.reviewed_by) == (None, None, changsha_regulator)
    assert row.vehicletype == "C1,C2"
    assert len(row.polygon) == 5 and row.polygon[0] == row.polygon[-1]
    # It is visible in the regulator's own area list and detail.
    assert ok(api(changsha_regulator, "GET", f"/api/regulator/areas/{row.pk}"))["police"] is True

    # Entering the same seq again updates the route, never duplicates it.
    again = ok(
        api(
            changsha_regulator,
            "POST",
            "/api/regulator/routes",
            json=route(name="改线", time_windows=[{"start": "08:00", "end": "09:00"}]),
        )
    )
    assert (again["id"], again["created"], again["name"]) == (row.pk, False, "改线")
    assert TeachingArea.objects.filter(police_designated=True).count() == 1
    # A route is no one timing platform's business: no callback.
    assert not OutboxMessage.objects.exists()


def test_province_regulator_enters_a_route_for_a_named_city(api: Any, province_regulator, db):
    data = ok(api(province_regulator, "POST", "/api/regulator/routes",
                  json=route(region="430200", polygon=square((113.13, 27.83), 1.0))))  # fmt: skip
    assert (data["region"], data["police"]) == ("430200", True)
    # Without a city, the province's own code is not a city: refused.
    refused(api(province_regulator, "POST", "/api/regulator/routes", json=route()), 403, 3001)


BAD_WINDOWS: list[tuple[str, Any]] = [
    ("empty", []),
    ("start after end", [{"start": "11:00", "end": "09:00"}]),
    ("start equals end", [{"start": "09:00", "end": "09:00"}]),
    ("hour 24", [{"start": "23:00", "end": "24:00"}]),
    ("no leading zero", [{"start": "9:00", "end": "10:00"}]),
    ("minutes 60", [{"start": "09:60", "end": "10:00"}]),
    ("weekday 0", [{"start": "09:00", "end": "10:00", "weekdays": [0]}]),
    ("weekday 8", [{"start": "09:00", "end": "10:00", "weekdays": [1, 8]}]),
    ("one bad of two", [WINDOWS[0], {"start": "18:00", "end": "17:00"}]),
    ("missing end", [{"start": "09:00"}]),
    ("not a list", "09:00-11:00"),
    ("not an object", ["09:00-11:00"]),
]


@pytest.mark.parametrize("windows", [w for _, w in BAD_WINDOWS], ids=[n for n, _ in BAD_WINDOWS])
def test_bad_time_windows_are_refused_by_field(windows: Any, api: Any, changsha_regulator, db):
    reply = api(
        changsha_regulator, "POST", "/api/regulator/routes", json=route(time_windows=windows)
    )
    answer = refused(reply, 400, 2001)
    assert fields(answer), answer
    assert all(name.startswith("time_windows") for name in fields(answer)), answer
    assert "time_windows" in answer["message"]
    assert not TeachingArea.objects.exists()


def test_a_route_outside_the_province_is_refused_by_field(api: Any, changsha_regulator, db):
    reply = api(changsha_regulator, "POST", "/api/regulator/routes",
                json=route(polygon=square((116.40, 39.90), 1.0)))  # Beijing  # fmt: skip
    assert fields(refused(reply, 400, 2001)) == {"polygon"}
    assert not TeachingArea.objects.exists()
