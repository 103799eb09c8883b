"""Teaching logs, photos, stage records, completions and videos through the signed API:
stored once by their natural numbers, refused by field when malformed."""

from __future__ import annotations

import pytest

from jiapei.outbox.models import OutboxMessage
from jiapei.sim.images import portrait
from jiapei.testing.sessions import log_payload
from jiapei.training.models import (
    AuditRequest,
    Graduation,
    StageRecord,
    TeachingLog,
    TrainingPhoto,
    VideoRecord,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def photos(tp):
    return tp.upload("stuimg", portrait(1)), tp.upload("stuimg", portrait(2))


def test_a_teaching_log_is_stored_once_and_queues_an_audit(tp, school, photos):
    first = tp.post("classrecord", log_payload(school, photos))
    again = tp.post("classrecord", log_payload(school, photos))
    assert first["rnum"] == again["rnum"] == school.stunum + "00001"
    assert (first["created"], again["created"]) == (True, False)
    assert TeachingLog.objects.count() == 1
    assert AuditRequest.objects.filter(student__stunum=school.stunum).count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("endtime", "20261120085900"),  # before the start
        ("subjcode", "1222110000"),  # a C2 course for a C1 student
        ("starttime", "2026-11-20 09:00"),
        ("photo1", "999999"),
        ("platnum", "B0001"),
        ("recnum", "123456"),
    ],
)
def test_bad_teaching_logs_are_refused_by_field(tp, school, photos, field, value):
    status, envelope = tp.call("classrecord", log_payload(school, photos, **{field: value}))
    assert status == 400 and envelope["errorcode"] == 2001, envelope
    assert envelope["data"]["errors"][0]["field"] == field
    assert TeachingLog.objects.count() == 0


def test_a_photo_is_fingerprinted_and_stored_once(tp, school, photos):
    body = {
        "inscode": school.inscode,
        "stunum": school.stunum,
        "subjcode": "1212110000",
        "platnum": "A0041",
        "recnum": "00001",
        "ptime": "20261120091500",
        "fileid": photos[0],
        "event": "5",
        "confidence": "93",
    }
    assert tp.post("trainimginfo", body)["created"] is True
    assert tp.post("trainimginfo", body)["created"] is False
    photo = TrainingPhoto.objects.get()
    assert (photo.event, photo.confidence, len(photo.fingerprint)) == (5, 93, 16)
    # The same picture sent again as a later photo is another photo (a photo device replaying
    # one image), stored so that the fraud detectors can see it; not a retry of the first.
    later = {**body, "ptime": "20261120093000"}
    assert tp.post("trainimginfo", later)["created"] is True
    assert tp.post("trainimginfo", later)["created"] is False
    fingerprints = set(TrainingPhoto.objects.values_list("fingerprint", flat=True))
    assert TrainingPhoto.objects.count() == 2 and len(fingerprints) == 1
    status, envelope = tp.call("trainimginfo", {**body, "event": "7", "fileid": photos[1]})
    assert status == 400 and envelope["data"]["errors"][0]["field"] == "event"


def test_stage_record_graduation_and_video(tp, school, photos):
    pdf = tp.upload("epdfimg", PDF)
    stage = {
        "inscode": school.inscode,
        "stunum": school.stunum,
        "subject": 2,
        "totaltime": 960,
        "vehicletime": 960,
        "duration": 960,
        "examresult": "1",
        "pdfid": pdf,
        "esignature": "AB" * 128,
        "rectype": "2",
        "recarray": [{"rnum": school.stunum + "00001"}, {"rnum": school.stunum + "00002"}],
    }
    assert tp.post("stagetrainningtime", stage)["created"] is True
    assert tp.post("stagetrainningtime", {**stage, "totaltime": 980})["created"] is False
    assert StageRecord.objects.get().totaltime == 980
    status, envelope = tp.call("stagetrainningtime", {**stage, "recarray": [{"rnum": "short"}]})
    assert status == 400 and envelope["data"]["errors"][0]["field"] == "recarray"

    graduation = {
        "stunum": school.stunum,
        "autinscode": school.inscode,
        "gracertnum": "JY2026000001",
        "grantdate": "20261125",
        "pdfid": pdf,
        "esignature": "CD" * 128,
    }
    assert tp.post("graduation", graduation)["created"] is True
    assert tp.post("graduation", graduation)["created"] is False
    assert Graduation.objects.count() == 1
    forwarded = OutboxMessage.objects.get(destination="national")
    assert (forwarded.path, forwarded.payload["gracertnum"]) == ("graduation", "JY2026000001")

    video = tp.upload("video", b"\x00\x00\x00\x18ftypmp42 fake video bytes")
    clip = {
        "devnum": school.devnum,
        "inscode": school.inscode,
        "stunum": school.stunum,
        "subjcode": "1212110000",
        "recnum": "1",
        "starttime": "20261120090000",
        "endtime": "20261120090500",
        "event": "1",
        "fileid": video,
    }
    assert tp.post("videorecord", clip)["created"] is True
    assert tp.post("videorecord", clip)["created"] is False
    assert VideoRecord.objects.count() == 1


def test_another_platforms_student_is_not_yours_to_report(
    tp, school, photos, make_platform, other_platform_key
):
    from jiapei.signing import Signer
    from jiapei.testing.fixtures import wsgi_client

    make_platform(other_platform_key, platnum="A0042", serial="ABCDEF01")
    other = wsgi_client(Signer(other_platform_key, "ABCDEF01"))
    status, envelope = other.call("classrecord", log_payload(school, photos, platnum="A0042"))
    assert status == 400
    assert {e["field"] for e in envelope["data"]["errors"]} >= {"stunum"}
    assert TeachingLog.objects.count() == 0
