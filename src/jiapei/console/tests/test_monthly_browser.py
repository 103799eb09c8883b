"""The monthly report in a real browser: a city's officer corrects a refused figure, submits the
form and opens the downloaded .xlsx; the province sees the city's submission; the home page
shows today's alerts."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from jiapei.reports import dashboard, submissions
from jiapei.reports.monthly import FIELDS
from jiapei.reports.tests.conftest import local, work_order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture(autouse=True)
def _uncached(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing counted here is cached for the next test (the home page's figures and the
    report's)."""
    monkeypatch.setattr(submissions, "FIGURES_SECONDS", 0)
    monkeypatch.setattr(dashboard, "FIGURES_SECONDS", 0)


def test_a_city_submits_its_monthly_form_and_opens_the_xlsx(
    as_user: Callable[..., Any], make_user: Callable[..., Any], frozen_clock: Any
) -> None:
    # Ticking, so the browser's session cookies and the pages see a clock that moves.
    frozen_clock.freeze("2026-11-03 10:00", tick=True)
    make_user("city_regulator", "430100", username="changsha")
    make_user("province_regulator", "430000", username="hunan")
    web = as_user("changsha")

    web.page.get_by_role("link", name="专项整治月报表").click()
    expect(web.page.get_by_role("heading", level=1)).to_contain_text("长沙市 · 2026年10月")
    expect(web.page.locator("[data-status]").first).to_have_text("未填报")
    entered = [f for f in FIELDS if f.source == "entered"]
    for n, f in enumerate(entered, start=1):
        web.page.get_by_label(f.label, exact=True).fill(str(n * 10))
    web.page.get_by_label(entered[0].label, exact=True).fill("-3")
    web.page.get_by_role("button", name="报送省厅").click()
    expect(web.page.locator(".error-summary")).to_contain_text(
        "核查驾培机构数量：确保该值大于或等于0"
    )
    web.shot("monthly-error")
    web.page.get_by_label(entered[0].label, exact=True).fill("10")
    web.page.get_by_role("button", name="保存草稿").click()
    expect(web.page.get_by_role("status")).to_contain_text("草稿已保存")
    web.page.get_by_role("button", name="报送省厅").click()
    expect(web.page.get_by_role("status")).to_contain_text("月报表已报送省厅")
    expect(web.page.locator("[data-status]").first).to_have_text("按时报送")
    web.shot("monthly-submitted")

    with web.page.expect_download() as info:
        web.page.get_by_role("link", name="下载 Excel（附件2 格式）").click()
    download = info.value
    assert download.suggested_filename == "全省机动车驾驶员培训专项整治月报表-长沙市-2026-10.xlsx"
    # Playwright keeps the file without its extension; openpyxl reads it from its bytes.
    sheet = load_workbook(BytesIO(download.path().read_bytes())).active
    assert sheet["A1"].value == "全省机动车驾驶员培训专项整治月报表"
    assert sheet["A2"].value == "长沙市交通运输局：（盖章）"
    row = {f.name: sheet.cell(row=5, column=i).value for i, f in enumerate(FIELDS, start=1)}
    assert [row[f.name] for f in entered] == [n * 10 for n in range(1, len(entered) + 1)]

    web.page.get_by_role("button", name="退出登录").click()
    web = as_user("hunan")
    web.go("/console/monthly/?month=2026-10")
    expect(web.page.locator('[data-city="430100"]')).to_contain_text("按时报送")
    expect(web.page.locator('[data-city="430200"]')).to_contain_text("未填报")
    expect(web.page.locator("#rollup-table tr.total")).to_contain_text("湖南省合计")
    web.shot("monthly-province")


def test_the_home_page_shows_todays_alerts(
    as_user: Callable[..., Any],
    make_user: Callable[..., Any],
    frozen_clock: Any,
    file_school: Callable[..., Any],
) -> None:
    frozen_clock.freeze("2026-11-01 09:00", tick=True)
    school = file_school("430104")
    frozen_clock.freeze("2026-11-20 08:30", tick=True)
    work_order(school, local(2026, 11, 10))
    work_order(school, local(2026, 11, 14))
    make_user("county_regulator", "430104", username="yuelu")
    web = as_user("yuelu")
    alerts = web.page.locator("#alerts")
    expect(alerts).to_contain_text("今日提醒")
    expect(alerts.locator('[data-alert="overdue"]')).to_have_count(1)
    expect(alerts.locator('[data-alert="due"]')).to_have_count(1)
    expect(alerts.locator('[data-alert="silent"]')).to_contain_text("近 60 天无教学日志")
    web.shot("dashboard-alerts")
