"""Validation of filings through the signed interface.

Every refusal must be an HTTP 4xx envelope with a non-zero errorcode whose message and
``data.errors`` name the offending field and value, and it must store nothing: no filed row, no
binding, no upload, no audit-log row and no national number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.utils import timezone

from jiapei.core.errors import ErrorCode
from jiapei.core.models import AuditLogEntry
from jiapei.integrations.national.models import IssuedNumber
from jiapei.registry.models import (
    Device,
    DeviceBinding,
    FeeStandard,
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
from jiapei.testing.fixtures import wsgi_client

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

BOW_TIE = "112.90,28.20;112.91,28.21;112.91,28.20;112.90,28.21"
SQUARE = "112.90,28.20;112.91,28.20;112.91,28.21;112.90,28.21"
SQUARE_RING = [[112.90, 28.20], [112.91, 28.20], [112.91, 28.21], [112.90, 28.21], [112.90, 28.20]]


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # The platform fixture creates a regulator account; PBKDF2 would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def stored() -> dict[str, list[dict[str, Any]]]:
    """Every row that a filing could write, so a refusal can be shown to have written none."""
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
    status: int = 400,
    code: int = ErrorCode.VALIDATION,
) -> dict[str, Any]:
    """POST ``payload`` and check it is refused naming ``field``=``value`` with nothing stored."""
    before = stored()
    got_status, envelope = call(client, resource, payload)
    assert (got_status, envelope["errorcode"]) == (status, code), envelope
    errors = (envelope.get("data") or {}).get("errors") or []
    named = [e for e in errors if e["field"] == field]
    assert named, f"no error names {field!r}: {envelope}"
    assert any(e["value"] == value for e in named), f"{field} error lacks {value!r}: {envelope}"
    assert f"{field}={value!r}" in envelope["message"], envelope["message"]
    assert stored() == before, "a refused request stored something"
    return envelope


def errors_by_field(envelope: dict[str, Any]) -> dict[str, Any]:
    return {e["field"]: e["value"] for e in envelope["data"]["errors"]}


def gb11643(first17: str) -> str:
    """``first17`` completed with its GB 11643 check character (independent of the product)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def id_ending_in_x(prefix: str = "43010419880512") -> str:
    """A valid ID number (14-character ``prefix`` + sequence) whose check character is X."""
    numbers = (gb11643(f"{prefix}{n:03d}") for n in range(1000))
    return next(number for number in numbers if number.endswith("X"))


def wire(day: Any) -> str:
    return day.strftime("%Y%m%d")


def tomorrow() -> str:
    return wire(timezone.localdate() + timedelta(days=1))


@dataclass
class FiledSchool:
    """An institution (busiscope C1,C2) and a coach portrait, filed through the interface."""

    inscode: str
    photo: str


@pytest.fixture
def ins(tp: TimingPlatformClient) -> FiledSchool:
    inscode = tp.post("institution", f.InstitutionPayload())["inscode"]
    return FiledSchool(inscode, tp.upload("coachimg", portrait(1)))


@pytest.fixture
def student_photo(tp: TimingPlatformClient) -> str:
    return tp.upload("stuimg", portrait(777))


# Payload builders for a school: ``School`` (all filed) or ``FiledSchool`` (institution + photo).


def coach(school: Any, **overrides: Any) -> dict[str, Any]:
    fields = {"inscode": school.inscode, "photo": school.photo, **overrides}
    return f.payload(f.CoachPayload, **fields)


def student(school: Any, photo: str, **overrides: Any) -> dict[str, Any]:
    return f.payload(f.StudentPayload, inscode=school.inscode, photo=photo, **overrides)


def car(school: Any, **overrides: Any) -> dict[str, Any]:
    return f.payload(f.TrainingCarPayload, inscode=school.inscode, **overrides)


def area(school: Any, **overrides: Any) -> dict[str, Any]:
    return f.payload(f.AreaPayload, inscode=school.inscode, **overrides)


@pytest.fixture
def raw_post(tp: TimingPlatformClient) -> Iterator[Callable[[str, bytes], httpx.Response]]:
    """POST arbitrary body bytes, correctly signed, to a resource."""
    from django.core.wsgi import get_wsgi_application

    http = httpx.Client(
        base_url="http://testserver", transport=httpx.WSGITransport(app=get_wsgi_application())
    )

    def post(resource: str, body: bytes) -> httpx.Response:
        query = tp.signer.query(body)
        return http.post(
            f"/{resource}?{query}", content=body, headers={"Content-Type": "application/json"}
        )

    yield post
    http.close()


