"""Validation of filings through the signed interface: required fields, malformed bodies and
references to institutions, files, terminals, cars and students.

Every refusal must be an HTTP 4xx envelope naming the offending field and value, and must
store nothing (see :func:`jiapei.registry.tests.helpers.refused`).
"""

from __future__ import annotations

import pytest

from jiapei.core.errors import ErrorCode
from jiapei.registry.models import Personnel
from jiapei.registry.tests.helpers import (
    area,
    car,
    coach,
    errors_by_field,
    refused,
    stored,
    student,
)
from jiapei.sim.images import portrait
from jiapei.testing import factories as f

pytestmark = pytest.mark.usefixtures("fast_passwords")


# --- required fields and malformed bodies -------------------------------------------------


def test_missing_required_field_is_named(tp, ins, db):
    envelope = refused(tp, "coach", coach(ins, name=None), field="name", value=None)
    assert "required" in envelope["message"]


def test_blank_required_field_is_named(tp, ins, db):
    refused(tp, "coach", coach(ins, idcard="  "), field="idcard", value="  ")


def test_null_required_field_is_named(tp, ins, db):
    refused(tp, "coach", {**coach(ins), "mobile": None}, field="mobile", value=None)


def test_every_missing_field_is_named(tp, db):
    payload = f.payload(f.InstitutionPayload, name=None, licnum=None, busiscope=None)
    envelope = refused(tp, "institution", payload, field="licnum", value=None)
    assert errors_by_field(envelope) == {"name": None, "licnum": None, "busiscope": None}


@pytest.mark.parametrize("field", ["photo", "drilicence", "fstdrilicdate", "teachpermitted"])
def test_fields_required_of_a_coach(tp, ins, field, db):
    refused(tp, "coach", coach(ins, **{field: ""}), field=field, value="")


def test_student_photo_is_required(tp, ins, db):
    payload = f.payload(f.StudentPayload, inscode=ins.inscode)  # photo ""
    refused(tp, "student", payload, field="photo", value="")


def test_securityguard_needs_no_licence(tp, ins, db):
    payload = f.payload(
        f.CoachPayload,
        inscode=ins.inscode,
        drilicence=None,
        fstdrilicdate=None,
        dripermitted=None,
        teachpermitted=None,
    )
    filed = tp.post("securityguard", payload)
    assert Personnel.objects.get(number=filed["secunum"]).role == "securityguard"


def test_student_adding_a_class_must_give_the_licence_number(tp, ins, student_photo, db):
    payload = student(ins, student_photo, busitype="1", traintype="C2")
    refused(tp, "student", payload, field="drilicnum", value=None)


@pytest.mark.parametrize("body", [b"not json", b'{"inscode": ', b"\xff\xfe"])
def test_body_that_is_not_json_is_refused_clearly(raw_post, body, db):
    before = stored()
    reply = raw_post("coach", body)
    envelope = reply.json()
    assert reply.status_code == 400
    assert envelope["errorcode"] == ErrorCode.MALFORMED_BODY, envelope
    assert "JSON" in envelope["message"]
    assert stored() == before


@pytest.mark.parametrize("body", [b"[]", b"[1, 2]", b'"coach"', b"null", b"42"])
def test_body_that_is_not_a_json_object_is_refused_clearly(raw_post, body, db):
    before = stored()
    reply = raw_post("coach", body)
    envelope = reply.json()
    assert reply.status_code == 400
    # The body as a whole is wrong: say so, rather than "inscode, name, … are missing".
    assert envelope["errorcode"] == ErrorCode.MALFORMED_BODY, envelope
    assert "JSON" in envelope["message"]
    assert stored() == before


def test_empty_body_is_refused_clearly(raw_post, db):
    before = stored()
    reply = raw_post("institution", b"")
    assert reply.status_code == 400
    assert reply.json()["errorcode"] == ErrorCode.MALFORMED_BODY
    assert "JSON" in reply.json()["message"]
    assert stored() == before


# --- references: institutions, files, terminals, cars, students ---------------------------


