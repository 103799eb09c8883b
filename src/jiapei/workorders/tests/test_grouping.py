"""Grouped work orders (issue 19): one order per school, local day and detector while it is
unresolved, however many findings a scan produces; re-scans attach nothing twice; an escalated or
resolved order takes no new findings; voiding an order voids the logs of all its findings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.core.models import AuditLogEntry
from jiapei.fraud.models import Finding
from jiapei.registry.models import Institution
from jiapei.testing.sessions import START
from jiapei.training.models import TeachingLog
from jiapei.workorders import services
from jiapei.workorders.models import WorkOrder, WorkOrderFinding
from jiapei.workorders.tests.factories import WORKER, data, finding, session

ROOT = "/api/regulator/workorders"


def scan(*findings: Finding) -> list[WorkOrder | None]:
    """Hand each finding to the work orders, as the fraud pipeline's hook does, in one
    transaction (one scan)."""
    with transaction.atomic():
        return [services.open_for_finding(actor=WORKER, finding=f) for f in findings]


def same_day_sessions(tp: Any, school: Any) -> list[str]:
    """Two sessions of the school's student on the first local day (09:00 and 11:00)."""
    first = session(tp, school, 1, length=20)
    second = session(tp, school, 2, length=20, start=START - timedelta(days=1, hours=-2))
    return [first, second]


def test_a_scans_findings_of_one_detector_school_and_day_share_one_order(tp, school, ground):
    first, second = same_day_sessions(tp, school)
    found = [
        finding([first]),
        finding([first], tag="#2"),
        finding([second]),
    ]
    orders = scan(*found)
    order = orders[0]
    assert order is not None and orders == [order, order, order]
    assert WorkOrder.objects.count() == 1
    assert list(order.findings.order_by("pk")) == found
    assert sorted(order.logs.values_list("rnum", flat=True)) == sorted([first, second])
    order.refresh_from_db()
    assert order.title.startswith("学时造假线索（3 条异常线索）")
    assert order.description.count("相似度 0.97") == 3 and "第 3 条线索" in order.description
    assert {f.status for f in Finding.objects.filter(pk__in=[f.pk for f in found])} == {"ordered"}
    # One "open" and two "attach" rows on the order, one "order" row on each finding.
    actions = AuditLogEntry.objects.filter(
        object_id=str(order.pk), object_type="workorders.workorder"
    )
    assert sorted(actions.values_list("action", flat=True)) == [
        "workorders.attach",
        "workorders.attach",
        "workorders.open",
    ]
    attach = actions.filter(action="workorders.attach").order_by("id").last()
    assert attach is not None and attach.after["finding"] == found[2].pk
    assert attach.after["rnums"] == [second]
    assert AuditLogEntry.objects.filter(action="fraud.order").count() == 3

    # A re-scan hands the same findings again: nothing is attached twice, nothing is recorded.
    rows = AuditLogEntry.objects.count()
    assert scan(*found) == [order, order, order]
    assert WorkOrderFinding.objects.count() == 3 and AuditLogEntry.objects.count() == rows


def test_another_day_detector_or_school_opens_another_order(tp, school, ground, file_school):
    day_one = session(tp, school, 1, length=20)
    day_two = session(tp, school, 2, length=20)
    base, other_day, other_detector = scan(
        finding([day_one]), finding([day_two]), finding([day_one], detector="FACE_SHARED")
    )
    # Another school of the same county.
    other = Institution.objects.get(inscode=file_school("430104").inscode)
    whole_school = Finding.objects.create(
        detector="PHOTO_REPLAYED",
        key=f"PHOTO_REPLAYED:{other.inscode}",
        severity="high",
        region_id=other.district_id,
        institution=other,
        day=Finding.objects.get(key__startswith=f"PHOTO_REPLAYED:{day_one}").day,
        summary="同一照片在两次培训中重复使用",
    )
    [other_school] = scan(whole_school)
    orders = [base, other_day, other_detector, other_school]
    assert all(orders) and len({o.pk for o in orders if o}) == 4
    assert [o.findings.count() for o in orders if o] == [1, 1, 1, 1]
    assert {o.title for o in orders if o} == {"学时造假线索：同一照片在两次培训中重复使用"}


def test_an_escalated_or_resolved_order_takes_no_new_findings(tp, school, ground):
    first, second = same_day_sessions(tp, school)
    [order] = scan(finding([first]))
    assert order is not None
    services.resolve(
        actor=Actor.for_user(ground), order_id=order.pk, decision="upheld", reason="复核无误"
    )
    [after_resolve] = scan(finding([second]))
    assert after_resolve is not None and after_resolve.pk != order.pk
    assert order.findings.count() == 1 and after_resolve.findings.count() == 1

    services.escalate(actor=Actor.for_user(ground), order_id=after_resolve.pk, reason="涉及多区")
    [after_escalate] = scan(finding([second], tag="#3"))
    assert after_escalate is not None and after_escalate.pk not in (order.pk, after_resolve.pk)
    # The region above starts the escalated order: it is in progress again, but the county's
    # new order keeps the group, and the next finding joins that one.
    services.start(actor=Actor.for_user(ground), order_id=after_resolve.pk)
    [joined] = scan(finding([first], tag="#4"))
    assert joined == after_escalate and after_escalate.findings.count() == 2


