"""Validation of filings through the signed interface: ID numbers, dates, and several bad
fields reported at once.

Every refusal must be an HTTP 4xx envelope naming the offending field and value, and must
store nothing (see :func:`jiapei.registry.tests.helpers.refused`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from jiapei.core import clock
from jiapei.registry.models import Personnel, Student
from jiapei.registry.tests.helpers import (
    car,
    coach,
    errors_by_field,
    refused,
    student,
)
from jiapei.testing import factories as f

pytestmark = pytest.mark.usefixtures("fast_passwords")


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
    return wire(clock.today() + timedelta(days=1))


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
    today = wire(clock.today())
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
