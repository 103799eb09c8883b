"""Unit tests of the pure validators in :mod:`jiapei.core.wire` (no database).

Every rejection must be a :class:`FieldError` that names the field and carries the raw value, so
the interface can tell the timing platform exactly what to fix.
"""

from __future__ import annotations

import random
from datetime import date

import pytest

from jiapei.core import wire as v
from jiapei.core.errors import FieldError

# Hunan's bounding box in WGS-84 (min_lng, min_lat, max_lng, max_lat), about as shipped.
HUNAN_BBOX = (108.78, 24.63, 114.26, 30.13)
TODAY = date(2026, 11, 27)

# A square of about 1 km around Changsha, unclosed, in the terminals' "lng,lat;…" form.
SQUARE = "112.90,28.20;112.91,28.20;112.91,28.21;112.90,28.21"
SQUARE_RING = [[112.90, 28.20], [112.91, 28.20], [112.91, 28.21], [112.90, 28.21], [112.90, 28.20]]
# The same four corners visited in the wrong order: the edges cross at (112.905, 28.205).
BOW_TIE = "112.90,28.20;112.91,28.21;112.91,28.20;112.90,28.21"


def gb11643_check(first17: str) -> str:
    """Reference GB 11643-1999 check character, written independently of the product code."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
    remainder = sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11
    return "10X98765432"[remainder]


def make_id(first17: str) -> str:
    return first17 + gb11643_check(first17)


def rejected(call, *args, **kwargs) -> FieldError:  # type: ignore[no-untyped-def]
    with pytest.raises(FieldError) as info:
        call(*args, **kwargs)
    return info.value


def assert_names(error: FieldError, field: str, value: object) -> None:
    assert error.field == field
    assert error.value == value
    assert error.message.startswith(f"{field}={value!r}")


# --- ID numbers (GB 11643) -----------------------------------------------------------------


def test_reference_check_digit_agrees_with_the_published_examples() -> None:
    # The two worked examples printed in GB 11643-1999.
    assert make_id("11010519491231002") == "11010519491231002X"
    assert make_id("44052418800101001") == "440524188001010014"


def test_published_example_id_is_accepted() -> None:
    assert v.idcard("idcard", "11010519491231002X", today=TODAY) == "11010519491231002X"


def test_id_check_digit_matches_the_reference_for_many_numbers() -> None:
    rng = random.Random(11643)
    for _ in range(500):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        assert v.id_check_digit(first17) == gb11643_check(first17), first17


def test_lower_case_x_is_accepted_and_normalised_to_upper_case() -> None:
    assert v.idcard("idcard", "11010519491231002x", today=TODAY) == "11010519491231002X"


def test_surrounding_whitespace_is_stripped() -> None:
    number = make_id("43010419900101123")
    assert v.idcard("idcard", f"  {number} ", today=TODAY) == number


def test_wrong_check_digit_names_field_value_and_the_expected_digit() -> None:
    good = make_id("43010419900101123")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    error = rejected(v.idcard, "idcard", wrong, today=TODAY)
    assert_names(error, "idcard", wrong)
    assert f"应为 {good[17]}" in error.reason


def test_check_digit_x_where_a_digit_is_expected_is_rejected() -> None:
    good = make_id("43010419900101123")
    assert good[17] != "X"
    error = rejected(v.idcard, "idcard", good[:17] + "X", today=TODAY)
    assert_names(error, "idcard", good[:17] + "X")


@pytest.mark.parametrize(
    "number",
    [
        "43010419900101123",  # 17 characters
        "4301041990010112345",  # 19 characters
        "430104900101123",  # the old 15-digit form
        "",
        "43010419900101X234",  # X only allowed as the last character
        "4301041990O101123X",  # a letter O in the birth date
    ],
)
def test_wrong_length_or_characters_are_rejected(number: str) -> None:
    error = rejected(v.idcard, "idcard", number, today=TODAY)
    assert_names(error, "idcard", number)
    assert "18" in error.reason


@pytest.mark.parametrize(
    "birth",
    ["19990230", "20011301", "19900000", "18991231"],
    ids=["feb-30", "month-13", "day-0", "before-1900"],
)
def test_impossible_birth_date_is_rejected_even_with_a_correct_check_digit(birth: str) -> None:
    number = make_id(f"430104{birth}123")
    error = rejected(v.idcard, "idcard", number, today=TODAY)
    assert_names(error, "idcard", number)
    assert "出生日期" in error.reason


def test_birth_date_after_today_is_rejected() -> None:
    number = make_id("43010420261128123")
    error = rejected(v.idcard, "idcard", number, today=TODAY)
    assert_names(error, "idcard", number)
    assert v.idcard("idcard", make_id("43010420261127123"), today=TODAY).startswith("430104")


def test_birth_date_is_read_from_the_number() -> None:
    assert v.birth_date(make_id("43010419900315123")) == date(1990, 3, 15)


@pytest.mark.parametrize(
    "number",
    [
        "\u0664" + "30104199404291345",  # ARABIC-INDIC DIGIT FOUR in the region code
        "4301041994042913\uff145",  # FULLWIDTH DIGIT FOUR in the sequence number
    ],
    ids=["arabic-indic", "fullwidth"],
)
def test_non_ascii_digits_are_never_stored_as_an_id_number(number: str) -> None:
    # ``\d`` matches any Unicode digit; an ID number written with other digits must be refused
    # (or normalised to ASCII), or the same person could be filed twice under two spellings.
    assert v.idcard("idcard", "430104199404291345", today=TODAY) == "430104199404291345"
    try:
        result = v.idcard("idcard", number, today=TODAY)
    except FieldError as error:
        assert_names(error, "idcard", number)
        return
    assert result == "430104199404291345"


# --- licence classes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "classes"),
    [
        ("C1", ["C1"]),
        ("C1,C2", ["C1", "C2"]),
        ("C1C2", ["C1", "C2"]),
        ("C1、C2", ["C1", "C2"]),
        ("C1，C2", ["C1", "C2"]),
        ("C1;C2", ["C1", "C2"]),
        ("C1/C2", ["C1", "C2"]),
        ("C1 C2", ["C1", "C2"]),
        ("c1,c2", ["C1", "C2"]),
        (" C1 , C2 ", ["C1", "C2"]),
        ("A1A2B2", ["A1", "A2", "B2"]),
        ("C1,C1,C2", ["C1", "C2"]),
        ("DEF", ["D", "E", "F"]),
        ("C6", ["C6"]),
        ("C1,C6", ["C1", "C6"]),
    ],
)
def test_licence_class_lists_are_parsed(text: str, classes: list[str]) -> None:
    assert v.licence_classes("busiscope", text) == classes


def test_every_class_of_order_162_is_known() -> None:
    for cls in v.LICENCE_CLASSES:
        assert v.licence_classes("teachpermitted", cls) == [cls]
    assert {"C6", "M", "N", "P"} <= set(v.LICENCE_CLASSES)


@pytest.mark.parametrize(
    ("text", "token"),
    [("C9", "C9"), ("Z1", "Z1"), ("C1,Z1", "Z1"), ("C1C9", "C9"), ("C10", "C10"), ("X", "X")],
)
def test_unknown_licence_classes_are_rejected_naming_the_token(text: str, token: str) -> None:
    error = rejected(v.licence_classes, "teachpermitted", text)
    assert_names(error, "teachpermitted", text)
    assert repr(token) in error.reason


@pytest.mark.parametrize("text", ["C1+C2", "1C", "小型汽车", "C1-C2"])
def test_unparseable_class_text_is_rejected(text: str) -> None:
    error = rejected(v.licence_classes, "busiscope", text)
    assert_names(error, "busiscope", text)


def test_empty_class_list_is_rejected_unless_allowed() -> None:
    assert_names(rejected(v.licence_classes, "busiscope", " "), "busiscope", " ")
    assert v.licence_classes("perdritype", "", allow_empty=True) == []


def test_single_licence_class() -> None:
    assert v.licence_class("traintype", "c2") == "C2"
    assert v.licence_class("traintype", "C6") == "C6"
    error = rejected(v.licence_class, "traintype", "C1,C2")
    assert_names(error, "traintype", "C1,C2")
    assert_names(rejected(v.licence_class, "traintype", "C9"), "traintype", "C9")


def test_within_reports_the_classes_outside_the_allowed_list() -> None:
    v.within("teachpermitted", "C1,C2", ["C1", "C2"], ["C1", "C2", "C3"], "机构经营范围")
    error = rejected(
        v.within, "teachpermitted", "C1,A1", ["C1", "A1"], ["C1", "C2"], "机构经营范围"
    )
    assert_names(error, "teachpermitted", "C1,A1")
    assert error.reason.startswith("车型 A1 不在机构经营范围 C1,C2 内")
    empty = rejected(v.within, "traintype", "C1", ["C1"], [], "机构经营范围")
    assert "(空)" in empty.reason


# --- plates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("湘A1234学", "湘A1234学"),
        ("湘AD12345", "湘AD12345"),  # new-energy, small car
        ("湘AF12345", "湘AF12345"),  # new-energy, small car (plug-in)
        ("湘A12345D", "湘A12345D"),  # new-energy, large vehicle
        ("湘A12345", "湘A12345"),
        ("湘AB123C", "湘AB123C"),
        ("湘a1234学", "湘A1234学"),
        ("湘A·1234学", "湘A1234学"),
        (" 湘A 1234学 ", "湘A1234学"),
        ("粤B1967学", "粤B1967学"),
        ("湘A1234挂", "湘A1234挂"),
    ],
)
def test_valid_plates_are_accepted_and_normalised(text: str, normalised: str) -> None:
    assert v.plate("licnum", text) == normalised


@pytest.mark.parametrize(
    "text",
    [
        "湘A123学",  # too short
        "湘A1234",  # too short
        "湘A1234567",  # too long
        "湘I12345",  # I is never a city letter
        "湘AO1234",  # O is not used in the serial
        "XA12345",  # not a province abbreviation
        "港A12345",  # not a mainland province
        "湘A1234试",  # unknown suffix
        "湘1A2345",
        "",
    ],
)
def test_bad_plates_are_rejected(text: str) -> None:
    error = rejected(v.plate, "licnum", text)
    assert_names(error, "licnum", text)
    assert "车牌" in error.reason


# --- unified numbers, mobiles -------------------------------------------------------------


def test_unified_numbers() -> None:
    assert v.unified_number("coachnum", "4300209918386549") == "4300209918386549"
    assert v.unified_number("coachnum", " 43002099183865ab ") == "43002099183865AB"
    for bad in ["430020991838654", "43002099183865490", "4300-09918386549", "４３00209918386549"]:
        assert_names(rejected(v.unified_number, "coachnum", bad), "coachnum", bad)


def test_mobile_numbers() -> None:
    assert v.mobile("mobile", " 13800000000 ") == "13800000000"
    for bad in ["1380000000", "138000000000", "12800000000", "23800000000", "0731-8888888"]:
        assert_names(rejected(v.mobile, "mobile", bad), "mobile", bad)


def test_non_ascii_digits_are_never_stored_as_a_mobile_number() -> None:
    text = "13\uff1800000000"  # FULLWIDTH DIGIT EIGHT
    try:
        result = v.mobile("mobile", text)
    except FieldError as error:
        assert_names(error, "mobile", text)
        return
    assert result == "13800000000"


# --- dates --------------------------------------------------------------------------------


def test_wire_dates_in_both_forms() -> None:
    assert v.wire_date("hiredate", "20190301") == date(2019, 3, 1)
    assert v.wire_date("hiredate", "2019-03-01") == date(2019, 3, 1)
    assert v.wire_date("hiredate", " 20190301 ") == date(2019, 3, 1)


@pytest.mark.parametrize(
    "text", ["2019/03/01", "20190230", "20191301", "01032019", "abc", "2019-3-1x", ""]
)
def test_bad_wire_dates_are_rejected(text: str) -> None:
    error = rejected(v.wire_date, "hiredate", text)
    assert_names(error, "hiredate", text)
    assert "yyyyMMdd" in error.reason


@pytest.mark.parametrize("text", ["2019031", "2019111", "201931"])
def test_short_or_ambiguous_dates_are_rejected(text: str) -> None:
    # yyyyMMdd has exactly eight digits: "2019111" could be 2019-01-11 or 2019-11-01.
    error = rejected(v.wire_date, "hiredate", text)
    assert_names(error, "hiredate", text)


def test_not_after() -> None:
    v.not_after("applydate", TODAY, TODAY, "今天", "20261127")
    error = rejected(v.not_after, "applydate", date(2026, 11, 28), TODAY, "今天", "20261128")
    assert_names(error, "applydate", "20261128")
    assert "2026-11-27" in error.reason


# --- polygons -----------------------------------------------------------------------------


def test_polygon_is_returned_closed() -> None:
    assert v.polygon("polygon", SQUARE) == SQUARE_RING


def test_closed_and_unclosed_rings_give_the_same_polygon() -> None:
    closed = SQUARE + ";112.90,28.20"
    assert v.polygon("polygon", closed) == v.polygon("polygon", SQUARE) == SQUARE_RING


def test_json_list_form_gives_the_same_polygon() -> None:
    unclosed = [[112.90, 28.20], [112.91, 28.20], [112.91, 28.21], [112.90, 28.21]]
    assert v.polygon("polygon", unclosed) == SQUARE_RING
    assert v.polygon("polygon", SQUARE_RING) == SQUARE_RING
    as_text = [["112.90", "28.20"], ["112.91", "28.20"], ["112.91", "28.21"], ["112.90", "28.21"]]
    assert v.polygon("polygon", as_text) == SQUARE_RING


def test_full_width_separators_and_trailing_semicolon_are_accepted() -> None:
    assert v.polygon("polygon", SQUARE.replace(";", "；") + "；") == SQUARE_RING


def test_self_intersecting_bow_tie_is_rejected() -> None:
    error = rejected(v.polygon, "polygon", BOW_TIE, bbox=HUNAN_BBOX)
    assert_names(error, "polygon", BOW_TIE)
    assert "自相交" in error.reason and "self-intersect" in error.reason.lower()


@pytest.mark.parametrize(
    "text",
    [
        "112.90,28.20;112.91,28.20",
        "112.90,28.20",
        "112.90,28.20;112.91,28.20;112.90,28.20",
        "112.90,28.20;112.91,28.20;112.91,28.21;112.91,28.20",  # a repeated vertex
        "",
    ],
)
def test_fewer_than_three_distinct_vertices_are_rejected(text: str) -> None:
    error = rejected(v.polygon, "polygon", text)
    assert_names(error, "polygon", text)
    assert "3" in error.reason


def test_collinear_vertices_are_rejected() -> None:
    text = "112.90,28.20;112.91,28.20;112.92,28.20"
    assert_names(rejected(v.polygon, "polygon", text), "polygon", text)


@pytest.mark.parametrize(
    "text",
    [
        "112.90 28.20;112.91 28.20;112.91 28.21",
        "112.90;28.20;112.91;28.20",
        "a,b;c,d;e,f",
        "112.90,28.20,0;112.91,28.20,0;112.91,28.21,0",
    ],
)
def test_malformed_coordinates_are_rejected(text: str) -> None:
    error = rejected(v.polygon, "polygon", text)
    assert_names(error, "polygon", text)
    assert "lng,lat" in error.reason


@pytest.mark.parametrize("value", [[{"lng": 112.9, "lat": 28.2}] * 3, [[112.9]] * 3, [None] * 3])
def test_malformed_json_lists_are_rejected(value: list) -> None:
    assert rejected(v.polygon, "polygon", value).field == "polygon"


def test_vertex_outside_the_province_is_rejected_naming_it() -> None:
    text = "112.90,28.20;112.91,28.20;116.4,39.9"  # the last vertex is in Beijing
    error = rejected(v.polygon, "polygon", text, bbox=HUNAN_BBOX)
    assert_names(error, "polygon", text)
    assert "116.4,39.9" in error.reason
    # Without a box the same ring is a valid (if enormous) polygon.
    assert len(v.polygon("polygon", text)) == 4


@pytest.mark.parametrize(
    "text",
    [
        "200,28.2;201,28.2;201,29",
        "112.9,95;113,95;113,96",
        "nan,28.2;112.91,28.2;112.91,28.21",
        "inf,28.2;112.91,28.2;112.91,28.21",
    ],
)
def test_values_that_are_not_coordinates_are_rejected(text: str) -> None:
    assert_names(rejected(v.polygon, "polygon", text), "polygon", text)
