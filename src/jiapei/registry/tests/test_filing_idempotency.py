"""Idempotency of the signed filing interface.

Timing platforms retry: filing the same record again (with or without its unified number) must
return the same number and add no rows; a changed field updates the one row with one audit-log
row per write; repeated binds, unbinds, uploads, withdrawals and transfers are no-ops. Records
of one timing platform are out of reach of another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from jiapei.accounts.models import User
from jiapei.core.actors import Actor
from jiapei.core.errors import ErrorCode
from jiapei.core.models import AuditLogEntry
from jiapei.integrations.national.models import IssuedNumber
from jiapei.registry import services
from jiapei.registry.models import (
    AreaStatus,
    Device,
    DeviceBinding,
    FeeStandard,
    FilingStatus,
    Institution,
    Personnel,
    Student,
    StudentTransfer,
    TeachingArea,
    TrainingCar,
    UploadedFile,
)
from jiapei.signing import Signer
from jiapei.sim.client import TimingPlatformClient
from jiapei.sim.images import portrait
from jiapei.testing import factories as f
from jiapei.testing.fixtures import School, wsgi_client

STORED = (
    Institution,
    Personnel,
    TrainingCar,
    Device,
    DeviceBinding,
    Student,
    StudentTransfer,
    TeachingArea,
    FeeStandard,
    UploadedFile,
    AuditLogEntry,
    IssuedNumber,
)

# kind: (wire number field, model, model attribute holding the number)
NUMBERED: dict[str, tuple[str, Any, str]] = {
    "institution": ("inscode", Institution, "inscode"),
    "coach": ("coachnum", Personnel, "number"),
    "trainingcar": ("carnum", TrainingCar, "carnum"),
    "device": ("devnum", Device, "devnum"),
    "student": ("stunum", Student, "stunum"),
}

OTHER_SERIAL = "ABCDEF01"


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # The platform fixture creates a regulator account; PBKDF2 would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def stored() -> dict[str, list[dict[str, Any]]]:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in STORED}


def call(client: TimingPlatformClient, resource: str, payload: Any) -> tuple[int, dict[str, Any]]:
    try:
        return client.call(resource, payload)
    except ValueError:  # the reply is not JSON: an unhandled exception became an HTML 500
        pytest.fail(f"POST /{resource}: the reply is not an envelope (unhandled server error)")


def refused(
    client: TimingPlatformClient,
    resource: str,
    payload: Any,
    *,
    field: str,
    value: Any,
    status: int,
    code: int,
    message_names_field: bool = True,
) -> dict[str, Any]:
    """POST ``payload`` and check it is refused naming ``field``=``value`` with nothing stored."""
    before = stored()
    got_status, envelope = call(client, resource, payload)
    assert (got_status, envelope["errorcode"]) == (status, code), envelope
    errors = (envelope.get("data") or {}).get("errors") or []
    assert any(e["field"] == field and e["value"] == value for e in errors), envelope
    if message_names_field:
        assert f"{field}={value!r}" in envelope["message"], envelope["message"]
    assert stored() == before, "a refused request stored something"
    return envelope


def audit_rows(row: Any) -> Any:
    return AuditLogEntry.objects.filter(
        object_type=row._meta.label_lower, object_id=str(row.pk)
    ).order_by("id")


def without_updated_at(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "updated_at"} for row in rows]


@pytest.fixture
def student_photo(tp: TimingPlatformClient) -> str:
    return tp.upload("stuimg", portrait(888))


@pytest.fixture
def build(school: School, student_photo: str) -> Callable[[str], dict[str, Any]]:
    """A new, valid payload of ``kind`` for the school's institution."""

    def make(kind: str) -> dict[str, Any]:
        if kind == "institution":
            return f.payload(f.InstitutionPayload)
        if kind == "coach":
            return f.payload(f.CoachPayload, inscode=school.inscode, photo=school.photo)
        if kind == "trainingcar":
            return f.payload(f.TrainingCarPayload, inscode=school.inscode)
        if kind == "device":
            return f.payload(f.DevicePayload, inscode=school.inscode)
        return f.payload(f.StudentPayload, inscode=school.inscode, photo=student_photo)

    return make