# --- ID numbers ---------------------------------------------------------------------------


def test_coach_idcard_with_a_wrong_check_digit_is_refused(tp, ins, db):
    good = gb11643("43010419850607123")
    bad = good[:17] + ("1" if good[17] == "0" else "0")
    envelope = refused(tp, "coach", coach(ins, idcard=bad), field="idcard", value=bad)
    assert f"应为 {good[17]}" in envelope["message"]


def test_student_idcard_with_a_wrong_check_digit_is_refused(tp, ins, student_photo, db):
    good = gb11643("43010420010203456")
    bad = good[:17] + ("1" if good[17] == "0" else "0")
    refused(tp, "student", student(ins, student_photo, idcard=bad), field="idcard", value=bad)


@pytest.mark.parametrize(
    "idcard",
    ["43010419850607123", "4301041985060712345", "430104850607123"],
    ids=["17-chars", "19-chars", "15-chars"],
)
def test_idcard_of_the_wrong_length_is_refused(tp, ins, idcard, db):
    refused(tp, "coach", coach(ins, idcard=idcard), field="idcard", value=idcard)


@pytest.mark.parametrize("birth", ["19850230", "19851301", "18990101"])
def test_idcard_with_an_impossible_birth_date_is_refused(tp, ins, birth, db):
    idcard = gb11643(f"430104{birth}123")
    envelope = refused(tp, "coach", coach(ins, idcard=idcard), field="idcard", value=idcard)
    assert "出生日期" in envelope["message"]


def test_idcard_born_after_today_is_refused(tp, ins, student_photo, db):
    idcard = gb11643(f"430104{tomorrow()}123")
    payload = student(ins, student_photo, idcard=idcard)
    refused(tp, "student", payload, field="idcard", value=idcard)


def test_lower_case_x_is_accepted_and_stored_upper_case(tp, ins, db):
    idcard = id_ending_in_x()
    filed = tp.post("coach", coach(ins, idcard=idcard.lower()))
    row = Personnel.objects.get(number=filed["coachnum"])
    assert row.idcard == idcard
    # The normalised number is the natural key: the upper-case spelling is the same coach.
    again = tp.post("coach", coach(ins, idcard=idcard, name=row.name))
    assert again == {"coachnum": filed["coachnum"], "created": False}
    assert Personnel.objects.filter(idcard__iexact=idcard).count() == 1


def test_student_lower_case_x_is_the_same_enrolment(tp, ins, student_photo, db):
    idcard = id_ending_in_x("43010420000101")
    first = tp.post("student", student(ins, student_photo, idcard=idcard.lower()))
    again = tp.post("student", student(ins, student_photo, idcard=idcard))
    assert again == {"stunum": first["stunum"], "created": False}
    assert Student.objects.get(stunum=first["stunum"]).idcard == idcard


def test_non_resident_card_types_are_not_checked_as_gb11643(tp, ins, student_photo, db):
    filed = tp.post("student", student(ins, student_photo, cardtype="2", idcard="E12345678"))
    assert Student.objects.get(stunum=filed["stunum"]).idcard == "E12345678"


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


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize("hiredate", ["2019/03/01", "20190230", "01-03-2019", "yesterday"])
def test_coach_hiredate_in_a_bad_format_is_refused(tp, ins, hiredate, db):
    envelope = refused(tp, "coach", coach(ins, hiredate=hiredate), field="hiredate", value=hiredate)
    assert "yyyyMMdd" in envelope["message"]


def test_dashed_dates_are_accepted(tp, ins, db):
    filed = tp.post("coach", coach(ins, hiredate="2019-03-01"))
    assert Personnel.objects.get(number=filed["coachnum"]).hiredate.isoformat() == "2019-03-01"


def test_institution_licetime_in_a_bad_format_is_refused(tp, db):
    payload = f.payload(f.InstitutionPayload, licetime="2018.03.15")
    refused(tp, "institution", payload, field="licetime", value="2018.03.15")


def test_leavedate_before_hiredate_is_refused(tp, ins, db):
    payload = coach(ins, hiredate="20190301", leavedate="20190228", employstatus="1")
    refused(tp, "coach", payload, field="leavedate", value="20190228")


def test_leavedate_on_the_hiredate_is_accepted(tp, ins, db):
    payload = coach(ins, hiredate="20190301", leavedate="20190301", employstatus="1")
    filed = tp.post("coach", payload)
    assert Personnel.objects.get(number=filed["coachnum"]).leavedate.isoformat() == "2019-03-01"


