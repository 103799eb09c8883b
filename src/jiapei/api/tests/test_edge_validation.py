"""Validation at the edge of the signed interface (issue 18, item 2 and the HTTP-500 list of
item 5): every value no column can hold is refused with the envelope's 4xx naming the field,
and stores nothing, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import struct
import zlib
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile

from jiapei.api.tests.edge_helpers import assert_refused, encode, envelope_of, row_counts
from jiapei.core.errors import ErrorCode
from jiapei.registry.models import Institution, UploadedFile
from jiapei.testing.fixtures import RawPost

pytestmark = pytest.mark.usefixtures("fast_passwords")


def refused(raw_post: RawPost, resource: str, body: Any, field: str, **kw: Any) -> dict:
    before = row_counts()
    envelope = assert_refused(raw_post(resource, encode(body)), field, **kw)
    assert row_counts() == before, "a refused request stored something"
    return envelope


def test_every_valid_body_is_accepted(raw_post, wire_bodies):
    # The baseline the mutations below start from: without it a refusal proves nothing.
    for resource, body in wire_bodies.items():
        reply = raw_post(resource, encode(body))
        assert reply.status_code == 200, (resource, envelope_of(reply))


# --- 1. decimals: finite and within the column's precision ---------------------------------

DECIMALS = [
    ("institution", "classroom", "99999999999999999999"),
    ("institution", "praticefield", "NaN"),
    ("institution", "thclassroom", "Infinity"),
    ("region", "area", "1e20"),
    ("charstandard", "price", "1000000000000"),
    ("classrecord", "mileage", "1e20"),
    ("classrecord", "mileage", "NaN"),
    ("classrecord", "avevelocity", "-Infinity"),
    ("classrecord", "avevelocity", "123456789"),
    ("stagetrainningtime", "mileage", "1e20"),
    ("stagetrainningtime", "mileage", "sNaN"),
]


@pytest.mark.parametrize(("resource", "field", "value"), DECIMALS)
def test_decimals_must_be_finite_and_fit_the_column(raw_post, wire_bodies, resource, field, value):
    refused(raw_post, resource, {**wire_bodies[resource], field: value}, field)


def test_a_decimal_at_the_columns_limit_is_stored(raw_post, wire_bodies):
    body = {**wire_bodies["institution"], "classroom": "99999999.99"}
    assert raw_post("institution", encode(body)).status_code == 200
    assert str(Institution.objects.get().classroom) == "99999999.99"


# More places than the column keeps: refused, not rounded (a figure silently changed is not the
# figure that was filed), naming the field, the value and the places the column keeps.
TOO_PRECISE = [
    ("institution", "classroom", "120.505", 2),
    ("institution", "praticefield", "25000.0001", 2),
    ("region", "area", "25000.001", 2),
    ("charstandard", "price", "4800.999", 2),
    ("classrecord", "mileage", "12.345", 2),
    ("classrecord", "mileage", "1.00000000000000000000000000000001", 2),
    ("classrecord", "avevelocity", "35.55", 1),
    ("stagetrainningtime", "mileage", "1e-3", 2),
]


@pytest.mark.parametrize(("resource", "field", "value", "places"), TOO_PRECISE)
def test_a_decimal_with_more_places_than_its_column_is_refused_not_rounded(
    raw_post, wire_bodies, resource, field, value, places
):
    envelope = refused(raw_post, resource, {**wire_bodies[resource], field: value}, field)
    (error,) = [e for e in envelope["data"]["errors"] if e["field"] == field]
    assert error["value"] == value, envelope
    assert f"at most {places} digits after the point" in error["message"], envelope
    assert f"{field}={value!r}" in envelope["message"], envelope


@pytest.mark.parametrize("value", ["120.50", "120.500000", "1.205E+2"])
def test_trailing_zeros_and_exponents_within_the_columns_places_are_stored(
    raw_post, wire_bodies, value
):
    body = {**wire_bodies["institution"], "classroom": value}
    reply = raw_post("institution", encode(body))
    assert reply.status_code == 200, envelope_of(reply)
    assert Institution.objects.get().classroom == Decimal("120.5")


# --- 2. integers within the column's range; bounded digit strings ---------------------------

INTEGERS = [
    ("institution", "coachnumber", "2147483648"),
    ("institution", "tracarnum", 2**70),
    ("institution", "safmngnum", "9" * 5000),
    ("region", "totalvehnum", "99999999999"),
    ("classrecord", "duration", 2**40),
    ("stagetrainningtime", "totaltime", 2**40),
    ("trainimginfo", "confidence", "9" * 30),
    ("trainimginfo", "fileid", "9" * 5000),
    ("trainimginfo", "fileid", "99999999999999999999"),
    ("classrecord", "photo1", "9" * 4400),
    ("region", "seq", "1" * 5000),
    ("charstandard", "seq", "9" * 30),
]


@pytest.mark.parametrize(("resource", "field", "value"), INTEGERS)
def test_integers_and_digit_strings_are_bounded(raw_post, wire_bodies, resource, field, value):
    refused(raw_post, resource, {**wire_bodies[resource], field: value}, field)


def test_a_sequence_number_too_long_for_any_area_is_not_found(raw_post, wire_bodies):
    body = {**wire_bodies["regionreview/get"], "seq": "1" * 5000}
    refused(raw_post, "regionreview/get", body, "seq", status=404, code=ErrorCode.NOT_FOUND)


@pytest.mark.parametrize("rpm", [1e300, 2**64, "Infinity", "1e999", -(2**40), 1.5])
def test_a_minutes_engine_speed_must_fit_its_column(raw_post, wire_bodies, rpm):
    minute = {**wire_bodies["minuterecord"], "gnss": {"lng": 112.9, "lat": 28.2, "rpm": rpm}}
    before = row_counts()
    reply = raw_post("minuterecords", encode([minute]))
    envelope = envelope_of(reply)
    assert reply.status_code == 200, envelope
    (item,) = envelope["data"]["results"]
    assert item["result"] == "refused" and item["errors"][0]["field"] == "gnss", item
    assert row_counts()["training.MinuteRecord"] == before["training.MinuteRecord"]


@pytest.mark.parametrize("path", ["devices", "backfills", "watchlist"])
def test_a_list_offset_beyond_any_list_is_refused(api, province_regulator, path):
    reply = api(province_regulator, "GET", f"/api/regulator/{path}?offset={2**64}")
    envelope = envelope_of(reply)
    assert (reply.status_code, envelope["errorcode"]) == (400, ErrorCode.VALIDATION), envelope
    assert envelope["data"]["errors"][0]["field"].endswith("offset"), envelope


# --- 3. text: within the column, valid Unicode, no NUL, not a list or object ---------------

TEXTS = [
    ("institution", "name", "校" * 1_000_000),
    ("institution", "name", "\ud800"),
    ("institution", "address", "长沙\x00市"),
    ("coach", "name", ["张三"]),
    ("coach", "address", {"a": 1}),
    ("student", "nationality", "x" * 33),
    ("trainingcar", "brand", "\udfff\ud800"),
    ("device", "sn", "S" * 65),
    ("classrecord", "coacmt", "\x00"),
    ("classrecord", "classid", "c" * 100),
    ("stagetrainningtime", "esignature", "\ud83d"),
    ("graduation", "gracertnum", ["JY1"]),
    ("videorecord", "fileid", {"id": 1}),
]


@pytest.mark.parametrize(("resource", "field", "value"), TEXTS, ids=lambda v: str(v)[:12])
def test_text_must_fit_be_unicode_and_have_no_nul(raw_post, wire_bodies, resource, field, value):
    refused(raw_post, resource, {**wire_bodies[resource], field: value}, field)


@pytest.mark.parametrize(
    ("field", "value"), [("classid", ["1"]), ("coachnum", {"n": 1}), ("classid", "c" * 11)]
)
def test_a_minutes_text_must_be_text_that_fits(raw_post, wire_bodies, field, value):
    before = row_counts()
    reply = raw_post("minuterecords", encode([{**wire_bodies["minuterecord"], field: value}]))
    (item,) = envelope_of(reply)["data"]["results"]
    assert item["result"] == "refused" and field in {e["field"] for e in item["errors"]}, item
    assert row_counts() == before


def test_a_lone_surrogate_in_a_minute_is_refused_by_its_path(raw_post, wire_bodies):
    minute = {**wire_bodies["minuterecord"], "classid": "\ud800"}
    refused(raw_post, "minuterecords", [minute], "[0].classid")


# --- 4. bodies: bounded depth and size, always the envelope --------------------------------


@pytest.mark.parametrize("resource", ["institution", "classrecord", "minuterecords", "coach/get"])
def test_json_nested_100000_deep_is_refused_as_a_malformed_body(raw_post, resource):
    before = row_counts()
    body = b"[" * 100_000 + b"]" * 100_000
    if resource != "minuterecords":
        body = b'{"name":' + body + b"}"
    envelope = envelope_of(raw_post(resource, body))
    assert envelope["errorcode"] == ErrorCode.MALFORMED_BODY, envelope
    assert row_counts() == before


def test_nesting_inside_strings_does_not_count(raw_post, wire_bodies):
    body = {**wire_bodies["institution"], "address": "[" * 100 + "长沙市"}
    reply = raw_post("institution", encode(body))
    assert_refused(reply, "address") if reply.status_code != 200 else None
    assert reply.status_code in (200, 400)


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1" * 5000, b"1e999"])
def test_non_json_numbers_are_a_malformed_body(raw_post, wire_bodies, literal):
    body = encode(wire_bodies["institution"])[:-1] + b',"classroom":' + literal + b"}"
    before = row_counts()
    reply = raw_post("institution", body)
    assert (reply.status_code, envelope_of(reply)["errorcode"]) == (400, ErrorCode.MALFORMED_BODY)
    assert row_counts() == before


def test_an_over_size_body_gets_the_envelope(raw_post, wire_bodies, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50_000
    minutes = [wire_bodies["minuterecord"]] * 1000
    before = row_counts()
    reply = raw_post("minuterecords", encode(minutes))
    envelope = envelope_of(reply)
    assert (reply.status_code, envelope["errorcode"]) == (413, ErrorCode.MALFORMED_BODY), envelope
    assert row_counts() == before


# --- 5. images: a pixel limit before decoding ----------------------------------------------


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` pixels, with one tiny data chunk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(("width", "height"), [(100_000, 100_000), (10_000, 5_000)])
def test_an_image_bomb_is_refused_at_upload(tp, width, height):
    import httpx
    from django.core.wsgi import get_wsgi_application

    content = png_claiming(width, height)
    before = row_counts()
    with httpx.Client(
        base_url="http://testserver", transport=httpx.WSGITransport(app=get_wsgi_application())
    ) as http:
        reply = http.post(
            f"/imageup/stuimg?{tp.signer.query(content)}", files={"file": ("a.png", content)}
        )
    assert_refused(reply, "file")
    assert row_counts() == before


def test_an_image_bomb_on_file_is_refused_at_trainimginfo(raw_post, wire_bodies, platform):
    # Filed before the upload check existed: the photo service must not decode it either.
    bomb = UploadedFile(kind="stuimg", platform=platform, sha256="b" * 64, size=100,
                        content_type="image/png")  # fmt: skip
    bomb.content.save("bomb.png", ContentFile(png_claiming(100_000, 100_000)), save=False)
    bomb.save()
    body = {**wire_bodies["trainimginfo"], "fileid": str(bomb.pk)}
    refused(raw_post, "trainimginfo", body, "fileid")


# --- 7. the last resort: an unexpected fault is the envelope with 500, and logged ----------


def test_an_unexpected_fault_is_answered_with_the_envelope(raw_post, wire_bodies, monkeypatch,
                                                           caplog):  # fmt: skip
    from jiapei.registry import queries

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(queries, "get_for_platform", broken)
    reply = raw_post("coach/get", encode(wire_bodies["coach/get"]))
    envelope = envelope_of(reply)
    assert (reply.status_code, envelope["errorcode"]) == (500, ErrorCode.SERVER_FAULT)
    assert "a bug" not in envelope["message"]
    assert any("unhandled error" in r.getMessage() for r in caplog.records)


MULTIPART = "multipart/form-data; boundary=zz"
PART = b'--zz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nx\r\n'


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("multipart/form-data", b"garbage"), (MULTIPART, PART * 500 + b"--zz--\r\n")],
    ids=["no-boundary", "too-many-files"],
)
def test_a_malformed_upload_is_a_malformed_body(tp, content_type, body):
    import httpx
    from django.core.wsgi import get_wsgi_application

    before = row_counts()
    with httpx.Client(
        base_url="http://testserver", transport=httpx.WSGITransport(app=get_wsgi_application())
    ) as http:
        reply = http.post(
            f"/imageup/stuimg?{tp.signer.query(b'x')}",
            content=body,
            headers={"Content-Type": content_type},
        )
    envelope = envelope_of(reply)
    assert (reply.status_code, envelope["errorcode"]) == (400, ErrorCode.MALFORMED_BODY), envelope
    assert row_counts() == before


BACKFILL = [("vehicletime", 2**40), ("networktime", "2147483648"), ("mileage", "1e400")]


@pytest.mark.parametrize(("field", "value"), BACKFILL)
def test_a_legacy_backfill_is_judged_by_its_columns(raw_post, wire_bodies, settings, field, value):
    # The fixture's students enrol on 2026-09-01: a later cut-over makes them legacy students.
    settings.JIAPEI_STAGE_TRANSITION_BEFORE = "2027-04-01"
    school = wire_bodies["classrecord"]
    form = {
        "inscode": school["inscode"],
        "stunum": school["stunum"],
        "subject": "2",
        "vehicletime": 600,
        "mileage": "120.5",
        "fileid": wire_bodies["stagetrainningtime"]["pdfid"],
        "studentsign": "20260920100000",
        "coachnum": school["coachnum"],
        "coachsign": "20260920100500",
        "schoolseal": "20260921090000",
    }
    assert raw_post("legacybackfill", encode(form)).status_code == 200
    refused(raw_post, "legacybackfill", {**form, field: value}, field)