@pytest.fixture
def other_tp(make_platform: Callable[..., Any], other_platform_key: Any) -> Iterator[Any]:
    """A second timing platform's client, serving none of ``tp``'s institutions."""
    make_platform(other_platform_key, platnum="A0042", serial=OTHER_SERIAL)
    client = wsgi_client(Signer(other_platform_key, OTHER_SERIAL))
    yield client
    client.close()


@pytest.fixture
def other_school(other_tp: TimingPlatformClient) -> str:
    return other_tp.post("institution", f.InstitutionPayload(district="430202"))["inscode"]


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


# --- terminal bindings --------------------------------------------------------------------


def binding_key(school: School, sim: str = "1440000000001") -> dict[str, str]:
    return {"devnum": school.devnum, "carnum": school.carnum, "sim": sim}


def test_binding_the_same_pair_again_is_a_no_op(tp, school, db):
    before = stored()
    again = tp.post("devassign", binding_key(school))
    assert again == {"devnum": school.devnum, "carnum": school.carnum, "created": False}
    assert stored() == before


def test_binding_the_same_pair_with_a_new_sim_updates_the_sim(tp, school, db):
    binding = DeviceBinding.objects.get()
    entries = audit_rows(binding).count()
    assert tp.post("devassign", binding_key(school, sim="1440000000002"))["created"] is False
    binding.refresh_from_db()
    assert binding.sim == "1440000000002" and binding.unbound_at is None
    assert DeviceBinding.objects.count() == 1
    assert audit_rows(binding).count() == entries + 1


def test_binding_a_terminal_already_in_another_car_is_refused(tp, school, db):
    other_car = tp.post("trainingcar", f.TrainingCarPayload(inscode=school.inscode))["carnum"]
    payload = {"devnum": school.devnum, "carnum": other_car, "sim": "1440000000001"}
    envelope = refused(
        tp,
        "devassign",
        payload,
        field="devnum",
        value=school.devnum,
        status=409,
        code=ErrorCode.CONFLICT,
    )
    assert school.carnum in envelope["message"]
    assert DeviceBinding.objects.get().car.carnum == school.carnum


def test_binding_a_second_terminal_to_a_car_is_refused(tp, school, db):
    other_device = tp.post("device", f.DevicePayload(inscode=school.inscode))["devnum"]
    payload = {"devnum": other_device, "carnum": school.carnum, "sim": "1440000000009"}
    refused(
        tp,
        "devassign",
        payload,
        field="carnum",
        value=school.carnum,
        status=409,
        code=ErrorCode.CONFLICT,
    )


def test_unbinding_twice_is_fine_and_the_pair_can_be_bound_again(tp, school, db):
    binding = DeviceBinding.objects.get()
    first = tp.post("devrembinding", binding_key(school))
    assert first == {"devnum": school.devnum, "carnum": school.carnum, "unbound": True}
    before = stored()
    second = tp.post("devrembinding", binding_key(school))
    assert second == {**first, "unbound": False}
    assert stored() == before
    binding.refresh_from_db()
    assert binding.unbound_at is not None
    assert tp.post("devassign", binding_key(school))["created"] is True
    assert DeviceBinding.objects.count() == 2
    assert DeviceBinding.objects.filter(unbound_at__isnull=True).count() == 1


def test_withdrawing_a_car_frees_its_terminal(tp, school, db):
    tp.post("trainingcar/delete", {"carnum": school.carnum})
    other_car = tp.post("trainingcar", f.TrainingCarPayload(inscode=school.inscode))["carnum"]
    payload = {"devnum": school.devnum, "carnum": other_car, "sim": "1440000000001"}
    assert tp.post("devassign", payload)["created"] is True
    assert DeviceBinding.objects.get(unbound_at__isnull=True).car.carnum == other_car


# --- uploads ------------------------------------------------------------------------------


def test_uploading_the_same_bytes_twice_returns_the_same_id(tp, db):
    content = portrait(31)
    first = tp.upload("coachimg", content)
    before = stored()
    assert tp.upload("coachimg", content, filename="retry.jpg") == first
    assert stored() == before
    assert tp.upload("coachimg", portrait(32)) != first


def test_the_same_bytes_of_another_type_or_platform_are_another_file(tp, other_tp, db):
    content = portrait(33)
    mine = tp.upload("coachimg", content)
    assert tp.upload("stuimg", content) != mine
    assert other_tp.upload("coachimg", content) != mine
    assert UploadedFile.objects.count() == 3


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


