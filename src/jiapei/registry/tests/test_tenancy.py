"""Tenancy between timing platforms (issue 18 item 4), through the signed API and the
regulators' API: a student moves across platforms only through a regulated transfer (the
receiving school's request with the student's consent, the releasing side's or a regulator's
approval, audit rows); teaching logs and minutes link only the caller's own coaches, cars and
terminals; conflicts never disclose another platform's data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from jiapei.core.models import AuditLogEntry as AuditLog
from jiapei.registry.models import Student
from jiapei.sim.client import ApiRefused, TimingPlatformClient
from jiapei.sim.images import portrait
from jiapei.testing import factories as f
from jiapei.testing.fixtures import School
from jiapei.testing.sessions import SHANGHAI, log_payload
from jiapei.training.models import MinuteRecord, TeachingLog

pytestmark = pytest.mark.usefixtures("fast_passwords")

PDF = b"%PDF-1.4\n% transfer consent signed by the student\n"


@pytest.fixture
def theirs(file_school: Callable[..., School], other_tp: TimingPlatformClient) -> School:
    """A school of the other platform (A0042) with one of everything."""
    return file_school(district="430104", client=other_tp)


@pytest.fixture
def mine(tp: TimingPlatformClient) -> str:
    return str(tp.post("institution", f.InstitutionPayload(district="430102"))["inscode"])


def refused(client: TimingPlatformClient, resource: str, body: Any) -> tuple[int, dict[str, Any]]:
    status, envelope = client.call(resource, body)
    assert status >= 400 and envelope["errorcode"] != 0, envelope
    return status, envelope


def request_body(tp: TimingPlatformClient, inscode: str, stunum: str) -> dict[str, Any]:
    consent = tp.upload("epdfimg", PDF, filename="consent.pdf")
    return {"inscode": inscode, "stunum": stunum, "consentfile": consent, "consentdate": "20260901"}


def owner(stunum: str) -> str:
    return str(Student.objects.select_related("platform").get(stunum=stunum).platform.platnum)


def test_a_request_without_the_students_consent_is_refused(tp, mine, theirs):
    status, envelope = refused(tp, "transfer", {"inscode": mine, "stunum": theirs.stunum})
    assert status == 400 and envelope["data"]["errors"][0]["field"] == "consentfile"
    assert owner(theirs.stunum) == "A0042"


def test_a_request_does_not_move_the_student_nor_show_it(tp, other_tp, mine, theirs):
    reply = tp.post("transfer", request_body(tp, mine, theirs.stunum))
    assert (reply["status"], reply["moved"]) == ("requested", False)
    assert owner(theirs.stunum) == "A0042"
    # The requester still cannot read the student; its own platform still can.
    assert refused(tp, "student/get", {"stunum": theirs.stunum})[0] == 404
    assert other_tp.post("student/get", {"stunum": theirs.stunum})["stunum"] == theirs.stunum
    # A retry returns the open request; both sides see it, a third platform nothing.
    again = tp.post("transfer", request_body(tp, mine, theirs.stunum))
    assert again["id"] == reply["id"]
    assert [r["id"] for r in tp.post("transfer/get", {"stunum": theirs.stunum})["items"]] == [
        reply["id"]
    ]
    assert other_tp.post("transfer/get", {"stunum": theirs.stunum})["items"][0]["toinscode"] == mine
    assert AuditLog.objects.filter(action="transfer.request").count() == 1


def test_the_releasing_platform_approves_and_the_student_moves(tp, other_tp, mine, theirs):
    reply = tp.post("transfer", request_body(tp, mine, theirs.stunum))
    # The requester cannot approve its own request.
    decision = {"stunum": theirs.stunum, "id": reply["id"]}
    assert refused(tp, "transfer/approve", decision)[0] == 404
    assert other_tp.post("transfer/approve", decision)["status"] == "approved"
    assert owner(theirs.stunum) == "A0041"
    assert tp.post("student/get", {"stunum": theirs.stunum})["inscode"] == mine
    assert refused(other_tp, "student/get", {"stunum": theirs.stunum})[0] == 404
    # Approving again is a retry; rejecting now is a conflict.
    assert other_tp.post("transfer/approve", decision)["status"] == "approved"
    assert refused(tp, "transfer/reject", {**decision, "reason": "x"})[0] == 404
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"transfer.request", "transfer.approve", "student.transfer"} <= actions


def test_the_releasing_platform_rejects_with_a_reason(tp, other_tp, mine, theirs):
    reply = tp.post("transfer", request_body(tp, mine, theirs.stunum))
    decision = {"stunum": theirs.stunum, "id": reply["id"]}
    assert refused(other_tp, "transfer/reject", decision)[1]["data"]["errors"][0]["field"] == (
        "reason"
    )
    rejected = other_tp.post("transfer/reject", {**decision, "reason": "学费未结清"})
    assert rejected["status"] == "rejected"
    assert owner(theirs.stunum) == "A0042"
    assert refused(other_tp, "transfer/approve", decision)[0] == 409


def test_a_regulator_of_the_releasing_region_decides(
    tp, api, mine, theirs, changsha_regulator, zhuzhou_regulator
):
    reply = tp.post("transfer", request_body(tp, mine, theirs.stunum))
    path = f"/api/regulator/transfers/{reply['id']}/approve"
    assert api(zhuzhou_regulator, "POST", path, json={}).status_code == 404
    listed = api(changsha_regulator, "GET", "/api/regulator/transfers?status=requested").json()
    assert [item["id"] for item in listed["data"]["items"]] == [int(reply["id"])]
    assert api(zhuzhou_regulator, "GET", "/api/regulator/transfers").json()["data"]["total"] == 0
    decided = api(changsha_regulator, "POST", path, json={})
    assert decided.status_code == 200, decided.json()
    assert decided.json()["data"]["status"] == "approved"
    assert owner(theirs.stunum) == "A0041"


def test_within_one_platform_the_student_moves_at_once(tp, school: School, mine):
    reply = tp.post("transfer", {"inscode": mine, "stunum": school.stunum})
    assert (reply["status"], reply["moved"]) == ("approved", True)
    assert Student.objects.get(stunum=school.stunum).institution.inscode == mine


def test_a_log_links_only_the_callers_own_coach_car_and_terminal(tp, school: School, theirs):
    photos = (tp.upload("stuimg", portrait(41)), tp.upload("stuimg", portrait(42)))
    body = log_payload(
        school, photos, coachnum=theirs.coachnum, carnum=theirs.carnum, simunum=theirs.devnum
    )
    tp.post("classrecord", body)
    log = TeachingLog.objects.get(student__stunum=school.stunum)
    assert (log.coach_id, log.car_id, log.device_id) == (None, None, None)


def test_a_minute_naming_another_platforms_coach_is_not_credited(tp, school: School, theirs):
    at = datetime(2026, 11, 20, 9, 0, 59, tzinfo=SHANGHAI)
    item = f.minute(school.devnum, school.stunum, theirs.coachnum, at, 1)
    result = tp.post("minuterecords", [item])["results"][0]
    assert "COACH_NOT_FILED" in result["codes"]
    assert MinuteRecord.objects.get().result == "rejected"


def test_another_platforms_record_number_gets_no_result_of_theirs(tp, other_tp, school, theirs):
    at = datetime(2026, 11, 20, 9, 0, 59, tzinfo=SHANGHAI)
    other_tp.post("minuterecords", [f.minute(theirs.devnum, theirs.stunum, theirs.coachnum, at, 1)])
    mine_item = f.minute(
        theirs.devnum, school.stunum, school.coachnum, at + timedelta(minutes=1), 1
    )
    result = tp.post("minuterecords", [mine_item])["results"][0]
    assert result["result"] == "refused" and "duplicate" not in result


@pytest.mark.parametrize("kind", ["trainingcar", "device", "student"])
def test_a_conflict_does_not_disclose_the_other_platforms_record(tp, other_tp, mine, kind):
    theirs_inscode = other_tp.post("institution", f.InstitutionPayload(district="430104"))[
        "inscode"
    ]
    if kind == "student":
        photo = other_tp.upload("stuimg", portrait(51))
        body = f.payload(f.StudentPayload, inscode=theirs_inscode, photo=photo)
        number = other_tp.post("student", body)["stunum"]
        mine_body = {**body, "inscode": mine, "photo": tp.upload("stuimg", portrait(52))}
    else:
        factory = f.TrainingCarPayload if kind == "trainingcar" else f.DevicePayload
        body = f.payload(factory, inscode=theirs_inscode)
        reply = other_tp.post(kind, body)
        number = reply.get("carnum") or reply["devnum"]
        mine_body = {**body, "inscode": mine}
    with pytest.raises(ApiRefused) as refusal:
        tp.post(kind, mine_body)
    assert refusal.value.status == 409
    assert number not in str(refusal.value.envelope)
    assert "其他计时平台" in refusal.value.envelope["message"]
