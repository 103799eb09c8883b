"""Opening work orders (from findings, manual audits, by hand), moving them through their states
over HTTP within the regions that may act on them, and escalating overdue ones."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.db import transaction

from jiapei.core.errors import Conflict
from jiapei.core.models import AuditLogEntry
from jiapei.supervision.models import ManualReview, SampleDraw
from jiapei.training.models import TeachingLog
from jiapei.workorders import services
from jiapei.workorders.models import WorkOrder
from jiapei.workorders.tests.factories import WORKER, data, finding, order_for, session

ROOT = "/api/regulator/workorders"


def test_findings_open_one_order_each_and_only_when_severe_enough(tp, school, ground, settings):
    rnum = session(tp, school, 1, length=20)
    low = finding([rnum], severity="low", detector="FACE_LOW")
    with transaction.atomic():
        assert services.open_for_finding(actor=WORKER, finding=low) is None
    low.refresh_from_db()
    assert low.status == "open"

    high = finding([rnum])
    with transaction.atomic():
        order = services.open_for_finding(actor=WORKER, finding=high)
        again = services.open_for_finding(actor=WORKER, finding=high)
    assert order is not None and again == order
    assert WorkOrder.objects.count() == 1
    assert list(order.logs.values_list("rnum", flat=True)) == [rnum]
    assert order.title.startswith("学时造假线索") and "0.97" in order.description
    assert round((order.deadline - order.opened_at).total_seconds() / 86400) == 7
    assert AuditLogEntry.objects.filter(action="workorders.open").count() == 1

    settings.JIAPEI_WORKORDER_SEVERITIES = ("low",)
    settings.JIAPEI_WORKORDER_DEADLINE_DAYS = 3
    with transaction.atomic():
        low_order = services.open_for_finding(actor=WORKER, finding=low)
    assert low_order is not None
    assert round((low_order.deadline - low_order.opened_at).total_seconds() / 86400) == 3


def test_a_quiet_detector_opens_no_order_but_keeps_its_finding(tp, school, ground, settings):
    rnum = session(tp, school, 1, length=20)
    settings.JIAPEI_WORKORDER_QUIET_DETECTORS = ("FACE_LOW",)
    quiet = finding([rnum], severity="high", detector="FACE_LOW")
    with transaction.atomic():
        assert services.open_for_finding(actor=WORKER, finding=quiet) is None
    quiet.refresh_from_db()
    assert quiet.status == "open" and WorkOrder.objects.count() == 0
    other = finding([rnum], severity="high", detector="PHOTO_FROZEN")
    with transaction.atomic():
        assert services.open_for_finding(actor=WORKER, finding=other) is not None


def test_a_bad_manual_audit_verdict_opens_an_order(tp, school, ground):
    rnum = session(tp, school, 1, length=20)
    draw = SampleDraw.objects.create(
        region_id="430100", month=date(2026, 11, 1), share="0.2", logs_total=1, seed="s"
    )
    review = ManualReview.objects.create(
        draw=draw, log=TeachingLog.objects.get(rnum=rnum), reason="random", verdict="pending"
    )
    with pytest.raises(Conflict, match="verdict"), transaction.atomic():
        services.open_for_review(actor=WORKER, review=review)
    review.verdict, review.note = "bad", "学员照片与本人不符"
    review.save()
    with transaction.atomic():
        order = services.open_for_review(actor=WORKER, review=review)
        assert services.open_for_review(actor=WORKER, review=review) == order
    assert (order.source, order.region_id, order.description) == (
        "manual_audit",
        "430104",
        "学员照片与本人不符",
    )
    assert list(order.logs.values_list("rnum", flat=True)) == [rnum]


def test_a_regulator_opens_an_order_by_hand_once(tp, school, ground, api, zhuzhou_regulator):
    rnum = session(tp, school, 1, length=20)
    body = {"inscode": school.inscode, "rnums": [rnum], "title": "群众举报代培"}
    reply = data(api(ground, "POST", ROOT, json=body))
    assert (reply["created"], reply["source"], reply["region"]) == (True, "regulator", "430104")
    assert [log["rnum"] for log in reply["logs"]] == [rnum]
    again = data(api(ground, "POST", ROOT, json=body))
    assert (again["created"], again["id"]) == (False, reply["id"])
    assert WorkOrder.objects.count() == 1

    unknown = {**body, "rnums": [rnum, school.stunum + "09999"]}
    errors = data(api(ground, "POST", ROOT, json=unknown), 400)["errors"]
    assert errors[0]["field"] == "rnums" and errors[0]["value"] == [school.stunum + "09999"]
    assert (
        data(api(ground, "POST", ROOT, json={**body, "title": " "}), 400)["errors"][0]["field"]
        == "title"
    )
    reply = api(zhuzhou_regulator, "POST", ROOT, json=body)
    assert data(reply, 404)["errors"][0]["field"] == "inscode"
    assert WorkOrder.objects.count() == 1


def test_illegal_transitions_are_conflicts(tp, school, ground, api, province_regulator):
    rnum = session(tp, school, 1, length=20)
    order = order_for([rnum])
    path = f"{ROOT}/{order.pk}"
    data(api(ground, "POST", f"{path}/start"))
    assert data(api(ground, "POST", f"{path}/start"))["state"] == "in_progress"  # a retry
    # Someone else cannot take an order another regulator holds.
    data(api(province_regulator, "POST", f"{path}/start"), 409)
    errors = data(api(ground, "POST", f"{path}/resolve", json={"decision": "maybe"}), 400)
    assert errors["errors"][0]["field"] == "decision"
    errors = data(api(ground, "POST", f"{path}/escalate", json={"reason": ""}), 400)
    assert errors["errors"][0]["field"] == "reason"
    upheld = {"decision": "upheld", "reason": "复核无误"}
    data(api(ground, "POST", f"{path}/resolve", json=upheld))
    for verb, body in (("start", None), ("escalate", {"reason": "请上级处理"})):
        reply = api(ground, "POST", f"{path}/{verb}", json=body)
        assert data(reply, 409)["errors"][0]["field"] == "state"
    assert WorkOrder.objects.get(pk=order.pk).state == "resolved"

    # The province has nobody above it.
    other = order_for([rnum], detector="FACE_SHARED")
    path = f"{ROOT}/{other.pk}/escalate"
    data(api(province_regulator, "POST", path, json={"reason": "上报"}))
    data(api(province_regulator, "POST", path, json={"reason": "上报"}))
    assert WorkOrder.objects.get(pk=other.pk).region_id == "430000"
    data(api(province_regulator, "POST", path, json={"reason": "上报"}), 409)


def test_an_escalated_order_passes_to_the_city(
    tp, school, ground, api, county_regulator, zhuzhou_regulator
):
    rnum = session(tp, school, 1, length=20)
    order = order_for([rnum])
    path = f"{ROOT}/{order.pk}"
    data(api(county_regulator, "POST", f"{path}/start"))
    detail = data(api(county_regulator, "POST", f"{path}/escalate", json={"reason": "涉及多区"}))
    assert (detail["state"], detail["region"], detail["assignee"]) == ("escalated", "430100", None)
    assert detail["timeline"][-1]["reason"] == "涉及多区"

    # The county still sees it but may no longer act; 株洲 does not see it at all.
    assert data(api(county_regulator, "GET", path))["region"] == "430100"
    upheld = {"decision": "upheld", "reason": "复核无误"}
    data(api(county_regulator, "POST", f"{path}/resolve", json=upheld), 403)
    data(api(zhuzhou_regulator, "POST", f"{path}/start"), 404)
    data(api(ground, "POST", f"{path}/start"))
    detail = data(api(ground, "POST", f"{path}/resolve", json=upheld))
    assert (detail["state"], detail["assignee"]) == ("resolved", ground.username)


def test_the_worker_escalates_overdue_orders_once(tp, school, ground, api, settings):
    rnum = session(tp, school, 1, length=20)
    settings.JIAPEI_WORKORDER_DEADLINE_DAYS = -1
    late = order_for([rnum])
    settings.JIAPEI_WORKORDER_DEADLINE_DAYS = 7
    on_time = order_for([rnum], detector="FACE_SHARED")

    rows = data(api(ground, "GET", f"{ROOT}?overdue=true"))["items"]
    assert [r["id"] for r in rows] == [late.pk]
    call_command("worker", "--once")
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert (late.state, late.region_id, late.escalated_at is not None) == (
        "escalated",
        "430100",
        True,
    )
    assert (on_time.state, on_time.region_id) == ("open", "430104")
    [entry] = AuditLogEntry.objects.filter(action="workorders.escalate", object_id=str(late.pk))
    assert (entry.actor_kind, entry.actor_label) == ("system", "worker")

    call_command("worker", "--once")  # not escalated a second time
    late.refresh_from_db()
    assert late.region_id == "430100"
    assert AuditLogEntry.objects.filter(action="workorders.escalate").count() == 1
    # (The worker's fraud scan may have opened orders of its own: only ours are compared.)
    rows = data(api(ground, "GET", f"{ROOT}?overdue=false"))["items"]
    assert {r["id"] for r in rows} & {late.pk, on_time.pk} == {on_time.pk}