def test_voiding_a_grouped_order_voids_the_logs_of_all_its_findings(tp, school, ground, api):
    first, second = same_day_sessions(tp, school)
    order, same = scan(finding([first]), finding([second]))
    assert order is not None and same == order
    voided = {"decision": "voided", "reason": "照片重复使用，查实代培"}
    detail = data(api(ground, "POST", f"{ROOT}/{order.pk}/resolve", json=voided))
    assert sorted(detail["voided"]) == sorted([first, second])
    logs = TeachingLog.objects.filter(rnum__in=[first, second])
    assert all(log.voided_at is not None for log in logs)


def test_the_api_lists_an_orders_findings(tp, school, ground, api):
    first, second = same_day_sessions(tp, school)
    found = [finding([first]), finding([second])]
    [order, _] = scan(*found)
    assert order is not None
    ids = [f.pk for f in found]
    [row] = data(api(ground, "GET", ROOT))["items"]
    assert (row["finding"], row["findings"]) == (ids[0], ids)
    detail = data(api(ground, "GET", f"{ROOT}/{order.pk}"))
    assert [f["id"] for f in detail["findings"]] == ids
    assert detail["finding"]["id"] == ids[0]
    assert detail["timeline"][-1]["action"] == "workorders.attach"


def test_a_finding_opened_by_hand_joins_its_groups_order(tp, school, ground):
    first, second = same_day_sessions(tp, school)
    [order] = scan(finding([first]))
    assert order is not None
    low = finding([second], severity="low")
    assert scan(low) == [None]  # too mild to open an order by itself
    joined, created = services.open_for_finding_by_hand(
        actor=Actor.for_user(ground), finding_id=low.pk, note="与上一线索同一天"
    )
    assert (joined, created) == (order, False)
    assert "与上一线索同一天" in WorkOrder.objects.get(pk=order.pk).description
    entry = AuditLogEntry.objects.filter(action="workorders.attach").get()
    assert entry.reason == "与上一线索同一天"


def test_only_one_order_per_group_takes_findings(tp, school, ground):
    rnum = session(tp, school, 1, length=20)
    [order] = scan(finding([rnum]))
    assert order is not None and order.grouping_key
    twin = WorkOrder.objects.get(pk=order.pk)
    twin.pk, twin.number = None, "GDtwin"
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    # Orders without a group (manual audits, by hand, resolved ones) never collide.
    WorkOrder.objects.filter(pk=order.pk).update(grouping_key="")
    twin.pk = None
    twin.grouping_key = ""
    twin.save()
    assert WorkOrder.objects.filter(grouping_key="").count() == 2


def whole_school_findings(inscode: str, count: int) -> list[Finding]:
    """``count`` findings of one detector about a school as a whole (no logs), on one day."""
    school = Institution.objects.get(inscode=inscode)
    return [
        Finding.objects.create(
            detector="SCHOOL_CAPACITY",
            key=f"SCHOOL_CAPACITY:{inscode}:{n}",
            severity="high",
            region_id=school.district_id,
            institution=school,
            day=clock.today(),
            summary=f"日培训学时超出教练车承载能力（{n}）",
        )
        for n in range(count)
    ]


@pytest.mark.django_db(transaction=True)
def test_the_migration_carries_the_links_over_both_ways(file_school):
    grouped, single = (
        whole_school_findings(file_school("430104").inscode, 2),
        whole_school_findings(file_school("430202").inscode, 1),
    )
    order, same, alone = scan(*grouped, *single)
    assert order is not None and alone is not None and same == order
    executor = MigrationExecutor(connection)
    try:
        # Backwards: each order keeps its first finding (one-to-one again).
        executor.migrate([("workorders", "0002_decision_other_workorders_console")])
        old = executor.loader.project_state(
            ("workorders", "0002_decision_other_workorders_console")
        ).apps.get_model("workorders", "WorkOrder")
        assert dict(old.objects.values_list("pk", "finding_id")) == {
            order.pk: grouped[0].pk,
            alone.pk: single[0].pk,
        }
        # Forwards: every one-to-one link becomes a link row.
        executor.loader.build_graph()
        executor.migrate([("workorders", "0005_findings_grouped_drop")])
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    links = WorkOrderFinding.objects.values_list("order_id", "finding_id")
    assert sorted(links) == sorted([(order.pk, grouped[0].pk), (alone.pk, single[0].pk)])
    assert WorkOrder.objects.get(pk=order.pk).grouping_key == ""
