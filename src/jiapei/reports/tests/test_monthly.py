"""The monthly campaign report (seed 002 附件2) through the regulators' API: every computed
figure against the month's data, entered figures, refusals and region scope."""

from __future__ import annotations

import pytest

from jiapei.core.actors import Actor
from jiapei.core.models import AuditLogEntry
from jiapei.reports.models import MonthlyReportInput
from jiapei.reports.monthly import ENTERED, FIELDS
from jiapei.reports.services import submit_report
from jiapei.reports.tests.conftest import MONTH

URL = "/api/regulator/reports/monthly"
INPUTS = "/api/regulator/reports/monthly/inputs"


def _get(api, user, region, month=MONTH):
    return api(user, "GET", URL, params={"region": region, "month": month})


def test_every_computed_figure_of_a_city_matches_the_data(world, api, changsha_regulator):
    reply = _get(api, changsha_regulator, "430100")
    assert reply.status_code == 200, reply.text
    data = reply.json()["data"]
    assert data["header"] == {"authority": "长沙市交通运输局", "period": "10月1日至10月31日"}
    fields = {f["name"]: f for f in data["fields"]}
    assert [f["name"] for f in data["fields"]] == [f.name for f in FIELDS]
    for name, value in world.expected["430100"].items():
        assert fields[name]["value"] == value, name
        assert fields[name]["source"] == "computed"
    for name in ENTERED:
        assert fields[name]["value"] is None and fields[name]["source"] == "entered"
    assert fields["work_order_rate"]["kind"] == "rate"
    assert fields["logs_reviewed"]["group_label"] == "随机抽查"
    assert fields["watch_coaches"]["label"] == "教练员数量"
    assert "重点监管" in fields["watch_coaches"]["how"]
    [row] = data["rows"]
    assert row["region"] == "430100" and row["work_orders_resolved"] == 2


def test_entered_figures_round_trip_and_merge(world, api, changsha_regulator):
    first = api(
        changsha_regulator,
        "POST",
        INPUTS,
        json={"region": "430100", "month": MONTH, "values": {"institutions_checked": 12}},
    )
    assert first.status_code == 200, first.text
    assert first.json()["data"]["changed"] is True
    second = api(
        changsha_regulator,
        "POST",
        INPUTS,
        json={
            "region": "430100",
            "month": MONTH,
            "values": {"institutions_rectifying": 3, "coaches_penalised": 0},
        },
    )
    assert second.json()["data"]["values"] == {
        "institutions_checked": 12,
        "institutions_rectifying": 3,
        "coaches_penalised": 0,
    }
    audit_rows = AuditLogEntry.objects.filter(action="reports.enter_monthly_inputs").count()
    # A retried request changes nothing and writes no second audit row.
    again = api(
        changsha_regulator,
        "POST",
        INPUTS,
        json={"region": "430100", "month": MONTH, "values": {"institutions_rectifying": 3}},
    )
    assert again.json()["data"]["changed"] is False
    assert AuditLogEntry.objects.filter(action="reports.enter_monthly_inputs").count() == (
        audit_rows
    )
    assert MonthlyReportInput.objects.count() == 1

    fields = {
        f["name"]: f for f in _get(api, changsha_regulator, "430100").json()["data"]["fields"]
    }
    assert fields["institutions_checked"]["value"] == 12
    assert fields["institutions_rectifying"]["value"] == 3
    assert fields["coaches_penalised"]["value"] == 0
    assert fields["counties_talked"]["value"] is None

    cleared = api(
        changsha_regulator,
        "POST",
        INPUTS,
        json={"region": "430100", "month": MONTH, "values": {"institutions_checked": None}},
    )
    assert "institutions_checked" not in cleared.json()["data"]["values"]


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"bogus": 1}, "values.bogus", "未知字段"),
        ({"teaching_logs": 99}, "values.teaching_logs", "computed"),
        ({"institutions_checked": -1}, "values.institutions_checked", "non-negative"),
        ({"institutions_checked": 1.5}, "values.institutions_checked", "non-negative"),
        ({"institutions_checked": True}, "values.institutions_checked", "non-negative"),
        ({"institutions_checked": "3"}, "values.institutions_checked", "non-negative"),
        ({}, "values", "non-empty"),
    ],
)
def test_bad_figures_are_refused_naming_the_field(
    world, api, changsha_regulator, values, field, words
):
    reply = api(
        changsha_regulator,
        "POST",
        INPUTS,
        json={"region": "430100", "month": MONTH, "values": values},
    )
    assert reply.status_code == 400, reply.text
    body = reply.json()
    assert body["errorcode"] == 2001
    assert body["data"]["errors"][0]["field"] == field
    assert words in body["message"]
    assert MonthlyReportInput.objects.count() == 0


