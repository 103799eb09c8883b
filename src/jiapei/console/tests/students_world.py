"""The world of the student-file tests (the ``world`` fixture; a test module imports
``world_fixture`` and ``ground`` to use it): two schools (长沙 岳麓区 and 株洲 芦淞区), each with a
student who trained one part-2 session uploaded through the signed API (minutes, photos, the
teaching log), audited by the worker as in production; the 长沙 student also has a video, a
part-2 stage record and a completion certificate (PDFs), and an exam result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from jiapei.accounts.models import Role, User
from jiapei.core.actors import Actor
from jiapei.exams.services import record_result
from jiapei.registry.models import Student, TeachingArea
from jiapei.registry.services import review_area
from jiapei.sim.client import TimingPlatformClient
from jiapei.testing import factories as f
from jiapei.testing.fixtures import School
from jiapei.testing.sessions import START, ground, play_session  # noqa: F401  (a fixture)
from jiapei.training.models import TeachingLog, TrainingPhoto, VideoRecord


@dataclass
class World:
    school: School
    student: Student
    log: TeachingLog
    photo: TrainingPhoto
    video: VideoRecord
    other_school: School
    other_student: Student
    other_log: TeachingLog
    other_photo: TrainingPhoto

    @property
    def session_url(self) -> str:
        return f"/console/students/{self.student.pk}/sessions/{self.log.pk}/"

    @property
    def other_session_url(self) -> str:
        return f"/console/students/{self.other_student.pk}/sessions/{self.other_log.pk}/"


def upload_video(tp: TimingPlatformClient, school: School, recnum: str) -> None:
    video = tp.upload("video", b"\x00\x00\x00\x18ftypmp42 fake video bytes", "clip.mp4")
    tp.post(
        "videorecord",
        {
            "devnum": school.devnum,
            "inscode": school.inscode,
            "stunum": school.stunum,
            "subjcode": "1212110000",
            "recnum": recnum,
            "starttime": f"{START:%Y%m%d%H%M%S}",
            "endtime": f"{START:%Y%m%d}090500",
            "event": "1",
            "fileid": video,
        },
    )


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def submit_papers(tp: TimingPlatformClient, school: School) -> None:
    """The part-2 stage record and the completion certificate, each with its PDF."""
    pdf = tp.upload("epdfimg", PDF, "record.pdf")
    tp.post(
        "stagetrainningtime",
        {"inscode": school.inscode, "stunum": school.stunum, "subject": 2, "totaltime": 30,
         "vehicletime": 30, "duration": 30, "examresult": "1", "pdfid": pdf,
         "esignature": "AB" * 128, "rectype": "2",
         "recarray": [{"rnum": school.stunum + "00001"}]},
    )  # fmt: skip
    tp.post(
        "graduation",
        {"stunum": school.stunum, "autinscode": school.inscode, "gracertnum": "JY2026000001",
         "grantdate": "20261125", "pdfid": pdf, "esignature": "CD" * 128},
    )  # fmt: skip


def approve_ground(tp: TimingPlatformClient, school: School, regulator: User) -> None:
    """File the school's part-2 ground and approve it (minutes outside it are refused)."""
    tp.post("region", f.AreaPayload(inscode=school.inscode, seq="1"))
    area = TeachingArea.objects.get(institution__inscode=school.inscode)
    review_area(actor=Actor.for_user(regulator), area_id=area.pk, approve=True)


@pytest.fixture(name="world")
def world_fixture(
    tp: TimingPlatformClient,
    school: School,
    ground: Any,  # noqa: F811  (the fixture imported above)
    file_school: Callable[..., School],
    make_user: Callable[..., User],
) -> World:
    # Four stationary minutes (10-13) are void (STATIONARY); the rest is credited.
    rnum = play_session(
        tp, school, recnum="00001", start=START, length=30, stationary=range(10, 14)
    )
    upload_video(tp, school, "00001")
    submit_papers(tp, school)
    call_command("worker", once=True)
    record_result(
        actor=Actor.system("police platform"),
        data={"result_id": "R-1", "stunum": school.stunum, "subject": "1", "passed": True,
              "date": "20261110"},
    )  # fmt: skip
    other = file_school("430203")
    approve_ground(tp, other, make_user(Role.CITY_REGULATOR, "430200", "zz-auditor"))
    other_rnum = play_session(tp, other, recnum="00002", start=START, length=20)
    call_command("worker", once=True)
    log = TeachingLog.objects.get(rnum=rnum)
    other_log = TeachingLog.objects.get(rnum=other_rnum)
    return World(
        school=school,
        student=log.student,
        log=log,
        photo=TrainingPhoto.objects.filter(student=log.student).order_by("ptime").first(),  # type: ignore[arg-type]
        video=VideoRecord.objects.get(student=log.student),
        other_school=other,
        other_student=other_log.student,
        other_log=other_log,
        other_photo=TrainingPhoto.objects.filter(student=other_log.student).first(),  # type: ignore[arg-type]
    )


def keep_connection() -> None:
    """Let the signed client upload after a page was fetched. Django's test client reconnects
    ``close_old_connections`` to the request signals after each request, and the next request
    through ``httpx.WSGITransport`` would then close the test's connection (and on PostgreSQL
    its transaction); the ``_keep_test_connection`` fixture's disconnection is renewed here."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)


def client_of(make_user: Callable[..., Any], role: str, region: str, username: str) -> Client:
    client = Client()
    client.force_login(make_user(role, region, username=username))
    return client
