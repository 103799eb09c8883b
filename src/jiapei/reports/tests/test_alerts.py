"""Today's alerts (reports/alerts.py) on the console's home page and in the daily digest e-mail:
what counts (new high-severity findings, orders due or overdue, stage records waiting, schools
that stopped uploading), the region scope, and that a retried run sends nothing twice.

Findings, work orders and stage reviews are created on their models (the helpers of the report
tests): their services are not what these tests are about."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from jiapei.accounts.models import Role, User
from jiapei.registry.models import Institution, Student
from jiapei.reports import dashboard
from jiapei.reports.alerts import alerts_for
from jiapei.reports.digest import send_digests
from jiapei.reports.models import DigestSend
from jiapei.reports.tests.conftest import finding, local, post_log, work_order
from jiapei.stages.models import StageReview
from jiapei.testing.pages import assert_flat_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uncached(monkeypatch: pytest.MonkeyPatch) -> None:
    """The home page's figures are not cached: they would carry this test's to the next."""
    monkeypatch.setattr(dashboard, "FIGURES_SECONDS", 0)


NOW = "2026-11-20 08:30"  # Shanghai


@pytest.fixture
def regions(
    frozen_clock: Any, tp: Any, file_school: Callable[..., Any], make_user: Callable[..., Any]
) -> dict[str, Any]:
    """Two counties of Changsha, each with a school, and a regulator per level with an address.
    Each school gets one alert of every kind; Yuelu's (430104) also some that do not count."""
    frozen_clock.freeze("2026-11-01 09:00")
    yuelu, furong = file_school("430104"), file_school("430102")
    frozen_clock.freeze(NOW)
    for school, name in ((yuelu, "岳麓"), (furong, "芙蓉")):
        # Stopped uploading: its last session eight days ago, its student still training.
        post_log(tp, school, "00001", local(2026, 11, 12))
        # Ordered: it opened its work order at once, and is still news to the officer.
        found = finding(school, "2026-11-19", platform=None, status="ordered")
        found.summary = f"{name}测试线索"
        found.save()
        work_order(school, local(2026, 11, 10))  # due 11-17: overdue
        work_order(school, local(2026, 11, 14))  # due 11-21 09:00: within two days
        student = Student.objects.get(stunum=school.stunum)
        StageReview.objects.create(student=student, part=2, status="pending_manual", source="audit")
    # What does not count: a low-severity finding, a dismissed one, one detected three days
    # ago, a resolved order, an order due in a week.
    finding(yuelu, "2026-11-19", platform=None, status="dismissed")
    low = finding(yuelu, "2026-11-19", platform=None)
    low.severity = "low"
    low.save()
    old = finding(yuelu, "2026-11-16", platform=None)
    type(old).objects.filter(pk=old.pk).update(detected_at=local(2026, 11, 17))
    work_order(yuelu, local(2026, 11, 12), resolved=local(2026, 11, 13))
    work_order(yuelu, local(2026, 11, 20))
    users = {
        "county": make_user(Role.COUNTY_REGULATOR, "430104", "yuelu-digest"),
        "city": make_user(Role.CITY_REGULATOR, "430100", "changsha-digest"),
        "other": make_user(Role.CITY_REGULATOR, "430200", "zhuzhou-digest"),
    }
    for name, user in users.items():
        User.objects.filter(pk=user.pk).update(email=f"{name}@example.cn")
    return {"yuelu": yuelu, "furong": furong, **users}


def test_each_kind_counts_what_needs_the_user_today(regions: dict[str, Any]) -> None:
    county = alerts_for(regions["county"])
    assert county.findings.count == 1 and "岳麓" in county.findings.rows[0].summary
    assert county.overdue.count == 1 and county.due.count == 1
    assert county.stages.count == 1
    assert [s.inscode for s in county.silent.rows] == [regions["yuelu"].inscode]
    assert county.total == 5
    city = alerts_for(regions["city"])
    assert (city.findings.count, city.overdue.count, city.due.count) == (2, 2, 2)
    assert city.stages.count == 2 and city.silent.count == 2
    assert alerts_for(regions["other"]).total == 0


