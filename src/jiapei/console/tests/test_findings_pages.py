"""Findings pages over HTTP: the list with its filters, sorting and export, the finding's page
with its photo evidence, scoping (another county's finding and its photos are 404), flat query
counts, and the two decisions (dismiss with a reason, open a work order)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from jiapei.console import evidence
from jiapei.console.findings_text import DETECTOR_NAMES
from jiapei.console.tests.findings_world import (
    Shared,
    county_user,
    more_findings,
    redraft,
    shared_fixture,  # noqa: F401  (the ``shared`` fixture)
    store,
)
from jiapei.core.actors import Actor
from jiapei.core.errors import NotFound
from jiapei.core.models import AuditLogEntry
from jiapei.fraud.detectors.base import DETECTORS, Draft
from jiapei.fraud.models import Finding
from jiapei.testing.pages import assert_flat_queries, xlsx_rows
from jiapei.workorders.models import WorkOrder
from jiapei.workorders.services import open_for_finding_by_hand

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def yuelu(make_user: Callable[..., Any]) -> Client:
    """The county officer of 长沙 岳麓区 (430104), where both schools are."""
    return client_for(county_user(make_user, "430104", "yuelu"))


@pytest.fixture
def furong(make_user: Callable[..., Any]) -> Client:
    """The county officer of 长沙 芙蓉区 (430102): a sibling county."""
    return client_for(county_user(make_user, "430102", "furong"))


def ids_of(client: Client, query: str = "") -> list[int]:
    response = client.get(f"/console/findings/?{query}")
    assert response.status_code == 200
    return [row.record.pk for row in response.context["table"].page.object_list]


def test_detector_names_match_the_detector_catalogue() -> None:
    assert {code: str(name) for code, name in DETECTOR_NAMES.items()} == {
        code: zh for code, (zh, _en, _pattern) in DETECTORS.items()
    }


def test_the_list_shows_the_finding_in_words(shared: Shared, yuelu: Client) -> None:
    response = yuelu.get("/console/findings/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "同一人脸出现在不同学员的培训中" in html
    assert '<span class="tag tag-warn">待研判</span>' in html
    assert f'href="/console/findings/{shared.finding.pk}/"' in html
    # The student is named masked (surname and last character) with the student number.
    name = shared.later.student.name
    assert f"{name[0]}*" in html and name not in html.replace(shared.later.student.stunum, "")


def test_the_list_filters_by_detector_severity_status_school_coach_date_and_region(
    shared: Shared, yuelu: Client
) -> None:
    more_findings(shared.first, "CAR_TWO_STUDENTS", 2, severity="low")
    face = shared.finding.pk
    # The real scan also found the sessions' too regular speed and replayed track, and opened
    # work orders for those (high severity, not quiet).
    scanned = set(Finding.objects.exclude(pk=face).values_list("pk", flat=True))
    others = set(Finding.objects.filter(detector="CAR_TWO_STUDENTS").values_list("pk", flat=True))
    everything = {face, *scanned}
    assert len(others) == 2 and set(ids_of(yuelu)) == everything
    assert ids_of(yuelu, "detector=FACE_SHARED") == [face]
    assert set(ids_of(yuelu, "detector=CAR_TWO_STUDENTS")) == others
    assert set(ids_of(yuelu, "severity=high")) == everything - others
    assert set(ids_of(yuelu, "severity=low")) == others
    assert set(ids_of(yuelu, "status=open")) == {face, *others}
    assert ids_of(yuelu, "status=dismissed") == []
    # The finding is about the later session's school; the others about the first school's.
    later_school = shared.other_school.inscode
    of_later = set(
        Finding.objects.filter(institution__inscode=later_school).values_list("pk", flat=True)
    )
    assert face in of_later and not others & of_later
    assert set(ids_of(yuelu, f"school={later_school}")) == of_later
    assert others <= set(ids_of(yuelu, f"school={shared.school.inscode}"))
    assert face not in ids_of(yuelu, f"school={shared.school.inscode}")
    coach = shared.first.coach
    assert others <= set(ids_of(yuelu, f"coach={coach.number}"))
    assert face not in ids_of(yuelu, f"coach={coach.number}")
    day = shared.finding.day
    assert set(ids_of(yuelu, f"since={day:%Y-%m-%d}&until={day:%Y-%m-%d}")) == everything
    assert ids_of(yuelu, f"since={day.replace(year=day.year + 1):%Y-%m-%d}") == []
    assert set(ids_of(yuelu, "region=430104")) == everything


def test_the_list_sorts_and_exports_what_it_shows(shared: Shared, yuelu: Client) -> None:
    more_findings(shared.first, "CAR_TWO_STUDENTS", 3)
    by_score = ids_of(yuelu, "sort=-score&detector=CAR_TWO_STUDENTS")
    scores = list(
        Finding.objects.filter(pk__in=by_score).order_by("-score").values_list("pk", flat=True)
    )
    assert by_score == scores
    rows = xlsx_rows(yuelu.get("/console/findings/?export=xlsx&detector=FACE_SHARED"))
    assert rows[0][:5] == ["线索编号", "日期", "检测规则", "严重程度", "处理状态"]
    assert len(rows) == 2 and rows[1][2] == "同一人脸出现在不同学员的培训中" and rows[1][3] == "高"


def test_a_county_sees_its_own_county_only(
    shared: Shared, furong: Client, make_user: Callable[..., Any]
) -> None:
    assert ids_of(furong) == []
    for path in ("", "dismiss/", "order/"):
        assert furong.get(f"{shared.url}{path}").status_code == 404
    assert furong.post(f"{shared.url}dismiss/", {"reason": "x", "confirm": "on"}).status_code == 404
    photo = shared.finding.evidence["photos"][0]
    assert furong.get(f"/console/photos/{photo}/").status_code == 404
    assert Finding.objects.get(pk=shared.finding.pk).status == "open"
    city = client_for(make_user("city_regulator", "430100", "changsha-city"))
    assert city.get(shared.url).status_code == 200


def test_the_finding_page_shows_the_photo_pairs_to_judge(shared: Shared, yuelu: Client) -> None:
    response = yuelu.get(shared.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert shared.finding.summary in html
    assert "替学" in html  # what the detector means, in words
    pairs = shared.finding.evidence["pairs"]
    assert html.count('class="evidence-pair"') == len(pairs) == 3
    for a, b, distance in pairs:
        assert f'src="/console/photos/{a}/"' in html and f'src="/console/photos/{b}/"' in html
        assert f"汉明距离 {distance}" in html
    assert "阈值 ≤ 0" in html  # two schools: exact copies only
    # Both sessions are linked, the finding's own one marked, and the logs table links it.
    for log in (shared.first, shared.later):
        assert f"/console/students/{log.student_id}/sessions/{log.pk}/" in html
    assert "涉及的教学日志（1 条）" in html
    assert "转为工单" in html and "排除线索" in html
    photo = yuelu.get(f"/console/photos/{pairs[0][0]}/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"


def test_a_finding_without_a_drawer_shows_its_figures(
    shared: Shared, yuelu: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whatever drawers other evidence modules register, a detector without one gets the table.
    monkeypatch.delitem(evidence.DRAWERS, "CAR_TWO_STUDENTS", raising=False)
    more_findings(shared.first, "CAR_TWO_STUDENTS", 1)
    other = Finding.objects.get(detector="CAR_TWO_STUDENTS")
    html = yuelu.get(f"/console/findings/{other.pk}/").content.decode()
    assert "检测数据" in html and "重叠分钟数" in html


def test_the_list_and_the_page_run_a_constant_number_of_queries(
    shared: Shared, yuelu: Client
) -> None:
    assert_flat_queries(
        yuelu, "/console/findings/", lambda: more_findings(shared.first, "COACH_TWO_CARS", 5)
    )

    def grow() -> None:
        # The finding names both sessions and every pair twice over; a dismissal adds history.
        evidence = dict(shared.finding.evidence)
        evidence["pairs"] = evidence["pairs"] + [[b, a, d] for a, b, d in evidence["pairs"]]
        redraft(shared.finding, logs=[shared.first.rnum, shared.later.rnum], evidence=evidence)
        yuelu.post(f"{shared.url}order/", {"note": "见照片", "confirm": "on"})

    assert_flat_queries(yuelu, shared.url, grow)
    assert "涉及的教学日志（2 条）" in yuelu.get(shared.url).content.decode()


def test_dismissing_needs_a_reason(shared: Shared, yuelu: Client) -> None:
    form = yuelu.get(f"{shared.url}dismiss/").content.decode()
    assert "排除理由" in form and shared.finding.summary in form
    response = yuelu.post(f"{shared.url}dismiss/", {"reason": " ", "confirm": "on"})
    assert response.status_code == 200
    assert "须说明排除原因" in response.content.decode()
    assert Finding.objects.get(pk=shared.finding.pk).status == "open"

    response = yuelu.post(
        f"{shared.url}dismiss/", {"reason": "两名学员是双胞胎，照片系同一相机误传", "confirm": "on"}
    )
    assert response.status_code == 302 and response["Location"] == shared.url
    assert Finding.objects.get(pk=shared.finding.pk).status == "dismissed"
    html = yuelu.get(shared.url).content.decode()
    assert "两名学员是双胞胎" in html and "已排除" in html
    assert "排除线索" not in html and "转为工单" not in html  # nothing left to decide
    entry = AuditLogEntry.objects.get(action="fraud.dismiss")
    assert entry.actor_user.username == "yuelu"


def test_opening_a_work_order_by_hand_links_it_to_the_finding(
    shared: Shared, yuelu: Client
) -> None:
    response = yuelu.post(f"{shared.url}order/", {"note": "两张照片完全相同", "confirm": "on"})
    assert response.status_code == 302
    order = WorkOrder.objects.get(findings=shared.finding)
    assert order.region_id == "430104" and "两张照片完全相同" in order.description
    assert list(order.logs.values_list("rnum", flat=True)) == [shared.later.rnum]
    assert Finding.objects.get(pk=shared.finding.pk).status == "ordered"
    html = yuelu.get(shared.url).content.decode()
    assert f'data-order="{order.number}"' in html and "已转工单" in html
    assert 'action="/console/findings/' not in html  # neither form is offered any more
    # Repeating the request opens nothing more.
    yuelu.post(f"{shared.url}order/", {"note": "", "confirm": "on"})
    assert WorkOrder.objects.filter(findings=shared.finding).count() == 1
    assert "fraud.order" in set(AuditLogEntry.objects.values_list("action", flat=True))


def test_an_order_needs_the_confirmation(shared: Shared, yuelu: Client) -> None:
    response = yuelu.post(f"{shared.url}order/", {"note": "x"})
    assert response.status_code == 200
    assert not WorkOrder.objects.filter(findings=shared.finding).exists()


def test_a_photo_outside_the_region_is_withheld(shared: Shared, yuelu: Client) -> None:
    """A pair whose other photo the officer may not see (another region's student; to the
    officer the same as no photo at all) shows the visible one and says the other is withheld."""
    evidence = dict(shared.finding.evidence)
    first = evidence["pairs"][0][0]
    evidence["pairs"] = [[first, 10**9, 0]]
    redraft(shared.finding, evidence=evidence)
    html = yuelu.get(shared.url).content.decode()
    assert f'src="/console/photos/{first}/"' in html
    assert "该照片属于辖区外的学员，无权查看" in html and f"/console/photos/{10**9}/" not in html
    assert "部分照片属于辖区外的学员" in html


def test_a_face_finding_shows_the_confidences_against_the_bar(
    shared: Shared, yuelu: Client
) -> None:
    photos = sorted(shared.finding.evidence["photos"])
    [low] = store(
        Draft(
            detector="FACE_LOW",
            key=f"FACE_LOW:{shared.later.rnum}",
            severity="medium",
            summary="人脸比对置信度偏低",
            summary_en="low confidences",
            day=shared.finding.day,
            logs=[shared.later.rnum],
            evidence={"photos": photos, "figures": {"median_confidence": 92, "bar": 95.0}},
        )
    )
    html = yuelu.get(f"/console/findings/{low.pk}/").content.decode()
    assert "培训照片与人脸比对置信度" in html and "低于 95 的标为" in html
    assert html.count("低于及格线</span>") == len(photos)  # every photo scored 92
    assert "及格线（按终端校准后）" in html  # the figures panel follows


def test_a_dismissed_or_foreign_finding_gets_no_work_order(
    shared: Shared, yuelu: Client, make_user: Callable[..., Any]
) -> None:
    # The service itself refuses another county's officer, as if the finding did not exist.
    furong = county_user(make_user, "430102", "furong-officer")
    with pytest.raises(NotFound):
        open_for_finding_by_hand(actor=Actor.for_user(furong), finding_id=shared.finding.pk)
    yuelu.post(f"{shared.url}dismiss/", {"reason": "照片系系统误传", "confirm": "on"})
    response = yuelu.post(f"{shared.url}order/", {"note": "", "confirm": "on"})
    assert response.status_code == 200 and "已排除或不涉及培训机构" in response.content.decode()
    assert not WorkOrder.objects.filter(findings=shared.finding).exists()