UNKNOWN_INSCODE = "4300109999999999"


@pytest.mark.parametrize(
    "resource",
    [
        "coach",
        "examiner",
        "trainingcar",
        "region",
        "charstandard",
        "device",
        "student",
        "region/delete",
    ],
)
def test_unknown_inscode_is_not_found(tp, ins, student_photo, resource, db):
    payloads = {
        "coach": coach(ins),
        "examiner": coach(ins),
        "trainingcar": car(ins),
        "region": area(ins),
        "charstandard": f.payload(f.FeePayload, inscode=ins.inscode),
        "device": f.payload(f.DevicePayload, inscode=ins.inscode),
        "student": student(ins, student_photo),
        "region/delete": {"inscode": ins.inscode, "seq": "1"},
    }
    payload = {**payloads[resource], "inscode": UNKNOWN_INSCODE}
    refused(
        tp,
        resource,
        payload,
        field="inscode",
        value=UNKNOWN_INSCODE,
        status=404,
        code=ErrorCode.NOT_FOUND,
    )


def test_transfer_to_an_unknown_institution_is_not_found(tp, school, db):
    refused(
        tp,
        "transfer",
        {"inscode": UNKNOWN_INSCODE, "stunum": school.stunum},
        field="inscode",
        value=UNKNOWN_INSCODE,
        status=404,
        code=ErrorCode.NOT_FOUND,
    )


def test_transfer_of_an_unknown_student_is_not_found(tp, school, db):
    refused(
        tp,
        "transfer",
        {"inscode": school.inscode, "stunum": "4300509999999999"},
        field="stunum",
        value="4300509999999999",
        status=404,
        code=ErrorCode.NOT_FOUND,
    )


@pytest.mark.parametrize("photo", ["999999", "abc", "-1", "1.5"])
def test_photo_that_was_never_uploaded_is_refused(tp, ins, photo, db):
    envelope = refused(tp, "coach", coach(ins, photo=photo), field="photo", value=photo)
    assert "upload" in envelope["message"]


def test_student_photo_that_was_never_uploaded_is_refused(tp, ins, db):
    payload = f.payload(f.StudentPayload, inscode=ins.inscode, photo="424242")
    refused(tp, "student", payload, field="photo", value="424242")


def test_car_photo_that_was_never_uploaded_is_refused(tp, ins, db):
    refused(tp, "trainingcar", car(ins, photo="424242"), field="photo", value="424242")


def test_photo_uploaded_by_another_platform_is_refused(tp, other_tp, ins, db):
    theirs = other_tp.upload("coachimg", portrait(4242))
    refused(tp, "coach", coach(ins, photo=theirs), field="photo", value=theirs)


def test_binding_an_unknown_terminal_is_not_found(tp, school, db):
    payload = {"devnum": "4300409999999999", "carnum": school.carnum, "sim": "1440000000009"}
    refused(
        tp,
        "devassign",
        payload,
        field="devnum",
        value="4300409999999999",
        status=404,
        code=ErrorCode.NOT_FOUND,
    )


def test_binding_to_an_unknown_car_is_not_found(tp, school, db):
    device = tp.post("device", f.DevicePayload(inscode=school.inscode))["devnum"]
    payload = {"devnum": device, "carnum": "4300309999999999", "sim": "1440000000009"}
    refused(
        tp,
        "devassign",
        payload,
        field="carnum",
        value="4300309999999999",
        status=404,
        code=ErrorCode.NOT_FOUND,
    )


def test_binding_needs_a_sim_number(tp, school, db):
    device = tp.post("device", f.DevicePayload(inscode=school.inscode))["devnum"]
    payload = {"devnum": device, "carnum": school.carnum}
    refused(tp, "devassign", payload, field="sim", value=None)


@pytest.mark.parametrize("number", ["123", "43003031758374070", "4300-03175837407"])
def test_malformed_unified_number_is_refused(tp, ins, number, db):
    refused(tp, "coach", coach(ins, coachnum=number), field="coachnum", value=number)
