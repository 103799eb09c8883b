"""Helpers for the edge-validation tests (``test_edge_*``): valid bodies of every signed
resource for a filed school, raw signed posts, and a count of every jiapei table so a refusal
can be shown to have stored nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from django.apps import apps

from jiapei.sim.client import TimingPlatformClient
from jiapei.sim.images import portrait
from jiapei.testing.fixtures import School
from jiapei.testing.sessions import log_payload

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def row_counts() -> dict[str, int]:
    """The number of rows in every jiapei table, in one query (the fuzz asks before and after
    every example)."""
    from django.db import connection

    # The replay cache records every verified signature, refused requests' too: it is no record.
    models = [
        m
        for m in apps.get_models()
        if m.__module__.startswith("jiapei.") and m._meta.label != "registry.SignatureUse"
    ]
    quote = connection.ops.quote_name
    # Table names come from the models, quoted by the backend: nothing from outside.
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(m._meta.db_table)})" for m in models)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        row = cursor.fetchone()
    return {m._meta.label: count for m, count in zip(models, row, strict=True)}


def encode(payload: Any) -> bytes:
    """JSON bytes for ``payload``; ASCII escapes, so lone surrogates can be sent."""
    return json.dumps(payload, ensure_ascii=True).encode()


def envelope_of(reply: httpx.Response) -> dict[str, Any]:
    """The reply's envelope; fails when the reply is not one (an HTML error page)."""
    try:
        envelope = reply.json()
    except ValueError:
        pytest.fail(f"{reply.status_code}: the reply is not an envelope: {reply.text[:200]}")
    assert isinstance(envelope, dict), envelope
    assert isinstance(envelope.get("errorcode"), int), envelope
    assert isinstance(envelope.get("message"), str), envelope
    return envelope


def assert_refused(
    reply: httpx.Response, field: str, *, code: int = 2001, status: int = 400
) -> dict[str, Any]:
    """A 4xx envelope with ``code`` whose ``data.errors`` names ``field``."""
    envelope = envelope_of(reply)
    assert (reply.status_code, envelope["errorcode"]) == (status, code), envelope
    errors = (envelope.get("data") or {}).get("errors") or []
    assert field in {e["field"] for e in errors}, envelope
    return envelope


def bodies(school: School, photos: tuple[str, str], pdf: str, video: str) -> dict[str, Any]:
    """A valid body of every signed resource that takes a JSON body, for ``school``."""
    from jiapei.testing import factories as f

    log = log_payload(school, photos, classid="1")
    minute = {
        "recordnum": f"{school.devnum}2611200001",
        "stunum": school.stunum,
        "coachnum": school.coachnum,
        "classid": "1",
        "rectime": "090100",
        "subjcode": "1212110000",
        "maxspeed": 150,
        "mileage": 3,
        "gnss": {"lng": 112.9, "lat": 28.2, "rpm": 1800},
    }
    return {
        "institution": {**f.InstitutionPayload(), "inscode": school.inscode},
        "coach": f.payload(f.CoachPayload, inscode=school.inscode, photo=school.photo),
        "trainingcar": f.payload(f.TrainingCarPayload, inscode=school.inscode),
        "device": f.payload(f.DevicePayload, inscode=school.inscode),
        "devassign": {"devnum": school.devnum, "carnum": school.carnum, "sim": "1440000000001"},
        "student": f.payload(f.StudentPayload, inscode=school.inscode, photo=photos[0]),
        "region": f.payload(f.AreaPayload, inscode=school.inscode, seq="1"),
        "charstandard": f.payload(f.FeePayload, inscode=school.inscode, seq="1"),
        "regionreview/get": {"inscode": school.inscode, "seq": "1"},
        "coach/get": {"coachnum": school.coachnum},
        "stuinfoquery/get": {"stunum": school.stunum},
        "classrecord": log,
        "minuterecord": minute,
        "minuterecords": [minute],
        "trainimginfo": {
            "inscode": school.inscode,
            "stunum": school.stunum,
            "coachnum": school.coachnum,
            "subjcode": "1212110000",
            "platnum": "A0041",
            "recnum": "1",
            "ptime": "20261120091500",
            "fileid": photos[0],
            "event": "5",
            "confidence": "93",
        },
        "stagetrainningtime": {
            "inscode": school.inscode,
            "stunum": school.stunum,
            "subject": 2,
            "totaltime": 960,
            "vehicletime": 960,
            "duration": 960,
            "examresult": "1",
            "mileage": "300.5",
            "pdfid": pdf,
            "esignature": "AB" * 128,
            "rectype": "2",
            "recarray": [{"rnum": school.stunum + "00001"}],
        },
        "graduation": {
            "stunum": school.stunum,
            "autinscode": school.inscode,
            "gracertnum": "JY2026000001",
            "grantdate": "20261125",
            "pdfid": pdf,
            "esignature": "CD" * 128,
        },
        "videorecord": {
            "devnum": school.devnum,
            "inscode": school.inscode,
            "stunum": school.stunum,
            "subjcode": "1212110000",
            "recnum": "1",
            "starttime": "20261120090000",
            "endtime": "20261120090500",
            "event": "1",
            "fileid": video,
        },
        "traininfo/get": {"stunum": school.stunum},
    }


@pytest.fixture
def wire_bodies(tp: TimingPlatformClient, school: School) -> dict[str, Any]:
    photos = (tp.upload("stuimg", portrait(1)), tp.upload("stuimg", portrait(2)))
    pdf = tp.upload("epdfimg", PDF)
    video = tp.upload("video", b"\x00\x00\x00\x18ftypmp42 fake video bytes")
    return bodies(school, photos, pdf, video)
