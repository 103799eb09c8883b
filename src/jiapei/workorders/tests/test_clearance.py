"""工单处置率: orders opened in a month, how many were resolved (on time), how many are overdue,
per child region — counted by the school's county even after escalation."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from jiapei.core import clock
from jiapei.fraud.models import Finding
from jiapei.registry.models import Institution
from jiapei.workorders import queries, services
from jiapei.workorders.models import WorkOrder
from jiapei.workorders.tests.factories import WORKER, data, order_for, session

ROOT = "/api/regulator/workorders"


def zhuzhou_order(inscode: str) -> WorkOrder:
    """An order about a 株洲 school (a finding on the school as a whole, without logs)."""
    school = Institution.objects.get(inscode=inscode)
    finding = Finding.objects.create(
        detector="SCHOOL_CAPACITY",
        key=f"SCHOOL_CAPACITY:{inscode}",
        severity="medium",
        region_id=school.district_id,
        institution=school,
        day=clock.today(),
        summary="日培训学时超出教练车承载能力",
    )
    with transaction.atomic():
        order = services.open_for_finding(actor=WORKER, finding=finding)
    assert order is not None
    return order


def test_clearance_per_child_region(
    tp,
    school,
    file_school,
    ground,
    api,
    settings,
    province_regulator,
    county_regulator,
    zhuzhou_regulator,
):
    rnum = session(tp, school, 1, length=20)
    detectors = iter(["PHOTO_REPLAYED", "FACE_SHARED", "FACE_LOW", "FACE_FALLING"])
    on_time = order_for([rnum], detector=next(detectors))
    settings.JIAPEI_WORKORDER_DEADLINE_DAYS = -1
    late = order_for([rnum], detector=next(detectors))
    overdue = order_for([rnum], detector=next(detectors))
    settings.JIAPEI_WORKORDER_DEADLINE_DAYS = 7
    escalated = order_for([rnum], detector=next(detectors))
    zhuzhou = zhuzhou_order(file_school("430202").inscode)
    assert zhuzhou.region_id == "430202"

    upheld = {"decision": "upheld", "reason": "复核无误"}
    for order in (on_time, late):
        data(api(county_regulator, "POST", f"{ROOT}/{order.pk}/resolve", json=upheld))
    data(api(county_regulator, "POST", f"{ROOT}/{escalated.pk}/escalate", json={"reason": "上报"}))
    assert WorkOrder.objects.get(pk=overdue.pk).state == "open"

    month = f"{timezone.localtime(on_time.opened_at):%Y-%m}"
    reply = data(api(province_regulator, "GET", f"{ROOT}/clearance?month={month}"))
    assert (reply["region"], reply["month"]) == ("430000", month)
    assert reply["total"] == {
        "opened": 5,
        "resolved": 2,
        "resolved_on_time": 1,
        "overdue_open": 1,
        "rate": 0.4,
    }
    rows = {row["code"]: row for row in reply["rows"]}
    assert len(rows) == 14 and rows["430100"]["name"] == "长沙市"
    assert (rows["430100"]["opened"], rows["430100"]["rate"]) == (4, 0.5)
    assert (rows["430200"]["opened"], rows["430200"]["rate"]) == (1, 0.0)
    assert (rows["430300"]["opened"], rows["430300"]["rate"]) == (0, None)

    reply = data(api(ground, "GET", f"{ROOT}/clearance?month={month}"))
    county = {row["code"]: row for row in reply["rows"]}["430104"]
    # The escalated order still counts for 岳麓区.
    assert {k: county[k] for k in ("opened", "resolved", "resolved_on_time", "overdue_open")} == {
        "opened": 4,
        "resolved": 2,
        "resolved_on_time": 1,
        "overdue_open": 1,
    }
    reply = data(api(county_regulator, "GET", f"{ROOT}/clearance?month={month}"))
    assert [row["code"] for row in reply["rows"]] == ["430104"]

    first = timezone.localtime(on_time.opened_at).date().replace(day=1)
    previous = f"{first - timedelta(days=1):%Y-%m}"
    reply = data(api(province_regulator, "GET", f"{ROOT}/clearance?month={previous}"))
    assert (reply["total"]["opened"], reply["total"]["rate"]) == (0, None)

    # What was resolved later than the moment asked about is not counted as resolved.
    before = queries.clearance("4301", first, first + timedelta(days=40), as_of=on_time.opened_at)
    assert (before.opened, before.resolved) == (4, 0)

    assert (
        data(api(ground, "GET", f"{ROOT}/clearance?month=2026-13"), 400)["errors"][0]["field"]
        == "month"
    )
    path = f"{ROOT}/clearance?month={month}&region=430100"
    assert data(api(zhuzhou_regulator, "GET", path), 404)["errors"][0]["field"] == "region"
