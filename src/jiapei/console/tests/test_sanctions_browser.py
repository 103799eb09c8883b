"""Sanctions and rankings in a real browser: a city officer lists a coach for key supervision,
bans a car and follows the /trainingban callback in the outbox until the platform has it, and
opens the month's notice as it prints; the rankings pages render with data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from jiapei.cli.worker import relay_once
from jiapei.console.tests.test_rankings_pages import sit
from jiapei.core import clock
from jiapei.integrations.timingplatform.fake import RECORDED
from jiapei.outbox.models import OutboxMessage
from jiapei.reports import ranking
from jiapei.reports.tests.conftest import MONTH
from jiapei.reports.tests.test_ranking import minutes  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_an_officer_lists_a_coach_bans_a_car_and_prints_the_notice(
    as_user: Callable[..., Any],
    make_user: Callable[..., Any],
    school: Any,
    settings: Any,
) -> None:
    settings.JIAPEI_CALLBACK_BACKEND = "record"
    relay_once()  # what filing the school queued
    RECORDED.clear()
    make_user("city_regulator", "430100", username="changsha")
    web = as_user("changsha")

    web.go("/console/watchlist/")
    web.page.get_by_role("link", name="列入重点监管名单").click()
    web.page.get_by_label("教练员", exact=True).check()
    web.page.get_by_label("机构编号或教练员编号").fill("4301040000000000")
    web.page.get_by_label("列入原因").fill("组织学员学时造假")
    web.page.get_by_role("button", name="确认").click()
    expect(web.page.locator(".error-summary, [data-autofocus]").first).to_contain_text("备案不存在")
    web.shot("watchlist-add-error")
    web.page.get_by_label("机构编号或教练员编号").fill(school.coachnum)
    web.page.get_by_role("button", name="确认").click()
    expect(web.page.get_by_role("status").first).to_contain_text("已列入重点监管名单")
    row = web.page.get_by_role("row", name=school.coachnum)
    expect(row).to_contain_text("组织学员学时造假")
    expect(row).to_contain_text("在列")
    web.shot("watchlist")

    web.page.get_by_role("navigation", name="主导航").get_by_role("link", name="禁训").click()
    web.page.locator(".actions").get_by_role("link", name="禁训").click()
    web.page.get_by_label("教练车").check()
    web.page.locator("#id_number").fill(school.carnum)
    web.page.get_by_label("禁训原因").fill("私拆计时终端")
    web.page.get_by_label("我已核对，确认自即刻起禁训并通知计时平台").check()
    web.shot("ban-form")
    web.page.get_by_role("button", name="确认").click()
    expect(web.page.get_by_role("status").first).to_contain_text("已禁训")
    message = OutboxMessage.objects.get(path="/trainingban")
    assert message.status == "pending" and message.payload["number"] == school.carnum
    row = web.page.get_by_role("row", name=school.carnum)
    expect(row.locator('[data-callback="pending"]')).to_contain_text("待发送")
    web.shot("bans-pending")

    # The worker relays the callback; the page follows its state.
    assert relay_once() == (1, 0)
    assert [(path, body["banstatus"]) for _, path, body in RECORDED] == [("/trainingban", "2")]
    web.page.reload()
    row = web.page.get_by_role("row", name=school.carnum)
    expect(row.locator('[data-callback="delivered"]')).to_contain_text("已送达")
    web.shot("bans-delivered")

    web.go("/console/watchlist/")
    web.page.get_by_role("link", name="月度通报", exact=True).click()
    notice = web.page.locator("article.notice")
    expect(notice.get_by_role("heading", level=2)).to_contain_text(
        "长沙市重点监管驾培机构和教练员名单"
    )
    expect(notice.locator('[data-section="coaches"]')).to_contain_text(school.coachnum)
    expect(notice.locator('[data-section="schools"]')).to_contain_text("无")
    expect(web.page.get_by_role("button", name="打印")).to_be_visible()
    web.shot("watchlist-notice")
    web.page.emulate_media(media="print")
    expect(web.page.locator(".sidenav")).to_be_hidden()
    expect(web.page.locator(".topbar")).to_be_hidden()
    expect(web.page.get_by_role("button", name="打印")).to_be_hidden()
    expect(notice).to_be_visible()
    web.shot("watchlist-notice-print")
    pdf = web.page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")


def test_the_rankings_render_with_data(
    monkeypatch: pytest.MonkeyPatch,
    as_user: Callable[..., Any],
    province_regulator: Any,
    minutes: Any,  # noqa: F811
    api: Any,
    school: Any,
) -> None:
    monkeypatch.setattr(ranking, "RANKING_SECONDS", 0)  # the cache outlives the database
    for n, passed in enumerate((True, False), start=1):
        sit(api, school.stunum, "2", passed, n)
    web = as_user(province_regulator.username)

    web.go(f"/console/rankings/platforms/?month={MONTH}&span=6")
    table = web.page.locator("table").first
    expect(table.get_by_role("row").nth(1)).to_contain_text("C0003")
    expect(web.page.locator("svg.chart-line")).to_be_visible()
    web.shot("platform-ranking")
    web.page.get_by_label("趋势指标").select_option("completeness")
    web.page.get_by_role("button", name="查询").click()
    expect(web.page.locator("figcaption")).to_contain_text("数据完整率（%）")
    web.shot("platform-ranking-completeness")

    start = (clock.today() - timedelta(days=30)).isoformat()
    web.go(f"/console/rankings/pass-rates/?start={start}")
    row = web.page.get_by_role("row", name=school.inscode)
    expect(row).to_contain_text("50.0%")
    expect(row).to_contain_text("样本不足 100 人，不排名")
    web.shot("pass-rates")
