"""The regulators' fraud API: findings scoped by region, filters, dismissal, manual scans and the
detector list. Detectors are faked (see ``conftest.py``) so the replies are known."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from jiapei.accounts.models import Role
from jiapei.core.actors import Actor
from jiapei.core.models import AuditLogEntry
from jiapei.fraud import services
from jiapei.fraud.detectors.base import DETECTORS
from jiapei.fraud.models import Finding
from jiapei.fraud.tests.conftest import DAY, ZHUZHOU_LUSONG, per_session, school_draft

ACTOR = Actor.system("test")
FINDINGS = "/api/regulator/findings"


def data(reply: Any) -> Any:
    body = reply.json()
    assert reply.status_code == 200 and body["errorcode"] == 0, body
    return body["data"]


def refused(reply: Any, status: int, field: str | None = None) -> dict[str, Any]:
    body = reply.json()
    assert reply.status_code == status and body["errorcode"] != 0, body
    if field is not None:
        assert [e["field"] for e in body["data"]["errors"]] == [field], body
    return body


@pytest.fixture
def two_cities(session, school, zhuzhou_school, fake, orders):
    """One session finding in 长沙 (岳麓区) and one school finding in 株洲 (芦淞区)."""
    rnum = session(DAY)

    def detect(context: Any) -> list[Any]:
        return [*per_session()(context), school_draft(zhuzhou_school.inscode, DAY)]

    fake.day = detect
    services.scan_day(actor=ACTOR, day=DAY)
    return {
        "changsha": Finding.objects.get(region_id="430104"),
        "zhuzhou": Finding.objects.get(region_id=ZHUZHOU_LUSONG),
        "rnum": rnum,
    }


def test_each_city_sees_only_its_own_findings(
    api, two_cities, changsha_regulator, zhuzhou_regulator, province_regulator, school
):
    mine = data(api(changsha_regulator, "GET", FINDINGS))
    assert mine["total"] == 1
    [row] = mine["items"]
    assert (row["id"], row["stunum"], row["region"]) == (
        two_cities["changsha"].pk,
        school.stunum,
        "430104",
    )
    assert row["detector_name"] == DETECTORS["PHOTO_FROZEN"][0]
    theirs = data(api(zhuzhou_regulator, "GET", FINDINGS))
    assert [r["id"] for r in theirs["items"]] == [two_cities["zhuzhou"].pk]
    assert data(api(province_regulator, "GET", FINDINGS))["total"] == 2

    other = two_cities["zhuzhou"].pk
    refused(api(changsha_regulator, "GET", f"{FINDINGS}/{other}"), 404, "id")
    refused(
        api(changsha_regulator, "POST", f"{FINDINGS}/{other}/dismiss", json={"reason": "x"}),
        404,
        "id",
    )
    assert Finding.objects.get(pk=other).status == "open"


def test_the_detail_shows_evidence_logs_and_explanation(api, two_cities, changsha_regulator):
    finding = two_cities["changsha"]
    detail = data(api(changsha_regulator, "GET", f"{FINDINGS}/{finding.pk}"))
    assert detail["explanation"]["name"] == DETECTORS["PHOTO_FROZEN"][0]
    assert detail["explanation"]["summary"].startswith("会话")
    assert len(detail["evidence"]["minutes"]) == 2
    [log] = detail["logs"]
    assert log["rnum"] == two_cities["rnum"] and log["audit_status"] == "pending"
    assert detail["work_order"] is None and detail["dismissal"] is None


def test_the_list_filters(api, two_cities, province_regulator, school):
    def ids(**query: Any) -> list[int]:
        return [
            r["id"] for r in data(api(province_regulator, "GET", FINDINGS, params=query))["items"]
        ]

    changsha, zhuzhou = two_cities["changsha"].pk, two_cities["zhuzhou"].pk
    assert ids(detector="SCHOOL_VOID_RATE") == [zhuzhou]
    assert ids(severity="medium") == [changsha]
    assert ids(stunum=school.stunum) == [changsha]
    assert ids(rnum=two_cities["rnum"]) == [changsha]
    assert ids(inscode=school.inscode) == [changsha]
    assert sorted(ids(since=DAY.isoformat(), until=DAY.isoformat())) == sorted([changsha, zhuzhou])
    assert ids(since=(DAY + timedelta(days=1)).isoformat()) == []
    assert ids(status="dismissed") == []
    # Each listed finding names its teaching logs, so a list can be matched against sessions.
    listed = data(api(province_regulator, "GET", FINDINGS, params={"rnum": two_cities["rnum"]}))
    assert listed["items"][0]["rnums"] == [two_cities["rnum"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"detector": "NO_SUCH"}, "detector"),
        ({"since": "2026-02-30"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"severity": "extreme"}, "severity"),
    ],
)
def test_bad_filters_name_the_field(api, changsha_regulator, query, field):
    body = refused(api(changsha_regulator, "GET", FINDINGS, params=query), 400)
    assert field in body["message"]


def test_dismissing_needs_a_reason_and_happens_once(api, two_cities, changsha_regulator):
    finding = two_cities["changsha"]
    path = f"{FINDINGS}/{finding.pk}/dismiss"
    refused(api(changsha_regulator, "POST", path, json={"reason": "  "}), 400, "reason")
    refused(api(changsha_regulator, "POST", path, json={}), 400, "reason")
    assert Finding.objects.get(pk=finding.pk).status == "open"

    detail = data(api(changsha_regulator, "POST", path, json={"reason": "照片为光线原因雷同"}))
    assert detail["status"] == "dismissed"
    assert detail["dismissal"]["reason"] == "照片为光线原因雷同"
    refused(api(changsha_regulator, "POST", path, json={"reason": "again"}), 409, "id")
    assert AuditLogEntry.objects.filter(action="fraud.dismiss").count() == 1


def test_a_scan_of_a_day_reports_counts_in_the_callers_region(
    api, two_cities, changsha_regulator, orders
):
    reply = data(
        api(changsha_regulator, "POST", "/api/regulator/fraud/scan", json={"day": str(DAY)})
    )
    assert reply["days"] == [DAY.isoformat()] and reply["period"] is None
    # The 株洲 finding is refreshed too, but a 长沙 regulator is only told about 长沙.
    assert (reply["findings"], reply["created"]) == (1, 0)
    assert reply["by_detector"] == {"PHOTO_FROZEN": 1}
    assert Finding.objects.count() == 2


def test_a_scan_of_a_month_runs_the_school_detectors(
    api, session, school, fake, orders, province_regulator
):
    session(DAY)
    fake.period = lambda context: [school_draft(s.inscode, context.day) for s in context.schools]
    month = f"{DAY:%Y-%m}"
    reply = data(
        api(province_regulator, "POST", "/api/regulator/fraud/scan", json={"month": month})
    )
    first = DAY.replace(day=1)
    assert reply["days"][0] == first.isoformat()
    assert reply["days"][-1] >= DAY.isoformat()
    assert reply["period"][0] == first.isoformat()
    assert reply["by_detector"] == {"SCHOOL_VOID_RATE": 1} and reply["created"] == 1
    assert Finding.objects.get().period_end.isoformat() == reply["period"][1]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "day"),
        ({"day": "2026-11-01", "month": "2026-11"}, "day"),
        ({"day": "20261101"}, "day"),
        ({"day": "2026-09-02"}, "day"),  # tomorrow, on the frozen clock's 2026-09-01
        ({"month": "2026-13"}, "month"),
        ({"month": "next"}, "month"),
        ({"month": "2026-10"}, "month"),  # next month
    ],
)
def test_bad_scan_requests_name_the_field_and_store_nothing(
    api, changsha_regulator, frozen_clock, body, field
):
    assert frozen_clock.today() == date(2026, 9, 1)
    refused(api(changsha_regulator, "POST", "/api/regulator/fraud/scan", json=body), 400, field)
    assert not AuditLogEntry.objects.filter(action="fraud.scan").exists()


def test_county_regulators_and_other_users_cannot_scan(api, make_user, db):
    county = make_user(Role.COUNTY_REGULATOR, "430104")
    refused(api(county, "POST", "/api/regulator/fraud/scan", json={"day": str(DAY)}), 403)
    school_user = make_user(Role.SCHOOL)
    refused(api(school_user, "GET", FINDINGS), 403)
    refused(api(None, "GET", FINDINGS), 401)
    assert not AuditLogEntry.objects.filter(action="fraud.scan").exists()


def test_a_county_regulator_reads_its_county(api, make_user, two_cities):
    county = make_user(Role.COUNTY_REGULATOR, "430104")
    assert [r["id"] for r in data(api(county, "GET", FINDINGS))["items"]] == [
        two_cities["changsha"].pk
    ]
    other = make_user(Role.COUNTY_REGULATOR, "430102")
    assert data(api(other, "GET", FINDINGS))["total"] == 0


def test_the_detector_list(api, changsha_regulator):
    rows = data(api(changsha_regulator, "GET", "/api/regulator/fraud/detectors"))
    assert [r["code"] for r in rows] == list(DETECTORS)
    frozen = next(r for r in rows if r["code"] == "PHOTO_FROZEN")
    assert (frozen["name"], frozen["name_en"], frozen["kind"]) == (
        "同一会话照片雷同",
        "frozen images within a session",
        "day",
    )
    assert next(r for r in rows if r["code"] == "SCHOOL_VOID_RATE")["kind"] == "period"
