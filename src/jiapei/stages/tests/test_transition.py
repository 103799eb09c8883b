"""Transition cases (过渡): legacy students enrolled before the cut-over. Their hours are pushed
without the syllabus minimums (seed 000 §三(四)), and hours they trained before any terminal
recorded them are backfilled on a three-party form and approved by a regulator (seed 001
一(三)3). Everything goes through the signed timing-platform API and the regulators' API."""

from __future__ import annotations

from typing import Any

import pytest

from jiapei.audit.models import PartResult
from jiapei.audit.tasks import drain_requests
from jiapei.core.models import AuditLogEntry
from jiapei.stages.models import LegacyBackfill, StageReview
from jiapei.stages.tasks import assemble_due
from jiapei.testing.sessions import START, play_session
from jiapei.testing.stages import WORKER, police_messages, reply_data, reviewmsgs

# The test students enrol on 2026-09-01 (jiapei.testing.factories.StudentPayload).
LEGACY_CUTOVER = "2027-04-01"
PDF = b"%PDF-1.4\n% three-party form\n"


@pytest.fixture
def legacy(settings: Any) -> None:
    settings.JIAPEI_STAGE_TRANSITION_BEFORE = LEGACY_CUTOVER


def form(tp: Any, school: Any, **fields: Any) -> dict[str, Any]:
    """A complete 三方确认培训学时补录单 for 600 practical minutes of part 2."""
    fileid = tp.upload("epdfimg", PDF, filename="form.pdf")
    return {
        "inscode": school.inscode,
        "stunum": school.stunum,
        "subject": "2",
        "vehicletime": 600,
        "classtime": 0,
        "simulatortime": 0,
        "networktime": 0,
        "mileage": "120.5",
        "fileid": fileid,
        "studentsign": "20260920100000",
        "coachnum": school.coachnum,
        "coachsign": "20260920100500",
        "schoolseal": "20260921090000",
        **fields,
    }


def refused(tp: Any, payload: dict[str, Any], status: int = 400) -> dict[str, str]:
    """The refusal's field errors as {field: message}."""
    code, envelope = tp.call("legacybackfill", payload)
    assert code == status and envelope["errorcode"] != 0, envelope
    return {e["field"]: e["message"] for e in (envelope.get("data") or {}).get("errors", [])}


def test_a_backfill_is_refused_for_a_student_who_is_not_legacy(tp, school, settings):
    settings.JIAPEI_STAGE_TRANSITION_BEFORE = ""
    errors = refused(tp, form(tp, school))
    assert set(errors) == {"stunum"} and "cut-over" in errors["stunum"]

    settings.JIAPEI_STAGE_TRANSITION_BEFORE = "2026-06-01"  # enrolled after it
    errors = refused(tp, form(tp, school))
    assert set(errors) == {"stunum"} and "not a legacy student" in errors["stunum"]
    assert not LegacyBackfill.objects.exists()


def test_each_missing_confirmation_is_named(tp, school, legacy):
    errors = refused(tp, form(tp, school, studentsign="", coachsign=None, schoolseal=""))
    assert set(errors) == {"studentsign", "coachsign", "schoolseal"}, errors
    errors = refused(tp, form(tp, school, coachsign=""))
    assert set(errors) == {"coachsign"}
    errors = refused(tp, form(tp, school, coachnum="0000000000000000"))
    assert set(errors) == {"coachnum"}
    assert not LegacyBackfill.objects.exists()


def test_an_approved_backfill_is_pushed_as_a_transition_case(
    tp, school, api, legacy, changsha_regulator, zhuzhou_regulator
):
    reply = tp.post("legacybackfill", form(tp, school, vehicletime=500))
    assert (reply["created"], reply["status"]) == (True, "submitted")
    reply = tp.post("legacybackfill", form(tp, school))  # corrected before the review
    assert reply["created"] is False
    row = LegacyBackfill.objects.get()
    assert (row.practical_minutes, row.coachnum) == (600, school.coachnum)
    assert row.student_confirmed_at and row.coach_confirmed_at and row.school_sealed_at
    assert AuditLogEntry.objects.filter(action="legacybackfill").count() == 2

    path = f"/api/regulator/backfills/{row.pk}/review"
    approve = {"decision": "approve", "reason": ""}
    assert reply_data(api(zhuzhou_regulator, "GET", "/api/regulator/backfills"))["total"] == 0
    reply_data(api(zhuzhou_regulator, "POST", path, json=approve), 404)
    [listed] = reply_data(
        api(changsha_regulator, "GET", "/api/regulator/backfills?status=submitted")
    )["items"]
    assert (listed["id"], listed["minutes"]["1"]) == (row.pk, 600)

    decided = reply_data(api(changsha_regulator, "POST", path, json=approve))
    assert (decided["status"], decided["reviewer"]) == ("approved", "changsha")
    review = StageReview.objects.get(student__stunum=school.stunum, part=2)
    assert (review.status, review.transition, review.source) == ("approved", True, "backfill")
    assert review.credited == {"1": 600} and review.pdf_id == row.scan_id
    [push] = police_messages()
    message = push.payload
    assert (message["transition"], message["vehicletime"], message["part"]) == (True, 600, 2)
    assert (message["coachnum"], message["auditunit"]) == (school.coachnum, "长沙市")
    assert message["mileage"] == pytest.approx(120.5)
    assert len(reviewmsgs(school.stunum)) == 1

    # Decided: neither the school nor the regulator can change it any more.
    assert set(refused(tp, form(tp, school), 409)) == {"subject"}
    reply_data(api(changsha_regulator, "POST", path, json=approve), 409)
    assert len(police_messages()) == 1


def test_rejecting_a_backfill_needs_a_reason(tp, school, api, legacy, changsha_regulator):
    tp.post("legacybackfill", form(tp, school))
    row = LegacyBackfill.objects.get()
    path = f"/api/regulator/backfills/{row.pk}/review"
    reply_data(
        api(changsha_regulator, "POST", path, json={"decision": "reject", "reason": " "}), 400
    )
    reject = {"decision": "reject", "reason": "教练员签字与备案不符"}
    decided = reply_data(api(changsha_regulator, "POST", path, json=reject))
    assert (decided["status"], decided["reason"]) == ("rejected", "教练员签字与备案不符")
    assert not StageReview.objects.exists() and police_messages() == []


def test_a_legacy_students_incomplete_part_is_pushed_without_the_minimums(
    tp, school, ground, api, legacy
):
    # 30 of the 60 minutes the test syllabus requires for part 2: not complete.
    play_session(tp, school, recnum="00001", start=START, length=30)
    assert drain_requests(actor=WORKER) == 1
    assert not PartResult.objects.get(student__stunum=school.stunum, part=2).complete

    assert assemble_due(actor=WORKER) == 1
    review = StageReview.objects.get(student__stunum=school.stunum, part=2)
    assert (review.status, review.transition, review.manual_required) == (
        "auto_approved",
        True,
        False,
    )
    checks = {c["check"]: c for c in review.checks}
    assert checks["part_complete"]["ok"] and "transition case" in checks["part_complete"]["detail"]
    assert checks["teaching_logs"]["ok"]
    [push] = police_messages()
    assert (push.payload["transition"], push.payload["vehicletime"]) == (True, 30)
    assert assemble_due(actor=WORKER) == 0  # nothing due twice