def test_first_licence_date_in_the_future_is_refused(tp, ins, db):
    day = tomorrow()
    refused(tp, "coach", coach(ins, fstdrilicdate=day), field="fstdrilicdate", value=day)


def test_first_licence_date_before_birth_is_refused(tp, ins, db):
    idcard = gb11643("43010419900101123")
    payload = coach(ins, idcard=idcard, fstdrilicdate="19891231")
    refused(tp, "coach", payload, field="fstdrilicdate", value="19891231")


def test_hiredate_before_birth_is_refused(tp, ins, db):
    idcard = gb11643("43010419900101123")
    payload = coach(ins, idcard=idcard, fstdrilicdate="20100101", hiredate="19891231")
    refused(tp, "coach", payload, field="hiredate", value="19891231")


def test_applydate_in_the_future_is_refused(tp, ins, student_photo, db):
    day = tomorrow()
    payload = student(ins, student_photo, applydate=day)
    refused(tp, "student", payload, field="applydate", value=day)


def test_applydate_today_is_accepted(tp, ins, student_photo, db):
    today = wire(timezone.localdate())
    filed = tp.post("student", student(ins, student_photo, applydate=today))
    assert wire(Student.objects.get(stunum=filed["stunum"]).applydate) == today


def test_institution_licetime_in_the_future_is_refused(tp, db):
    day = tomorrow()
    refused(
        tp,
        "institution",
        f.payload(f.InstitutionPayload, licetime=day),
        field="licetime",
        value=day,
    )


def test_car_buydate_in_the_future_is_refused(tp, ins, db):
    day = tomorrow()
    refused(tp, "trainingcar", car(ins, buydate=day), field="buydate", value=day)


# --- teaching-area polygons ---------------------------------------------------------------


def test_self_intersecting_polygon_is_refused(tp, ins, db):
    envelope = refused(tp, "region", area(ins, polygon=BOW_TIE), field="polygon", value=BOW_TIE)
    assert "自相交" in envelope["message"]
    assert "self-intersect" in envelope["message"].lower()


@pytest.mark.parametrize(
    "polygon",
    [
        "112.90,28.20;112.91,28.20",
        "112.90,28.20;112.91,28.20;112.90,28.20",
        [[112.90, 28.20], [112.91, 28.20]],
    ],
    ids=["two-vertices", "two-vertices-closed", "json-two-vertices"],
)
def test_polygon_with_fewer_than_three_vertices_is_refused(tp, ins, polygon, db):
    refused(tp, "region", area(ins, polygon=polygon), field="polygon", value=polygon)


def test_polygon_with_a_vertex_outside_hunan_is_refused(tp, ins, db):
    polygon = "112.90,28.20;112.91,28.20;116.4,39.9"  # the last vertex is in Beijing
    envelope = refused(tp, "region", area(ins, polygon=polygon), field="polygon", value=polygon)
    assert "116.4,39.9" in envelope["message"]


def test_polygon_entirely_outside_hunan_is_refused(tp, ins, db):
    polygon = "116.40,39.90;116.41,39.90;116.41,39.91;116.40,39.91"
    refused(tp, "region", area(ins, polygon=polygon), field="polygon", value=polygon)


@pytest.mark.parametrize("polygon", ["112.9 28.2;112.91 28.2;112.91 28.21", "abc", "1,2,3;4,5,6"])
def test_malformed_polygon_is_refused(tp, ins, polygon, db):
    refused(tp, "region", area(ins, polygon=polygon), field="polygon", value=polygon)


@pytest.mark.parametrize(
    "polygon",
    [
        SQUARE,
        SQUARE + ";112.90,28.20",
        [[112.90, 28.20], [112.91, 28.20], [112.91, 28.21], [112.90, 28.21]],
        SQUARE_RING,
    ],
    ids=["unclosed", "closed", "json-unclosed", "json-closed"],
)
def test_closed_unclosed_and_json_polygons_are_stored_closed(tp, ins, polygon, db):
    filed = tp.post("region", area(ins, seq="7", polygon=polygon))
    assert (filed["seq"], filed["status"], filed["created"]) == ("0007", "pending", True)
    assert TeachingArea.objects.get(institution__inscode=ins.inscode).polygon == SQUARE_RING


