"""From a completed part to the police platform: hours go in through the signed API, the worker
audits them and assembles the stage review, a regulator decides it over HTTP, and the outbox
carries the decision to the timing platform and the police platform."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from jiapei.audit.models import PartResult
from jiapei.audit.tasks import drain_requests
from jiapei.cli.worker import relay_once
from jiapei.core.models import AuditLogEntry
from jiapei.outbox.models import OutboxMessage
from jiapei.sim.client import ApiRefused
from jiapei.stages import services
from jiapei.stages.models import StageReview
from jiapei.stages.tasks import assemble_due
from jiapei.testing.sessions import START, play_session
from jiapei.testing.stages import WORKER, police_messages, reply_data, reviewmsgs


def complete_part_two(tp: Any, school: Any) -> str:
    """One honest 60-minute session: under the test syllabus, part 2 is then complete."""
    rnum = play_session(tp, school, recnum="00001", start=START, length=60)
    # The worker's audit step only: the test runs the assembly step itself.
    assert drain_requests(actor=WORKER) == 1
    assert PartResult.objects.get(student__stunum=school.stunum, part=2).complete
    return rnum


def stage_payload(school: Any, rnums: list[str], **fields: Any) -> dict[str, Any]:
    """A ``stagetrainningtime`` submission for part 2 that agrees with one 60-minute session."""
    return {
        "inscode": school.inscode,
        "stunum": school.stunum,
        "subject": "2",
        "totaltime": 60,
        "vehicletime": 60,
        "classtime": 0,
        "simulatortime": 0,
        "networktime": 0,
        "duration": 60,
        "examresult": "1",
        "mileage": "18.0",
        "esignature": "ab" * 128,
        "rectype": "2",
        "recarray": [{"rnum": r} for r in rnums],
        **fields,
    }


def test_a_clean_complete_part_is_approved_and_pushed(tp, school, ground, api, police):
    rnum = complete_part_two(tp, school)
    assert assemble_due(actor=WORKER) == 1

    [row] = reply_data(api(ground, "GET", "/api/regulator/stages?status=auto_approved"))["items"]
    assert (row["stunum"], row["part"], row["source"]) == (school.stunum, 2, "audit")
    assert row["credited"]["1"] == 60 and row["rnums"] == [rnum]
    assert all(check["ok"] for check in row["checks"]), row["checks"]
    assert reviewmsgs(school.stunum) == [
        {"reviewtype": "2", "data": {"stunum": school.stunum, "subject": "2"}}
    ]
    [push] = police_messages()
    review = StageReview.objects.get(pk=row["id"])
    message = push.payload
    assert message["stunum"] == school.stunum and message["traintype"] == "C1"
    assert (message["subject"], message["part"]) == ("2", 2)
    assert (message["totaltime"], message["vehicletime"], message["classtime"]) == (60, 60, 0)
    assert message["mileage"] == pytest.approx(review.mileage)
    assert (message["auditunit"], message["auditor"]) == ("湖南省", "自动审核")
    assert message["stageid"] == str(review.pk) and message["inscode"] == school.inscode
    assert message["coachnum"] == school.coachnum and message["transition"] is False
    assert message["updatetime"].startswith(message["auditdate"])
    [national] = OutboxMessage.objects.filter(destination="national")
    assert (national.path, national.payload["stunum"], national.payload["vehicletime"]) == (
        "stagetrainningtime",
        school.stunum,
        60,
    )

    reply = tp.post("stagetrainningtimereview/get", {"stunum": school.stunum, "subject": "2"})
    assert (reply["flag"], reply["status"]) == (1, "auto_approved")

    path = f"/api/regulator/students/{school.stunum}/police"
    [subject] = reply_data(api(ground, "GET", path))["subjects"]
    assert (subject["subject"], subject["status"]) == ("2", "pending")
    relay_once()
    [subject] = reply_data(api(ground, "GET", path))["subjects"]
    assert (subject["status"], subject["last_error"]) == ("acknowledged", "")
    student = review.student
    assert police.book(student.idcard, "2").errorcode == 0


def test_a_drawn_record_waits_for_a_regulator_of_its_city(
    tp, school, ground, api, settings, changsha_regulator, zhuzhou_regulator
):
    settings.JIAPEI_STAGE_MANUAL_SHARE_BY_CITY = {"430100": 1.0}
    complete_part_two(tp, school)
    assemble_due(actor=WORKER)
    review = StageReview.objects.get(student__stunum=school.stunum, part=2)
    assert (review.status, review.manual_required) == ("pending_manual", True)
    assert police_messages() == [] and reviewmsgs(school.stunum) == []
    reply = tp.post("stagetrainningtimereview/get", {"stunum": school.stunum, "subject": "2"})
    assert (reply["flag"], reply["status"]) == (0, "pending_manual")

    path = f"/api/regulator/stages/{review.pk}"
    assert api(zhuzhou_regulator, "GET", path).status_code == 404
    approve = {"decision": "approve", "reason": ""}
    reply_data(api(zhuzhou_regulator, "POST", f"{path}/review", json=approve), 404)
    assert reply_data(api(zhuzhou_regulator, "GET", "/api/regulator/stages"))["total"] == 0

    row = reply_data(api(changsha_regulator, "POST", f"{path}/review", json=approve))
    assert (row["status"], row["reviewer"]) == ("approved", "changsha")
    [push] = police_messages()
    assert (push.payload["auditunit"], push.payload["auditor"]) == ("长沙市", "changsha")
    assert len(reviewmsgs(school.stunum)) == 1

    # Approving again is refused and sends nothing more.
    reply_data(api(changsha_regulator, "POST", f"{path}/review", json=approve), 409)
    assert len(police_messages()) == 1 and len(reviewmsgs(school.stunum)) == 1


def test_platform_totals_that_disagree_wait_with_the_failures_named(tp, school, ground, api):
    rnum = complete_part_two(tp, school)
    unknown = school.stunum + "00099"
    tp.post(
        "stagetrainningtime",
        stage_payload(school, [rnum, unknown], totaltime=65, vehicletime=65, duration=65),
    )
    assemble_due(actor=WORKER)

    review = StageReview.objects.get(student__stunum=school.stunum, part=2)
    assert (review.status, review.source) == ("pending_manual", "platform")
    failed = {c["check"]: c["detail"] for c in review.checks if not c["ok"]}
    assert set(failed) == {"platform_totals", "teaching_logs"}, review.checks
    assert "vehicletime" in failed["platform_totals"] and "65" in failed["platform_totals"]
    assert "totaltime" in failed["platform_totals"]
    assert unknown in failed["teaching_logs"]
    assert police_messages() == []

    reply = tp.post("stagetrainningtimereview/get", {"stunum": school.stunum, "subject": "2"})
    assert reply["flag"] == 0 and "vehicletime" in reply["reason"]

    path = f"/api/regulator/stages/{review.pk}/review"
    errors = reply_data(api(ground, "POST", path, json={"decision": "reject"}), 400)["errors"]
    assert errors[0]["field"] == "reason"
    reject = {"decision": "reject", "reason": "学时与审核不符"}
    assert reply_data(api(ground, "POST", path, json=reject))["status"] == "rejected"
    reply = tp.post("stagetrainningtimereview/get", {"stunum": school.stunum, "subject": "2"})
    assert (reply["flag"], reply["status"], reply["reason"]) == (0, "rejected", "学时与审核不符")
    assert len(reviewmsgs(school.stunum)) == 1 and police_messages() == []

    # The platform corrects its record: a person looks again, now with every check passing.
    tp.post("stagetrainningtime", stage_payload(school, [rnum]))
    assert assemble_due(actor=WORKER) == 1
    review.refresh_from_db()
    assert review.status == "pending_manual" and review.reviewer is None
    assert all(c["ok"] for c in review.checks), review.checks


def test_revoking_an_approval_withdraws_the_hours(tp, school, ground, api, police):
    complete_part_two(tp, school)
    assemble_due(actor=WORKER)
    review = StageReview.objects.get(student__stunum=school.stunum, part=2)
    assert review.status == "auto_approved"
    relay_once()
    idcard = review.student.idcard
    assert police.book(idcard, "2").errorcode == 0

    path = f"/api/regulator/stages/{review.pk}/revoke"
    errors = reply_data(api(ground, "POST", path, json={"reason": " "}), 400)["errors"]
    assert errors[0]["field"] == "reason"
    row = reply_data(api(ground, "POST", path, json={"reason": "查实代培学时造假"}))
    assert row["status"] == "revoked"
    [withdrawal] = police_messages("/hours/withdraw")
    assert withdrawal.payload["stageid"] == str(review.pk)
    assert (withdrawal.payload["subject"], withdrawal.payload["idcard"]) == ("2", idcard)

    police_path = f"/api/regulator/students/{school.stunum}/police"
    [subject] = reply_data(api(ground, "GET", police_path))["subjects"]
    assert (subject["status"], subject["action"]) == ("withdrawn", "withdraw")
    reply = tp.post("stagetrainningtimereview/get", {"stunum": school.stunum, "subject": "2"})
    assert (reply["flag"], reply["status"]) == (0, "revoked")

    relay_once()
    assert police.book(idcard, "2").errorcode != 0
    reply_data(api(ground, "POST", path, json={"reason": "again"}), 409)


def test_assembling_again_changes_nothing(tp, school, ground, settings):
    settings.JIAPEI_STAGE_MANUAL_SHARE = 1.0
    complete_part_two(tp, school)
    assert assemble_due(actor=WORKER) == 1
    review = StageReview.objects.get(student__stunum=school.stunum, part=2)
    snapshot = (review.status, review.checks, review.updated_at)
    trail = AuditLogEntry.objects.filter(action__startswith="stage.").count()
    outbox = OutboxMessage.objects.count()

    assert assemble_due(actor=WORKER) == 0
    services.assemble(actor=WORKER, student=review.student, part=2)
    # A re-audit makes the open review due again; its figures are unchanged, so is the review.
    call_command("audit", student=school.stunum)
    assert assemble_due(actor=WORKER) == 1
    review.refresh_from_db()
    assert (review.status, review.checks, review.updated_at) == snapshot
    assert AuditLogEntry.objects.filter(action__startswith="stage.").count() == trail == 1
    assert OutboxMessage.objects.count() == outbox
    # Share changes do not re-draw an existing review.
    settings.JIAPEI_STAGE_MANUAL_SHARE = 0.0
    services.assemble(actor=WORKER, student=review.student, part=2)
    review.refresh_from_db()
    assert review.status == "pending_manual"


def test_review_query_refuses_what_it_cannot_answer(tp, school):
    with pytest.raises(ApiRefused, match="errorcode=2002"):
        tp.post("stagetrainningtimereview/get", {"stunum": school.stunum, "subject": "2"})
    with pytest.raises(ApiRefused, match="errorcode=2001"):
        tp.post("stagetrainningtimereview/get", {"stunum": school.stunum, "subject": "5"})
    with pytest.raises(ApiRefused, match="errorcode=2002"):
        tp.post("stagetrainningtimereview/get", {"stunum": "4301000000000000", "subject": "2"})
