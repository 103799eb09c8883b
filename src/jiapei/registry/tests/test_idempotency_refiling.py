"""Idempotency of the signed filing interface: re-filing a record.

Timing platforms retry: filing the same record again (with or without its unified number) must
return the same number and add no rows; a changed field updates the one row with one audit-log
row per write; repeated withdrawals are no-ops and re-filing restores the filing. A unified
number that clashes with the natural key is a conflict.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from jiapei.accounts.models import User
from jiapei.core.actors import Actor
from jiapei.core.errors import ErrorCode
from jiapei.registry import services
from jiapei.registry.models import (
    AreaStatus,
    Device,
    FeeStandard,
    FilingStatus,
    Institution,
    Personnel,
    Student,
    TeachingArea,
    TrainingCar,
)
from jiapei.registry.tests.helpers import audit_rows, call, refused, stored
from jiapei.testing import factories as f

pytestmark = pytest.mark.usefixtures("fast_passwords")


# kind: (wire number field, model, model attribute holding the number)
NUMBERED: dict[str, tuple[str, Any, str]] = {
    "institution": ("inscode", Institution, "inscode"),
    "coach": ("coachnum", Personnel, "number"),
    "trainingcar": ("carnum", TrainingCar, "carnum"),
    "device": ("devnum", Device, "devnum"),
    "student": ("stunum", Student, "stunum"),
}


def without_updated_at(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "updated_at"} for row in rows]


# --- re-filing the same record ------------------------------------------------------------


@pytest.mark.parametrize("kind", list(NUMBERED))
def test_refiling_the_same_record_returns_the_same_number(tp, build, kind, db):
    number_field, model, _attr = NUMBERED[kind]
    payload = build(kind)
    first = tp.post(kind, payload)
    assert first["created"] is True
    number = first[number_field]
    assert len(number) == 16
    before = stored()

    again = tp.post(kind, payload)
    with_number = tp.post(kind, {**payload, number_field: number})

    assert again == with_number == {number_field: number, "created": False}
    after = stored()
    # No new row anywhere (IssuedNumber included: no new national number was requested) …
    for name in after.keys() - {"AuditLogEntry"}:
        assert len(after[name]) == len(before[name]), name
    # … and the filed row itself is as it was.
    name = model.__name__
    assert without_updated_at(after[name]) == without_updated_at(before[name])


@pytest.mark.parametrize(
    ("kind", "field", "old_to_new"),
    [
        ("institution", "address", ("新地址1号", "新地址2号")),
        ("coach", "mobile", ("13911112222", "13933334444")),
        ("trainingcar", "brand", ("捷达", "朗逸")),
        ("device", "model", ("JP-T2", "JP-T3")),
        ("student", "phone", ("13711112222", "13733334444")),
    ],
)
def test_refiling_with_a_changed_field_updates_the_one_row(tp, build, kind, field, old_to_new, db):
    number_field, model, attr = NUMBERED[kind]
    payload = build(kind)
    number = tp.post(kind, payload)[number_field]
    row = model.objects.get(**{attr: number})
    assert [e.action for e in audit_rows(row)] == [f"{kind}.file.create"]
    rows = model.objects.count()

    for n, new in enumerate(old_to_new):
        # The first change without the unified number (found by natural key), then with it.
        changed = (
            {**payload, field: new} if n == 0 else {**payload, field: new, number_field: number}
        )
        assert tp.post(kind, changed) == {number_field: number, "created": False}
        row.refresh_from_db()
        assert getattr(row, field) == new
        entries = list(audit_rows(row))
        assert len(entries) == 2 + n, "one audit row per write"
        assert entries[-1].action == f"{kind}.file.update"
        assert entries[-1].after[field] == new
        assert entries[-1].before[field] == (payload[field] if n == 0 else old_to_new[0])
    assert model.objects.count() == rows


def test_refiling_an_institution_by_inscode_may_change_its_licence_number(tp, db):
    payload = f.InstitutionPayload()
    inscode = tp.post("institution", payload)["inscode"]
    renamed = {**payload, "inscode": inscode, "licnum": "湘交运管许可长字999999号"}
    assert tp.post("institution", renamed) == {"inscode": inscode, "created": False}
    assert Institution.objects.get().licnum == "湘交运管许可长字999999号"


def test_a_coach_moving_to_another_school_of_the_same_platform_keeps_the_number(tp, school, db):
    other = tp.post("institution", f.InstitutionPayload())["inscode"]
    row = Personnel.objects.get(number=school.coachnum)
    payload = f.payload(f.CoachPayload, inscode=other, idcard=row.idcard, photo=school.photo)
    assert tp.post("coach", payload) == {"coachnum": school.coachnum, "created": False}
    assert Personnel.objects.get().institution.inscode == other


# --- teaching areas and fee standards -----------------------------------------------------


def test_refiling_an_area_finds_it_by_seq(tp, school, db):
    payload = f.payload(f.AreaPayload, inscode=school.inscode, seq="7")
    first = tp.post("region", payload)
    assert first == {"inscode": school.inscode, "seq": "0007", "status": "pending", "created": True}
    row = TeachingArea.objects.get()
    for seq in ("7", "07", "0007"):
        again = tp.post("region", {**payload, "seq": seq})
        assert again == {**first, "created": False}
    assert TeachingArea.objects.count() == 1
    assert audit_rows(row).count() == 4


@pytest.fixture
def approved_area(tp, school, changsha_regulator: User) -> dict[str, Any]:
    payload = f.payload(f.AreaPayload, inscode=school.inscode, seq="1")
    tp.post("region", payload)
    row = TeachingArea.objects.get()
    services.review_area(actor=Actor.for_user(changsha_regulator), area_id=row.pk, approve=True)
    assert tp.post("regionreview/get", {"inscode": school.inscode, "seq": "1"})["flag"] == 1
    return payload


def test_refiling_an_approved_area_unchanged_keeps_it_approved(tp, approved_area, db):
    filed = tp.post("region", approved_area)
    assert (filed["status"], filed["created"]) == ("approved", False)
    assert TeachingArea.objects.get().status == AreaStatus.APPROVED


def test_renaming_an_approved_area_keeps_it_approved(tp, approved_area, db):
    filed = tp.post("region", {**approved_area, "name": "新名称训练场", "curvehnum": 9})
    assert filed["status"] == "approved"
    row = TeachingArea.objects.get()
    assert (row.name, row.curvehnum) == ("新名称训练场", 9)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("polygon", "112.90,28.20;112.92,28.20;112.92,28.22;112.90,28.22"),
        ("vehicletype", "C1,C2"),
        ("type", "2"),
    ],
)
def test_changing_what_was_reviewed_sends_an_area_back_for_review(
    tp, approved_area, field, value, db
):
    filed = tp.post("region", {**approved_area, field: value})
    assert (filed["status"], filed["created"]) == ("pending", False)
    row = TeachingArea.objects.get()
    assert (row.status, row.reviewed_by, row.reviewed_at) == (AreaStatus.PENDING, None, None)


def test_withdrawing_an_area_twice_and_refiling_it(tp, approved_area, db):
    key = {"inscode": approved_area["inscode"], "seq": approved_area["seq"]}
    row = TeachingArea.objects.get()
    entries = audit_rows(row).count()
    assert tp.post("region/delete", key)["status"] == "deleted"
    assert tp.post("region/delete", key)["status"] == "deleted"
    assert audit_rows(row).count() == entries + 1
    refiled = tp.post("region", approved_area)
    assert (refiled["status"], refiled["created"]) == ("pending", False)
    assert TeachingArea.objects.count() == 1


def test_refiling_a_fee_standard_finds_it_by_seq(tp, school, db):
    payload = f.payload(f.FeePayload, inscode=school.inscode, seq="3")
    first = tp.post("charstandard", payload)
    assert first == {"inscode": school.inscode, "seq": "3", "created": True}
    assert tp.post("charstandard", payload) == {**first, "created": False}
    assert tp.post("charstandard", {**payload, "price": "5200"}) == {**first, "created": False}
    row = FeeStandard.objects.get()
    assert str(row.price) == "5200.00"
    entries = list(audit_rows(row))
    assert [e.action for e in entries][-1] == "charstandard.file.update"
    assert Decimal(entries[-1].after["price"]) == Decimal("5200")


def test_withdrawing_a_fee_standard_twice_and_refiling_it(tp, school, db):
    payload = f.payload(f.FeePayload, inscode=school.inscode, seq="3")
    tp.post("charstandard", payload)
    row = FeeStandard.objects.get()
    key = {"inscode": school.inscode, "seq": "3"}
    assert tp.post("charstandard/delete", key)["status"] == FilingStatus.DELETED
    assert tp.post("charstandard/delete", key)["status"] == FilingStatus.DELETED
    assert [e.action for e in audit_rows(row)] == [
        "charstandard.file.create",
        "charstandard.delete",
    ]
    assert tp.post("charstandard", payload)["created"] is False
    row.refresh_from_db()
    assert row.filing_status == FilingStatus.ACTIVE


# --- withdrawal (注销) and re-filing ------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "number_field", "model", "attr"),
    [
        ("coach", "coachnum", Personnel, "number"),
        ("trainingcar", "carnum", TrainingCar, "carnum"),
        ("device", "devnum", Device, "devnum"),
    ],
)
def test_withdrawing_twice_then_refiling_restores_the_filing(
    tp, build, kind, number_field, model, attr, db
):
    payload = build(kind)
    number = tp.post(kind, payload)[number_field]
    row = model.objects.get(**{attr: number})
    rows = model.objects.count()
    key = {number_field: number}

    assert tp.post(f"{kind}/delete", key) == {number_field: number, "filingstatus": "deleted"}
    entries = audit_rows(row).count()
    assert tp.post(f"{kind}/delete", key) == {number_field: number, "filingstatus": "deleted"}
    assert audit_rows(row).count() == entries  # the second withdrawal wrote nothing

    assert tp.post(kind, payload) == {number_field: number, "created": False}
    row.refresh_from_db()
    assert row.filing_status == FilingStatus.ACTIVE
    assert model.objects.count() == rows
    assert tp.post(f"{kind}/get", key)["filingstatus"] == "active"


# --- unified numbers that clash with the natural key --------------------------------------


def test_a_student_filed_again_for_the_same_class_under_another_students_number_conflicts(
    tp, school, student_photo, db
):
    first = Student.objects.get(stunum=school.stunum)
    second = tp.post("student", f.StudentPayload(inscode=school.inscode, photo=student_photo))
    payload = f.payload(
        f.StudentPayload,
        inscode=school.inscode,
        photo=student_photo,
        idcard=first.idcard,
        stunum=second["stunum"],
    )
    refused(
        tp,
        "student",
        payload,
        field="idcard",
        value=first.idcard,
        status=409,
        code=ErrorCode.CONFLICT,
    )


def test_a_student_filed_again_for_the_same_class_under_a_new_number_conflicts(
    tp, school, student_photo, db
):
    first = Student.objects.get(stunum=school.stunum)
    payload = f.payload(
        f.StudentPayload,
        inscode=school.inscode,
        photo=student_photo,
        idcard=first.idcard,
        stunum="4300500000000001",
    )
    before = stored()
    status, envelope = call(tp, "student", payload)
    assert (status, envelope["errorcode"]) == (409, ErrorCode.CONFLICT), envelope
    assert first.idcard in envelope["message"] or school.stunum in envelope["message"]
    assert stored() == before


@pytest.mark.parametrize(
    ("kind", "natural_key"),
    [
        ("institution", "licnum"),
        ("coach", "idcard"),
        ("trainingcar", "licnum"),
        ("device", "sn"),
    ],
)
def test_refiling_under_a_new_unified_number_conflicts(tp, build, kind, natural_key, db):
    number_field, _model, _attr = NUMBERED[kind]
    payload = build(kind)
    tp.post(kind, payload)
    before = stored()
    status, envelope = call(tp, kind, {**payload, number_field: "4300990000000001"})
    assert (status, envelope["errorcode"]) == (409, ErrorCode.CONFLICT), envelope
    assert f"{natural_key}=" in envelope["message"]
    assert stored() == before


def test_the_same_student_may_enrol_for_another_class(tp, school, student_photo, db):
    first = Student.objects.get(stunum=school.stunum)
    payload = f.payload(
        f.StudentPayload,
        inscode=school.inscode,
        photo=student_photo,
        idcard=first.idcard,
        traintype="C2",
    )
    second = tp.post("student", payload)
    assert second["created"] is True and second["stunum"] != school.stunum
    assert Student.objects.filter(idcard=first.idcard).count() == 2


def test_refiling_a_student_at_another_school_requires_a_transfer(tp, school, student_photo, db):
    first = Student.objects.get(stunum=school.stunum)
    other = tp.post("institution", f.InstitutionPayload())["inscode"]
    payload = f.payload(f.StudentPayload, inscode=other, photo=student_photo, idcard=first.idcard)
    envelope = refused(
        tp,
        "student",
        payload,
        field="stunum",
        value=school.stunum,
        status=409,
        code=ErrorCode.CONFLICT,
    )
    assert school.stunum in envelope["message"] and "transfer" in envelope["message"]
    assert Student.objects.get(stunum=school.stunum).institution.inscode == school.inscode