def test_gcj02_polygon_is_stored_in_wgs84(tp, ins, db):
    tp.post("region", area(ins, seq="8", polygon=SQUARE, coordtype="GCJ02"))
    ring = TeachingArea.objects.get(seq="0008").polygon
    assert len(ring) == 5 and ring[0] == ring[-1]
    # GCJ-02 is offset from WGS-84 by a few hundred metres around Changsha.
    for (lng, lat), (glng, glat) in zip(ring, SQUARE_RING, strict=True):
        assert 0.001 < abs(lng - glng) + abs(lat - glat) < 0.02


def test_unknown_coordtype_is_refused(tp, ins, db):
    refused(tp, "region", area(ins, coordtype="BD09"), field="coordtype", value="BD09")


@pytest.mark.parametrize("seq", ["12345", "A1", "-1"])
def test_area_seq_must_be_up_to_four_digits(tp, ins, seq, db):
    refused(tp, "region", area(ins, seq=seq), field="seq", value=seq)


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


@pytest.fixture
def other_tp(make_platform, other_platform_key) -> Iterator[TimingPlatformClient]:
    make_platform(other_platform_key, platnum="A0042", serial="ABCDEF01")
    client = wsgi_client(Signer(other_platform_key, "ABCDEF01"))
    yield client
    client.close()


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


# --- institutions -------------------------------------------------------------------------


@pytest.mark.parametrize("district", ["110101", "430000", "439999", "abc"])
def test_institution_district_must_be_a_city_or_county_of_the_province(tp, district, db):
    payload = f.payload(f.InstitutionPayload, district=district)
    refused(tp, "institution", payload, field="district", value=district)


@pytest.mark.parametrize(
    ("field", "value"),
    [("level", "4"), ("coachnumber", "-1"), ("tracarnum", "many"), ("praticefield", "big")],
)
def test_institution_numbers_and_codes_are_checked(tp, field, value, db):
    payload = f.payload(f.InstitutionPayload, **{field: value})
    refused(tp, "institution", payload, field=field, value=value)


# --- several bad fields at once -----------------------------------------------------------


def test_every_bad_coach_field_is_reported_at_once(tp, ins, db):
    bad_id = gb11643("43010419850607123")[:17] + "Y"
    payload = coach(
        ins,
        idcard=bad_id,
        mobile="12345",
        sex="M",
        teachpermitted="C9",
        hiredate="2019-02-30",
        photo="999999",
        occupationlevel="7",
    )
    envelope = refused(tp, "coach", payload, field="idcard", value=bad_id)
    assert errors_by_field(envelope) == {
        "idcard": bad_id,
        "mobile": "12345",
        "sex": "M",
        "teachpermitted": "C9",
        "hiredate": "2019-02-30",
        "photo": "999999",
        "occupationlevel": "7",
    }
    for field, value in errors_by_field(envelope).items():
        assert f"{field}={value!r}" in envelope["message"]


def test_every_bad_institution_field_is_reported_at_once(tp, db):
    payload = f.payload(
        f.InstitutionPayload,
        district="110101",
        busiscope="Z1",
        level="9",
        licetime="2018-13-01",
        coachnumber="-3",
    )
    envelope = refused(tp, "institution", payload, field="busiscope", value="Z1")
    assert errors_by_field(envelope) == {
        "district": "110101",
        "busiscope": "Z1",
        "level": "9",
        "licetime": "2018-13-01",
        "coachnumber": "-3",
    }


def test_every_bad_student_field_is_reported_at_once(tp, ins, db):
    bad_id = "4301042000010112"  # 16 characters
    payload = f.payload(
        f.StudentPayload,
        inscode=ins.inscode,
        idcard=bad_id,
        phone="110",
        photo="31337",
        traintype="A1",
        applydate=tomorrow(),
        busitype="5",
    )
    envelope = refused(tp, "student", payload, field="phone", value="110")
    assert set(errors_by_field(envelope)) == {
        "idcard",
        "phone",
        "photo",
        "traintype",
        "applydate",
        "busitype",
    }


def test_bad_refiling_leaves_the_filed_record_unchanged(tp, school, db):
    """A refused re-filing of an existing coach must not half-apply the good fields."""
    row = Personnel.objects.get(number=school.coachnum)
    payload = coach(
        school,
        coachnum=school.coachnum,
        idcard=row.idcard,
        name="改名",
        mobile="13999999999",
        hiredate="bad",
    )
    refused(tp, "coach", payload, field="hiredate", value="bad")
    assert Personnel.objects.get(number=school.coachnum).name == row.name
