"""The registry in a real browser: a city revokes a coach's filing from the coach's page, the
province suspends a timing platform, a city sees no platform action, the 无绑定终端 filter from
the filter form; and screenshots of the registry's main pages (var/screenshots/console/)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from jiapei.console.tests.registry_world import World, build_world
from jiapei.core.models import AuditLogEntry
from jiapei.registry.models import Device, Institution, Personnel, TimingPlatform, TrainingCar

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def world(tp: Any, file_school: Callable[..., Any], make_user: Callable[..., Any]) -> World:
    return build_world(tp, file_school, make_user)


def confirm(web: Any, reason: str) -> None:
    """Fill the action's form: the reason, the confirmation box, then 确认."""
    web.page.get_by_label("理由").fill(reason)
    web.page.get_by_label("我已核对，确认执行此操作").check()
    web.page.get_by_role("button", name="确认").click()
    web.page.wait_for_load_state()


def test_a_city_revokes_a_coach_from_the_coach_page(
    world: World, as_user: Callable[..., Any]
) -> None:
    coach = Personnel.objects.get(number=world.yuelu.coachnum)
    web = as_user("cs")
    web.go("/console/coaches/")
    web.page.get_by_role("link", name=coach.number).click()
    expect(web.page.get_by_role("heading", level=1)).to_contain_text(coach.name)
    web.page.get_by_role("link", name="撤销备案").click()
    expect(web.page.get_by_role("heading", level=1)).to_contain_text("撤销备案")
    web.shot("registry-coach-revoke-form")
    # Without a reason the form says what is missing and nothing happens.
    web.page.get_by_label("我已核对，确认执行此操作").check()
    web.page.get_by_role("button", name="确认").click()
    expect(web.page.locator(".error-summary")).to_be_visible()
    confirm(web, "教练员证已过期，暂停带教")

    expect(web.page).to_have_url(f"{web.base}/console/coaches/{coach.pk}/")
    expect(web.page.get_by_role("status").first).to_contain_text("备案已撤销")
    expect(web.page.locator("dl.summary").first).to_contain_text("已撤销")
    history = web.page.locator("section[aria-labelledby=history-title]")
    row = history.get_by_role("row").filter(has_text="教练员撤销备案")
    expect(row).to_contain_text("教练员证已过期，暂停带教")
    expect(row).to_contain_text("cs")
    expect(web.page.get_by_role("link", name="恢复备案")).to_be_visible()
    web.shot("registry-coach-revoked")
    coach.refresh_from_db()
    assert coach.filing_status == "revoked"
    assert AuditLogEntry.objects.filter(action="coach.revoke", object_id=str(coach.pk)).exists()


def test_the_province_suspends_a_platform(world: World, as_user: Callable[..., Any]) -> None:
    platform = TimingPlatform.objects.get()
    web = as_user("sheng")
    web.go("/console/platforms/")
    web.shot("registry-platforms")
    web.page.get_by_role("link", name=platform.platnum).click()
    expect(web.page.locator("main")).to_contain_text(platform.cert_serial)
    web.page.get_by_role("link", name="暂停", exact=True).click()
    confirm(web, "连续三日未上传学时数据")
    expect(web.page).to_have_url(f"{web.base}/console/platforms/{platform.pk}/")
    expect(web.page.get_by_role("status").first).to_contain_text("计时平台已暂停")
    expect(web.page.locator("dl.summary")).to_contain_text("暂停")
    expect(web.page.locator("dl.summary")).to_contain_text("连续三日未上传学时数据")
    history = web.page.locator("section[aria-labelledby=history-title]")
    expect(history.get_by_role("row").filter(has_text="变更计时平台状态")).to_contain_text(
        "连续三日未上传学时数据"
    )
    expect(web.page.get_by_role("link", name="恢复", exact=True)).to_be_visible()
    web.shot("registry-platform-suspended")
    platform.refresh_from_db()
    assert platform.status == "suspended"


def test_a_city_sees_no_platform_action(world: World, as_user: Callable[..., Any]) -> None:
    platform = TimingPlatform.objects.get()
    web = as_user("cs")
    web.go(f"/console/platforms/{platform.pk}/")
    main = web.page.locator("main")
    expect(main).to_contain_text("证书与回调地址仅省级监管部门可见")
    expect(main).not_to_contain_text(platform.cert_serial)
    for name in ("暂停", "吊销", "恢复"):
        expect(web.page.get_by_role("link", name=name, exact=True)).to_have_count(0)
    web.shot("registry-platform-city")
    assert web.go(f"/console/platforms/{platform.pk}/suspend/").status == 403


def test_cars_without_a_terminal_from_the_filter_form(
    world: World, as_user: Callable[..., Any]
) -> None:
    web = as_user("cs")
    web.go("/console/cars/")
    expect(web.page.get_by_role("status")).to_contain_text("共 3 条记录")
    web.page.locator("form.filters summary").click()
    web.page.get_by_label("无绑定终端").check()
    web.page.get_by_role("button", name="查询").click()
    expect(web.page.get_by_role("status")).to_contain_text("共 1 条记录")
    expect(web.page.locator("#results")).to_contain_text(world.bare_car)
    assert "unbound=on" in web.page.url
    web.shot("registry-cars-unbound")


def test_screenshots_of_the_registry_pages(world: World, as_user: Callable[..., Any]) -> None:
    """Every registry page a city reaches answers, names none of another city's schools, and
    is saved for review."""
    school = Institution.objects.get(inscode=world.yuelu.inscode)
    car = TrainingCar.objects.get(carnum=world.yuelu.carnum)
    device = Device.objects.get(devnum=world.yuelu.devnum)
    idle = Personnel.objects.get(number=world.idle_coach)
    foreign = Institution.objects.get(inscode=world.zhuzhou.inscode).name
    pages = {
        "registry-institution": f"/console/institutions/{school.pk}/",
        "registry-coaches": "/console/coaches/",
        "registry-coaches-never-taught": "/console/coaches/?never_taught=on",
        "registry-coach-never-taught": f"/console/coaches/{idle.pk}/",
        "registry-examiners": "/console/examiners/",
        "registry-safety-officers": "/console/safety-officers/",
        "registry-cars": "/console/cars/",
        "registry-car": f"/console/cars/{car.pk}/",
        "registry-terminals": "/console/terminals/",
        "registry-terminal": f"/console/terminals/{device.pk}/",
        "registry-bindings": "/console/bindings/",
        "registry-fees": "/console/fees/",
    }
    web = as_user("cs")
    for name, path in pages.items():
        response = web.go(path)
        assert response.status == 200, path
        expect(web.page.locator("main")).not_to_contain_text(foreign)
        web.shot(name)
