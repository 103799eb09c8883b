"""Findings in a real browser: a county officer finds a FACE_SHARED finding in the list, judges
it from its photo pair (the same picture in two students' sessions) and opens a work order
from the page; another county's officer cannot open it by its URL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from jiapei.console.tests.findings_world import (
    Shared,
    county_user,
    shared_fixture,  # noqa: F401  (``shared``)
)
from jiapei.fraud.models import Finding
from jiapei.workorders.models import WorkOrder

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_face_shared_finding_is_judged_from_its_photo_pair_and_ordered(
    as_user: Callable[..., Any], make_user: Callable[..., Any], shared: Shared
) -> None:
    county_user(make_user, "430104", "yuelu")
    county_user(make_user, "430102", "furong")
    finding = shared.finding
    web = as_user("yuelu")

    web.page.get_by_role("navigation").get_by_role("link", name="异常线索").click()
    web.page.locator("form.filters summary").click()
    web.page.get_by_label("检测规则").select_option("FACE_SHARED")
    web.page.get_by_role("button", name="查询").click()
    row = web.page.get_by_role("row").filter(has_text="同一人脸出现在不同学员的培训中")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("待研判")
    web.shot("findings")

    row.get_by_role("link", name=str(finding.pk)).click()
    expect(web.page.get_by_role("heading", name="照片比对")).to_be_visible()
    pair = web.page.locator('[data-pair="1"]')
    images = pair.get_by_role("img")
    expect(images).to_have_count(2)
    # Every picture loads through the scoped file view (naturalWidth is 0 for a broken image;
    # the wait times out if one never loads).
    web.page.wait_for_function(
        "() => [...document.querySelectorAll('[data-pair] img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    expect(pair).to_contain_text("汉明距离 0")
    expect(pair).to_contain_text(shared.first.rnum)
    expect(pair).to_contain_text(shared.later.rnum)
    expect(pair.locator(".evidence-own")).to_have_count(1)
    web.shot("finding-photo-pair")

    web.page.get_by_text("转为工单", exact=True).first.click()
    web.page.get_by_label("研判意见").fill("两名学员培训照片为同一张，疑似替学")
    web.page.get_by_label("我已核对证据，确认转为工单").check()
    web.page.get_by_role("button", name="转为工单").click()
    order = WorkOrder.objects.get(findings=finding)
    expect(web.page.get_by_role("status")).to_contain_text("已转为工单")
    expect(web.page.locator(f'[data-order="{order.number}"]')).to_be_visible()
    expect(web.page.locator('[data-status="ordered"]')).to_have_text("已转工单")
    assert Finding.objects.get(pk=finding.pk).status == "ordered"
    web.shot("finding-ordered")

    # Another county's officer, guessing the URL, is told the finding does not exist.
    web.page.context.clear_cookies()
    web = as_user("furong")
    assert web.go(f"/console/findings/{finding.pk}/").status == 404
