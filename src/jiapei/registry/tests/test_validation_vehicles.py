"""Validation of filings through the signed interface: plates, licence (vehicle) classes and
the institution's business scope.

Every refusal must be an HTTP 4xx envelope naming the offending field and value, and must
store nothing (see :func:`jiapei.registry.tests.helpers.refused`).
"""

from __future__ import annotations

import pytest

from jiapei.registry.models import Institution, Personnel, Student, TrainingCar
from jiapei.registry.tests.helpers import (
    area,
    car,
    coach,
    refused,
    student,
)
from jiapei.sim.images import portrait
from jiapei.testing import factories as f

pytestmark = pytest.mark.usefixtures("fast_passwords")


# --- plates -------------------------------------------------------------------------------


@pytest.mark.parametrize("licnum", ["湘A123学", "湘I12345", "XA12345", "湘A1234试", "湘A1234567"])
def test_bad_plate_is_refused(tp, ins, licnum, db):
    envelope = refused(tp, "trainingcar", car(ins, licnum=licnum), field="licnum", value=licnum)
    assert "车牌" in envelope["message"]


@pytest.mark.parametrize(
    ("licnum", "stored_as"),
    [
        ("湘A5678学", "湘A5678学"),
        ("湘AD12345", "湘AD12345"),
        ("湘A12345D", "湘A12345D"),
        ("湘AF54321", "湘AF54321"),
        ("湘a5679学", "湘A5679学"),
        ("湘A·5680学", "湘A5680学"),
    ],
)
def test_training_and_new_energy_plates_are_accepted(tp, ins, licnum, stored_as, db):
    filed = tp.post("trainingcar", car(ins, licnum=licnum))
    assert TrainingCar.objects.get(carnum=filed["carnum"]).licnum == stored_as
    # The normalised plate is the natural key: filing it again finds the same car.
    assert tp.post("trainingcar", car(ins, licnum=stored_as))["carnum"] == filed["carnum"]


# --- licence classes ----------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["C9", "Z1", "C1,Z1", "C1+C2"])
def test_institution_busiscope_with_an_unknown_class_is_refused(tp, scope, db):
    payload = f.payload(f.InstitutionPayload, busiscope=scope)
    refused(tp, "institution", payload, field="busiscope", value=scope)


@pytest.mark.parametrize("scope", ["C1,C2", "C1C2", "C1、C2", "c1，c2", "C1 C2"])
def test_institution_busiscope_forms_are_parsed(tp, scope, db):
    filed = tp.post("institution", f.payload(f.InstitutionPayload, busiscope=scope))
    assert Institution.objects.get(inscode=filed["inscode"]).busiscope == "C1,C2"


def test_c6_is_a_known_class_for_institution_car_coach_and_student(tp, student_photo, db):
    inscode = tp.post("institution", f.payload(f.InstitutionPayload, busiscope="C1、C6"))["inscode"]
    photo = tp.upload("coachimg", portrait(606))
    carnum = tp.post(
        "trainingcar", f.payload(f.TrainingCarPayload, inscode=inscode, perdritype="C6")
    )["carnum"]
    coachnum = tp.post(
        "coach",
        f.payload(
            f.CoachPayload, inscode=inscode, photo=photo, dripermitted="C1C6", teachpermitted="C6"
        ),
    )["coachnum"]
    stunum = tp.post(
        "student", f.payload(f.StudentPayload, inscode=inscode, photo=student_photo, traintype="C6")
    )["stunum"]
    assert Institution.objects.get(inscode=inscode).busiscope == "C1,C6"
    assert TrainingCar.objects.get(carnum=carnum).perdritype == "C6"
    assert Personnel.objects.get(number=coachnum).dripermitted == "C1,C6"
    assert Student.objects.get(stunum=stunum).traintype == "C6"


@pytest.mark.parametrize("field", ["teachpermitted", "dripermitted"])
@pytest.mark.parametrize("classes", ["C9", "Z1", "C1,C9"])
def test_coach_with_an_unknown_class_is_refused(tp, ins, field, classes, db):
    refused(tp, "coach", coach(ins, **{field: classes}), field=field, value=classes)


def test_coach_class_lists_are_stored_normalised(tp, ins, db):
    filed = tp.post("coach", coach(ins, dripermitted="C1、C2", teachpermitted="c1C2"))
    row = Personnel.objects.get(number=filed["coachnum"])
    assert (row.dripermitted, row.teachpermitted) == ("C1,C2", "C1,C2")


@pytest.mark.parametrize("perdritype", ["C9", "Z1", "C1,C2"])
def test_car_with_an_unknown_or_several_classes_is_refused(tp, ins, perdritype, db):
    payload = car(ins, perdritype=perdritype)
    refused(tp, "trainingcar", payload, field="perdritype", value=perdritype)


@pytest.mark.parametrize("traintype", ["C9", "Z1", "C1,C2", "C1C2"])
def test_student_with_an_unknown_or_several_classes_is_refused(
    tp, ins, student_photo, traintype, db
):
    payload = student(ins, student_photo, traintype=traintype)
    refused(tp, "student", payload, field="traintype", value=traintype)


# --- classes within the institution's business scope (busiscope "C1,C2") -----------------


def test_coach_teaching_a_class_outside_the_busiscope_is_refused(tp, ins, db):
    envelope = refused(
        tp, "coach", coach(ins, teachpermitted="C1,A1"), field="teachpermitted", value="C1,A1"
    )
    assert "A1" in envelope["message"] and "C1,C2" in envelope["message"]


def test_car_class_outside_the_busiscope_is_refused(tp, ins, db):
    refused(tp, "trainingcar", car(ins, perdritype="B2"), field="perdritype", value="B2")


def test_student_class_outside_the_busiscope_is_refused(tp, ins, student_photo, db):
    payload = student(ins, student_photo, traintype="A1")
    refused(tp, "student", payload, field="traintype", value="A1")


def test_area_class_outside_the_busiscope_is_refused(tp, ins, db):
    payload = area(ins, vehicletype="C1,B2")
    refused(tp, "region", payload, field="vehicletype", value="C1,B2")


def test_fee_for_a_class_outside_the_busiscope_is_refused(tp, ins, db):
    payload = f.payload(f.FeePayload, inscode=ins.inscode, vehicletype="A1")
    refused(tp, "charstandard", payload, field="vehicletype", value="A1")


def test_transfer_to_a_school_without_the_students_class_is_refused(tp, school, db):
    other = tp.post("institution", f.payload(f.InstitutionPayload, busiscope="C2"))["inscode"]
    payload = {"inscode": other, "stunum": school.stunum}
    refused(tp, "transfer", payload, field="inscode", value=other)
    assert Student.objects.get(stunum=school.stunum).institution.inscode == school.inscode