# --- transfers ----------------------------------------------------------------------------


def test_transfer_to_the_current_school_is_a_no_op(tp, school, db):
    before = stored()
    moved = tp.post("transfer", {"inscode": school.inscode, "stunum": school.stunum})
    assert moved == {"stunum": school.stunum, "inscode": school.inscode, "moved": False}
    assert stored() == before


def test_a_retried_transfer_moves_the_student_once(tp, school, db):
    other = tp.post("institution", f.InstitutionPayload())["inscode"]
    request = {"inscode": other, "stunum": school.stunum}
    assert tp.post("transfer", request)["moved"] is True
    before = stored()
    assert tp.post("transfer", request) == {
        "stunum": school.stunum,
        "inscode": other,
        "moved": False,
    }
    assert stored() == before
    transfer = StudentTransfer.objects.get()
    assert (transfer.from_institution.inscode, transfer.to_institution.inscode) == (
        school.inscode,
        other,
    )


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


# --- another timing platform --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["coach", "trainingcar", "device", "student"])
def test_filing_for_a_school_served_by_another_platform_is_refused(
    tp, build, other_school, kind, db
):
    payload = {**build(kind), "inscode": other_school}
    refused(
        tp, kind, payload, field="inscode", value=other_school, status=403, code=ErrorCode.FORBIDDEN
    )


def test_area_and_fee_for_a_school_served_by_another_platform_are_refused(tp, other_school, db):
    for resource, factory in (("region", f.AreaPayload), ("charstandard", f.FeePayload)):
        payload = f.payload(factory, inscode=other_school)
        refused(
            tp,
            resource,
            payload,
            field="inscode",
            value=other_school,
            status=403,
            code=ErrorCode.FORBIDDEN,
        )


def test_another_platform_cannot_refile_an_institution(tp, other_tp, db):
    payload = f.InstitutionPayload()
    inscode = tp.post("institution", payload)["inscode"]
    for attempt in (payload, {**payload, "inscode": inscode}):
        refused(
            other_tp,
            "institution",
            attempt,
            field="inscode",
            value=inscode,
            status=409,
            code=ErrorCode.CONFLICT,
        )
    assert Institution.objects.get().platform.platnum == "A0041"


def test_a_coach_active_at_one_platform_cannot_be_filed_by_another(
    tp, other_tp, other_school, school, db
):
    idcard = Personnel.objects.get(number=school.coachnum).idcard
    photo = other_tp.upload("coachimg", portrait(51))
    payload = f.payload(f.CoachPayload, inscode=other_school, photo=photo, idcard=idcard)
    refused(
        other_tp,
        "coach",
        payload,
        field="idcard",
        value=idcard,
        status=409,
        code=ErrorCode.CONFLICT,
    )


def test_a_withdrawn_coach_may_be_filed_by_another_platform(tp, other_tp, other_school, school, db):
    idcard = Personnel.objects.get(number=school.coachnum).idcard
    tp.post("coach/delete", {"coachnum": school.coachnum})
    photo = other_tp.upload("coachimg", portrait(52))
    payload = f.payload(f.CoachPayload, inscode=other_school, photo=photo, idcard=idcard)
    assert other_tp.post("coach", payload) == {"coachnum": school.coachnum, "created": False}
    row = Personnel.objects.get()
    assert (row.institution.inscode, row.platform.platnum, row.filing_status) == (
        other_school,
        "A0042",
        FilingStatus.ACTIVE,
    )


def test_another_platform_cannot_withdraw_or_bind_my_records(tp, other_tp, school, db):
    refused(
        other_tp,
        "coach/delete",
        {"coachnum": school.coachnum},
        field="coachnum",
        value=school.coachnum,
        status=404,
        code=ErrorCode.NOT_FOUND,
    )
    refused(
        other_tp,
        "devrembinding",
        binding_key(school),
        field="devnum",
        value=school.devnum,
        status=404,
        code=ErrorCode.NOT_FOUND,
    )
    assert Personnel.objects.get().filing_status == FilingStatus.ACTIVE
    assert DeviceBinding.objects.get().unbound_at is None