def test_a_school_with_a_recent_session_or_no_active_student_is_not_silent(
    regions: dict[str, Any], tp: Any
) -> None:
    post_log(tp, regions["yuelu"], "00002", local(2026, 11, 18))  # two days ago: uploading
    Student.objects.filter(stunum=regions["furong"].stunum).update(filing_status="deleted")
    assert alerts_for(regions["city"]).silent.count == 0


def test_the_dashboard_shows_the_alerts_with_links(regions: dict[str, Any]) -> None:
    client = Client()
    client.force_login(regions["county"])
    html = client.get("/console/").content.decode()
    block = html.split('id="alerts"')[1].split("</section>")[0]
    assert "今日提醒" in html and "岳麓测试线索" in block and "芙蓉" not in block
    assert block.count('data-alert="overdue"') == 1 and block.count('data-alert="due"') == 1
    assert "/console/stages/?status=pending_manual" in block
    institution = Institution.objects.get(inscode=regions["yuelu"].inscode)
    assert f'href="/console/institutions/{institution.pk}/"' in block
    client.force_login(regions["other"])
    assert "今天没有需要您处理的提醒" in client.get("/console/").content.decode()


def test_the_digest_goes_once_a_day_to_each_user_with_their_regions_items(
    regions: dict[str, Any], frozen_clock: Any
) -> None:
    run = send_digests()
    assert sorted(run.sent) == ["changsha-digest", "yuelu-digest"]
    assert run.empty == ["zhuzhou-digest"]
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {"county@example.cn", "city@example.cn"}
    county = by_address["county@example.cn"]
    assert county.subject == "【驾培监管】岳麓区 2026-11-20 今日提醒：5 项待处理"
    assert "岳麓测试线索" in county.body and "芙蓉测试线索" not in county.body
    assert "超期未办结工单：1 张" in county.body
    html, kind = county.alternatives[0]
    assert kind == "text/html" and "岳麓测试线索" in html and "芙蓉" not in html
    assert "http://127.0.0.1:8000/console/stages/?status=pending_manual" in county.body
    city = by_address["city@example.cn"]
    assert "岳麓测试线索" in city.body and "芙蓉测试线索" in city.body

    # A retried run the same day sends nothing; the next day sends again.
    call_command("digest")
    assert len(mail.outbox) == 2
    assert DigestSend.objects.count() == 2
    frozen_clock.advance(timedelta(days=1))
    call_command("digest", user=["yuelu-digest"])
    assert len(mail.outbox) == 3 and mail.outbox[-1].to == ["county@example.cn"]


def test_a_failed_send_is_not_recorded_and_is_retried(
    regions: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Any, fail_silently: bool = False) -> int:
        raise OSError("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
    run = send_digests()
    assert sorted(run.failed) == ["changsha-digest", "yuelu-digest"]
    assert not DigestSend.objects.exists() and not mail.outbox
    monkeypatch.undo()
    assert sorted(send_digests().sent) == ["changsha-digest", "yuelu-digest"]


def test_the_home_page_does_not_grow_queries_with_alerts(
    regions: dict[str, Any], tp: Any, file_school: Callable[..., Any]
) -> None:
    client = Client()
    client.force_login(regions["city"])

    def grow() -> None:
        for _n in range(6):  # more than the block lists of each kind
            school = regions["yuelu"]
            finding(school, "2026-11-20", platform=None)
            work_order(school, local(2026, 11, 10))
            work_order(school, local(2026, 11, 14))
        silent = file_school("430104")
        Institution.objects.filter(inscode=silent.inscode).update(created_at=local(2026, 11, 1))

    assert_flat_queries(client, "/console/", grow)
