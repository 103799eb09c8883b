"""The session page and the photo and video files over HTTP: what the page shows (timeline,
void minutes with their reasons, track map, speed profile, photos), region scoping (another
city's session, photo or video is a 404), the file headers, and flat query counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from jiapei.audit.reasons import explain
from jiapei.console.tests.students_world import (  # noqa: F401
    PDF,
    World,
    client_of,
    ground,
    keep_connection,
    world_fixture,
)
from jiapei.sim.client import TimingPlatformClient
from jiapei.sim.images import portrait
from jiapei.testing.pages import assert_flat_queries
from jiapei.testing.sessions import START

pytestmark = pytest.mark.django_db


@pytest.fixture
def changsha(make_user: Callable[..., Any]) -> Client:
    return client_of(make_user, "city_regulator", "430100", "changsha")


@pytest.fixture
def zhuzhou(make_user: Callable[..., Any]) -> Client:
    return client_of(make_user, "city_regulator", "430200", "zhuzhou")


def test_the_session_page_shows_the_evidence(world: World, changsha: Client) -> None:
    response = changsha.get(world.session_url)
    assert response.status_code == 200
    page = response.content.decode()
    assert world.log.audit_status == "partial", world.log.codes
    # The timeline: one span per minute, the four stationary ones void (hatched).
    assert page.count('class="strip-valid"') == 26 and page.count('class="strip-void"') == 4
    # The void stretch 09:10–09:13 with its reason in words, naming the threshold applied.
    assert "09:10–09:13" in page
    assert explain("STATIONARY") in page
    # The track over the school's approved ground, with start and end markers and a scale.
    assert 'class="map-area"' in page and 'class="map-valid"' in page
    assert 'class="map-void"' in page and 'class="map-scale"' in page
    assert "起点 09:00" in page and "终点 09:29" in page
    # The speed profile with its numbers, and the photos through the checked file view.
    assert 'class="chart chart-line"' in page and "最高车速（公里/小时）" in page
    assert f'src="/console/photos/{world.photo.pk}/"' in page
    assert "学员签到" in page and "人脸比对置信度" in page
    assert f'href="/console/videos/{world.video.pk}/"' in page


def test_another_citys_session_is_not_found(world: World, changsha: Client) -> None:
    assert changsha.get(world.other_session_url).status_code == 404
    # Nor is a session reached under another student's file.
    wrong = f"/console/students/{world.student.pk}/sessions/{world.other_log.pk}/"
    assert changsha.get(wrong).status_code == 404


def test_a_photo_is_served_to_its_region_only(
    world: World, changsha: Client, zhuzhou: Client
) -> None:
    url = f"/console/photos/{world.photo.pk}/"
    response = changsha.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == world.photo.file.content.open("rb").read()
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private")
    # Another city: not admitted to exist (404, as for every object outside the scope).
    assert zhuzhou.get(url).status_code == 404
    assert changsha.get(f"/console/photos/{world.other_photo.pk}/").status_code == 404
    assert zhuzhou.get(f"/console/photos/{world.other_photo.pk}/").status_code == 200
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


def test_a_video_is_served_to_its_region_only(
    world: World, changsha: Client, zhuzhou: Client
) -> None:
    url = f"/console/videos/{world.video.pk}/"
    response = changsha.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x00\x00\x00\x18ftyp")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert zhuzhou.get(url).status_code == 404


def test_the_stage_record_and_certificate_pdfs_are_served_to_their_region_only(
    world: World, changsha: Client, zhuzhou: Client
) -> None:
    file_page = changsha.get(f"/console/students/{world.student.pk}/").content.decode()
    assert "结业证书 JY2026000001" in file_page
    for url in (
        f"/console/students/{world.student.pk}/stage-records/2/",
        f"/console/students/{world.student.pk}/graduation/",
    ):
        assert f'href="{url}"' in file_page
        response = changsha.get(url)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content) == PDF
        assert response["X-Content-Type-Options"] == "nosniff"
        assert zhuzhou.get(url).status_code == 404
    # A part without a stage record, and a student without a certificate: nothing to serve.
    assert changsha.get(f"/console/students/{world.student.pk}/stage-records/3/").status_code == 404
    other = f"/console/students/{world.other_student.pk}/graduation/"
    assert zhuzhou.get(other).status_code == 404


def test_the_session_page_does_not_grow_queries_with_photos(
    world: World, changsha: Client, tp: TimingPlatformClient
) -> None:
    def more_photos() -> None:
        keep_connection()
        for n in range(3):
            file_id = tp.upload("stuimg", portrait(9000 + n))
            tp.post(
                "trainimginfo",
                {
                    "inscode": world.school.inscode,
                    "stunum": world.school.stunum,
                    "coachnum": world.school.coachnum,
                    "subjcode": "1212110000",
                    "platnum": "A0041",
                    "recnum": "00001",
                    "ptime": f"{START + timedelta(minutes=5 + n):%Y%m%d%H%M%S}",
                    "fileid": file_id,
                    "event": 19,
                    "confidence": 60,
                },
            )

    assert_flat_queries(changsha, world.session_url, more_photos)
    assert "低于阈值" in changsha.get(world.session_url).content.decode()
