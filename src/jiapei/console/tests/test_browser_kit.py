"""The console's frame in a real browser: logging in and out, lockout, and region scoping."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from jiapei.registry.models import Institution
from jiapei.testing.fixtures import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_cjk_fonts_are_installed() -> None:
    """Without a CJK font the screenshots show boxes while every text assertion still passes."""
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    assert fonts.stdout.strip(), "no CJK font: install fonts-wqy-microhei (.ci/run does)"


def test_login_lands_on_the_dashboard_and_logout_ends_the_session(
    as_user: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    make_user("city_regulator", "430100", username="changsha")
    web = as_user("changsha")
    expect(web.page).to_have_url(f"{web.base}/console/")
    expect(web.page.get_by_role("heading", level=1)).to_have_text("工作台")
    expect(web.page.locator("html")).to_have_attribute("lang", "zh-Hans")
    web.shot("dashboard")
    web.page.get_by_role("button", name="退出登录").click()
    expect(web.page).to_have_url(f"{web.base}/accounts/login/")
    assert web.go("/console/institutions/").url.startswith(f"{web.base}/accounts/login/")


def test_repeated_wrong_passwords_lock_the_login(
    as_user: Callable[..., Any], make_user: Callable[..., Any], settings: Any
) -> None:
    make_user("city_regulator", "430100", username="changsha")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        web = as_user("changsha", "wrong-password-123")
        expect(web.page.locator(".error-summary")).to_be_visible()
        expect(web.page).to_have_title(re.compile("^错误："))
    web = as_user("changsha", "wrong-password-123")
    expect(web.page.get_by_role("alert")).to_contain_text("登录失败次数过多")
    # Locked: even the right password is refused, before it is checked.
    web = as_user("changsha")
    expect(web.page.get_by_role("alert")).to_contain_text("登录失败次数过多")
    assert "/console/" not in web.page.url
    web.shot("lockout")


def test_each_level_sees_only_its_region(
    as_user: Callable[..., Any], make_user: Callable[..., Any], file_school: Callable[..., Any]
) -> None:
    file_school("430104")  # 长沙 岳麓区
    file_school("430203")  # 株洲 芦淞区
    names = dict(Institution.objects.values_list("district_id", "name"))
    make_user("county_regulator", "430104", username="yuelu")
    make_user("city_regulator", "430200", username="zhuzhou")
    make_user("province_regulator", "430000", username="sheng")

    web = as_user("zhuzhou")
    web.go("/console/institutions/")
    body = web.page.locator("main")
    expect(body).to_contain_text(names["430203"])
    expect(body).not_to_contain_text(names["430104"])
    expect(web.page.get_by_role("status")).to_contain_text("共 1 条记录")
    web.shot("institutions")
    # Another city's school by its id: not admitted to exist.
    other = Institution.objects.get(district_id="430104")
    assert web.go(f"/console/institutions/{other.pk}/").status == 404
    web.page.get_by_role("button", name="退出登录").click()

    web = as_user("sheng")
    web.go("/console/institutions/")
    expect(web.page.get_by_role("status")).to_contain_text("共 2 条记录")


def test_lists_filter_and_page_without_javascript(
    browser: Any,
    live_server: Any,
    make_user: Callable[..., Any],
    file_school: Callable[..., Any],
    _orm_under_playwright: None,
) -> None:
    """Every list reads without JavaScript: the filter form is a GET form, sort and page links
    are real links (reference/ui.md rule 1)."""
    for _ in range(3):
        file_school("430203")
    wanted = Institution.objects.order_by("inscode").first()
    assert wanted is not None
    make_user("city_regulator", "430200", username="zhuzhou")
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("zhuzhou")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/console/institutions/")
    expect(page.get_by_role("status")).to_contain_text("共 3 条记录")
    page.locator("summary").first.click()
    page.get_by_label("搜索").fill(wanted.inscode)
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("status")).to_contain_text("共 1 条记录")
    assert f"q={wanted.inscode}" in page.url
    page.goto(f"{live_server.url}/console/institutions/")
    page.get_by_role("link", name="机构编号").click()
    assert "sort=inscode" in page.url
    context.close()


def test_the_language_switch_turns_the_console_english_and_back(
    as_user: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    make_user("city_regulator", "430100", username="changsha")
    web = as_user("changsha")
    web.page.get_by_role("button", name="English").click()
    expect(web.page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(web.page.locator("html")).to_have_attribute("lang", "en")
    expect(web.page.get_by_role("navigation")).to_contain_text("Training institutions")
    web.page.get_by_role("button", name="简体中文").click()
    expect(web.page.get_by_role("heading", level=1)).to_have_text("工作台")
