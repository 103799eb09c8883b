"""From a finding to withdrawn hours: a complete, approved part pushed to the police platform, a
fraud finding on its session, a work order, and a regulator's "voided" decision over HTTP — the
session becomes MANUAL_VOID, the part incomplete, the approval revoked, and the withdrawal
delivered by the outbox relay so the police platform refuses to book that subject."""

from __future__ import annotations

from typing import Any

from jiapei.audit.models import PartResult
from jiapei.cli.worker import relay_once
from jiapei.core.models import AuditLogEntry
from jiapei.outbox.models import OutboxMessage
from jiapei.stages.models import StageReview
from jiapei.stages.tasks import assemble_due
from jiapei.training.models import TeachingLog
from jiapei.workorders.tests.factories import WORKER, data, order_for, session


def approved_and_pushed(tp: Any, school: Any) -> tuple[str, StageReview]:
    """One honest 60-minute session completes part 2; it is approved automatically and the
    push is delivered to the police platform."""
    rnum = session(tp, school, 1)
    assert PartResult.objects.get(student__stunum=school.stunum, part=2).complete
    assert assemble_due(actor=WORKER) == 1
    review = StageReview.objects.get(student__stunum=school.stunum, part=2)
    assert review.status == "auto_approved"
    relay_once()
    assert OutboxMessage.objects.get(path="/hours").status == "delivered"
    return rnum, review


def test_voiding_a_session_revokes_the_approval_and_closes_booking(
    tp, school, ground, api, police, zhuzhou_regulator
):
    rnum, review = approved_and_pushed(tp, school)
    idcard = review.student.idcard
    assert police.book(idcard, "2").errorcode == 0

    order = order_for([rnum])
    assert order.findings.get().status == "ordered"
    assert (order.region_id, order.source, order.state) == ("430104", "finding", "open")
    assert order.number.startswith("GD") and order.number.endswith(f"{order.pk:08d}")
    path = f"/api/regulator/workorders/{order.pk}"

    # 株洲 neither sees nor decides a 长沙 order.
    assert data(api(zhuzhou_regulator, "GET", "/api/regulator/workorders"))["total"] == 0
    data(api(zhuzhou_regulator, "GET", path), 404)
    voided = {"decision": "voided", "reason": "照片重复使用，查实代培"}
    data(api(zhuzhou_regulator, "POST", f"{path}/resolve", json=voided), 404)

    [row] = data(api(ground, "GET", "/api/regulator/workorders?state=open"))["items"]
    assert (row["number"], row["inscode"], row["overdue"]) == (order.number, school.inscode, False)
    detail = data(api(ground, "GET", path))
    assert detail["finding"]["detector"] == "PHOTO_REPLAYED"
    assert detail["finding"]["figures"] == {"similarity": 0.97}
    assert [(log["rnum"], log["audit_status"]) for log in detail["logs"]] == [(rnum, "valid")]

    detail = data(api(ground, "POST", f"{path}/start"))
    assert (detail["state"], detail["assignee"]) == ("in_progress", ground.username)
    errors = data(api(ground, "POST", f"{path}/resolve", json={**voided, "reason": " "}), 400)
    assert errors["errors"][0]["field"] == "reason"
    assert TeachingLog.objects.get(rnum=rnum).voided_at is None  # a refusal stores nothing

    detail = data(api(ground, "POST", f"{path}/resolve", json=voided))
    assert (detail["state"], detail["decision"]) == ("resolved", "voided")
    assert detail["voided"] == [rnum]
    assert detail["revoked"] == [{"review": review.pk, "stunum": school.stunum, "part": 2}]
    [log] = detail["logs"]
    assert (log["audit_status"], log["credited_minutes"]) == ("invalid", 0)
    assert "MANUAL_VOID" in log["codes"] and order.number in log["void_reason"]
    assert not PartResult.objects.get(student__stunum=school.stunum, part=2).complete
    review.refresh_from_db()
    assert review.status == "revoked" and order.number in review.reason
    assert [e["action"] for e in detail["timeline"]] == [
        "workorders.open",
        "workorders.start",
        "workorders.resolve",
    ]

    [withdrawal] = OutboxMessage.objects.filter(destination="police", path="/hours/withdraw")
    assert (withdrawal.payload["idcard"], withdrawal.payload["subject"]) == (idcard, "2")
    relay_once()
    withdrawal.refresh_from_db()
    assert withdrawal.status == "delivered"
    assert police.book(idcard, "2").errorcode != 0

    # Retrying the same decision is a no-op; another decision is refused.
    trail = AuditLogEntry.objects.count()
    outbox = OutboxMessage.objects.count()
    assert data(api(ground, "POST", f"{path}/resolve", json=voided))["decision"] == "voided"
    upheld = {"decision": "upheld", "reason": "复核无误"}
    data(api(ground, "POST", f"{path}/resolve", json=upheld), 409)
    assert (AuditLogEntry.objects.count(), OutboxMessage.objects.count()) == (trail, outbox)
    # The worker's next passes leave the revocation standing.
    assert assemble_due(actor=WORKER) == 0
    review.refresh_from_db()
    assert review.status == "revoked"


def test_voiding_one_of_two_sessions_keeps_a_part_that_is_still_complete(
    tp, school, ground, api, police
):
    first = session(tp, school, 1)
    second = session(tp, school, 2)
    assemble_due(actor=WORKER)
    review = StageReview.objects.get(student__stunum=school.stunum, part=2)
    assert review.status == "auto_approved"
    order = order_for([first, second])

    path = f"/api/regulator/workorders/{order.pk}/resolve"
    bad = {"decision": "voided", "reason": "代培", "rnums": ["4300000000000000099999"]}
    assert data(api(ground, "POST", path, json=bad), 400)["errors"][0]["field"] == "rnums"
    detail = data(api(ground, "POST", path, json={**bad, "rnums": [first]}))
    assert detail["voided"] == [first] and detail["revoked"] == []
    statuses = {log["rnum"]: log["audit_status"] for log in detail["logs"]}
    assert statuses == {first: "invalid", second: "valid"}
    assert PartResult.objects.get(student__stunum=school.stunum, part=2).complete
    review.refresh_from_db()
    assert review.status == "auto_approved"
    assert not OutboxMessage.objects.filter(path="/hours/withdraw").exists()


def test_upheld_hours_stand(tp, school, ground, api, police):
    rnum, review = approved_and_pushed(tp, school)
    order = order_for([rnum])
    path = f"/api/regulator/workorders/{order.pk}/resolve"
    detail = data(api(ground, "POST", path, json={"decision": "upheld", "reason": "复核属实"}))
    assert (detail["state"], detail["decision"], detail["voided"]) == ("resolved", "upheld", [])
    log = TeachingLog.objects.get(rnum=rnum)
    assert (log.voided_at, log.audit_status, log.credited_minutes) == (None, "valid", 60)
    review.refresh_from_db()
    assert review.status == "auto_approved"
    assert order.findings.get().status == "ordered"
    assert police.book(review.student.idcard, "2").errorcode == 0