def test_several_bad_figures_are_reported_together(world, api, changsha_regulator):
    reply = api(
        changsha_regulator,
        "POST",
        INPUTS,
        json={
            "region": "430100",
            "month": MONTH,
            "values": {"institutions_checked": 4, "bogus": 1, "work_orders": 2},
        },
    )
    assert reply.status_code == 400
    fields = {e["field"] for e in reply.json()["data"]["errors"]}
    assert fields == {"values.bogus", "values.work_orders"}
    assert MonthlyReportInput.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"region": "430104", "month": MONTH}, "region"),
        ({"region": "430000", "month": MONTH}, "region"),
        ({"region": "439999", "month": MONTH}, "region"),
        ({"region": "430100", "month": "2026-13"}, "month"),
        ({"region": "430100", "month": "2099-01"}, "month"),
    ],
)
def test_bad_region_or_month_is_refused(world, api, province_regulator, payload, field):
    reply = api(
        province_regulator, "POST", INPUTS, json={**payload, "values": {"institutions_checked": 1}}
    )
    assert reply.status_code == 400, reply.text
    assert reply.json()["data"]["errors"][0]["field"] == field
    assert MonthlyReportInput.objects.count() == 0


def test_who_may_enter_and_see_a_city(
    world, api, changsha_regulator, zhuzhou_regulator, province_regulator, county_regulator
):
    body = {"region": "430100", "month": MONTH, "values": {"counties_talked": 2}}
    assert api(zhuzhou_regulator, "POST", INPUTS, json=body).status_code == 403
    assert api(county_regulator, "POST", INPUTS, json=body).status_code == 403
    assert MonthlyReportInput.objects.count() == 0
    assert api(province_regulator, "POST", INPUTS, json=body).status_code == 200
    assert MonthlyReportInput.objects.get().updated_by == province_regulator

    assert _get(api, zhuzhou_regulator, "430100").status_code == 403
    assert _get(api, county_regulator, "430100").status_code == 403
    assert _get(api, changsha_regulator, "430000").status_code == 403
    assert _get(api, province_regulator, "430100").status_code == 200
    assert _get(api, None, "430100").status_code == 401


def test_the_province_view_has_a_row_per_city_and_a_total(world, api, province_regulator):
    api(
        province_regulator,
        "POST",
        INPUTS,
        json={"region": "430100", "month": MONTH, "values": {"institutions_checked": 5}},
    )
    api(
        province_regulator,
        "POST",
        INPUTS,
        json={"region": "430200", "month": MONTH, "values": {"institutions_checked": 7}},
    )
    data = _get(api, province_regulator, "430000").json()["data"]
    assert data["header"]["authority"] == "湖南省交通运输厅"
    rows = {r["region"]: r for r in data["rows"]}
    assert data["rows"][-1]["region"] == "430000" and data["rows"][-1]["name"] == "湖南省合计"
    assert len(data["rows"]) == 15  # Hunan's 14 cities and the total
    for code in ("430100", "430200"):
        for name, value in world.expected[code].items():
            assert rows[code]["values"][name] == value, (code, name)
    total = rows["430000"]["values"]
    assert total["teaching_logs"] == 6
    assert total["work_orders"] == 5
    assert total["work_order_rate"] == 0.6
    assert total["watch_institutions"] == 3
    assert total["institutions_checked"] == 12
    assert total["counties_talked"] is None
    assert rows["430300"]["values"]["teaching_logs"] == 0
    assert rows["430300"]["values"]["work_order_rate"] is None
    fields = {f["name"]: f["value"] for f in data["fields"]}
    assert fields["work_order_rate"] == 0.6


def test_a_submitted_report_refuses_new_figures(world, api, changsha_regulator):
    values = dict.fromkeys(ENTERED, 1)
    submit_report(
        actor=Actor.for_user(changsha_regulator), region="430100", month=MONTH, values=values
    )
    reply = api(
        changsha_regulator,
        "POST",
        INPUTS,
        json={"region": "430100", "month": MONTH, "values": {"institutions_checked": 2}},
    )
    assert reply.status_code == 400 and "已报送" in reply.json()["message"]
    assert MonthlyReportInput.objects.get().values == values
