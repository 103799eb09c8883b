"""Filing through the signed interface: good filings are stored once, re-filings update."""

from __future__ import annotations

from jiapei.core.models import AuditLogEntry
from jiapei.registry.models import Institution, Personnel, Student
from jiapei.testing import factories as f


def test_institution_gets_a_unified_number_and_refiling_updates_it(tp, db):
    payload = f.InstitutionPayload()
    first = tp.post("institution", payload)
    assert len(first["inscode"]) == 16 and first["created"] is True

    again = tp.post("institution", {**payload, "address": "新地址 9 号"})
    assert again == {"inscode": first["inscode"], "created": False}
    row = Institution.objects.get()
    assert row.address == "新地址 9 号"
    assert AuditLogEntry.objects.filter(object_type="registry.institution").count() == 2


def test_school_with_everything_filed_once(school, tp, db):
    assert Personnel.objects.get(number=school.coachnum).role == "coach"
    student = Student.objects.get(stunum=school.stunum)
    assert student.institution.inscode == school.inscode
    assert tp.post("stuinfoquery/get", {"stunum": school.stunum})["stunum"] == school.stunum
