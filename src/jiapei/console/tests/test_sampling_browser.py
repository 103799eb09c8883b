"""The manual audit and the thresholds in a real browser: a county officer draws October, works
through every drawn log to 100 % (a bad verdict opening a work order) and re-verifies the draw
from its seed; a city officer previews a threshold change, sees the student it would change,
then applies it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from jiapei.console.tests.sampling_world import (  # noqa: F401
    Sampling,
    flag,
    ground,
    sampling_fixture,
    upload_logs,
)
from jiapei.supervision.models import ManualReview, Verdict
from jiapei.training.models import TeachingLog
from jiapei.workorders.models import WorkOrder

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_county_finishes_its_months_manual_audit_draw(
    sampling: Sampling, as_user: Callable[..., Any]
) -> None:
    # The city sets its share (seed 002's 60 %) from October on.
    web = as_user("changsha")
    web.go("/console/sampling/policy/")
    web.page.get_by_label("地市").select_option("430100")
    web.page.get_by_label("抽查比例（%）").fill("60")
    web.page.get_by_label("生效日期").fill("2026-10-01")
    web.page.get_by_role("button", name="保存").click()
    expect(web.page.get_by_role("status")).to_contain_text("抽查比例已保存")
    expect(web.page.get_by_role("row", name="长沙市").first).to_contain_text("60 %")
    web.shot("sampling-policy")
    web.page.get_by_role("button", name="退出登录").or_(
        web.page.get_by_role("link", name="退出登录")
    ).click()

    web = as_user("yuelu")
    web.go("/console/sampling/?month=2026-10")
    expect(web.page.locator("main")).to_contain_text("该月尚未抽取")
    web.page.get_by_label("行政区划").select_option("430104")
    web.page.get_by_label("月份", exact=True).last.fill("2026-10")
    web.page.get_by_role("button", name="抽取", exact=True).click()
    expect(web.page.get_by_role("status")).to_contain_text("已抽取")
    row = web.page.get_by_role("row", name="岳麓区")
    expect(row).to_contain_text("0/3（0%）")
    web.shot("sampling-draws")

    row.get_by_role("link", name="岳麓区").click()
    expect(web.page.locator("main")).to_contain_text("已抽查 0 / 3 条")
    web.shot("sampling-draw")
    web.page.get_by_role("link", name="开始抽查下一条").click()
    expect(web.page.get_by_role("heading", name="培训照片")).to_be_visible()
    web.shot("sampling-workbench")

    # The first log: a violation, with a note (refused without one).
    web.page.get_by_label("发现违规").check()
    web.page.get_by_role("button", name="提交结论").click()
    expect(web.page.locator(".error-summary").first).to_contain_text("判定违规须填写说明")
    web.page.get_by_label("发现违规").check()
    web.page.get_by_label("说明").fill("签到照片与学员本人不符")
    web.page.get_by_role("button", name="提交结论").click()
    expect(web.page.get_by_role("status").first).to_contain_text("已判定违规，已生成工单")
    # The rest: no problem found, one after the other until the draw is done.
    for _ in range(2):
        web.page.get_by_label("未发现问题").check()
        web.page.get_by_role("button", name="提交结论").click()
    expect(web.page.locator("main")).to_contain_text("本批次已全部抽查完毕")
    expect(web.page.locator("main")).to_contain_text("100%")
    web.shot("sampling-draw-done")

    web.page.get_by_role("link", name="人工抽查").first.click()
    expect(web.page.get_by_role("row", name="岳麓区")).to_contain_text("3/3（100%）")
    web.shot("sampling-draws-done")
    bad = ManualReview.objects.get(verdict=Verdict.BAD)
    order = WorkOrder.objects.get(review=bad)
    assert order.description == "签到照片与学员本人不符"
    assert ManualReview.objects.filter(verdict=Verdict.PENDING).count() == 0

    web.go(f"/console/sampling/{bad.draw_id}/reviews/{bad.pk}/")
    expect(web.page.locator("main")).to_contain_text(order.number)
    web.shot("sampling-review-bad")
    web.go(f"/console/sampling/{bad.draw_id}/")
    web.page.get_by_role("link", name="按种子复核").click()
    expect(web.page.locator(".banner-success")).to_contain_text("一致")
    web.shot("sampling-verify")


def test_a_city_previews_a_threshold_change_then_applies_it(
    sampling: Sampling, as_user: Callable[..., Any]
) -> None:
    web = as_user("changsha")
    web.go("/console/thresholds/")
    expect(web.page.get_by_role("row", name="face_confidence_min")).to_contain_text("默认值")
    web.shot("thresholds")
    web.page.get_by_role("link", name="修改阈值").click()
    web.page.get_by_label("适用范围").select_option("city:430100")
    web.page.locator("#id_field").select_option("face_confidence_min")
    web.page.get_by_label("新值").fill("95")
    web.page.get_by_label("生效日期").fill("2026-10-01")
    web.page.get_by_role("button", name="试算").click()
    results = web.page.locator("main")
    expect(results).to_contain_text("1 名学员的结论会改变")
    expect(results).to_contain_text(sampling.school.stunum)
    web.shot("thresholds-preview")

    web.page.get_by_label("我已核对试算结果，确认应用并重新审核").check()
    web.page.get_by_role("button", name="应用").click()
    expect(web.page.get_by_role("status")).to_contain_text("2 名学员的学时已排队重新审核")
    row = web.page.get_by_role("row", name="face_confidence_min")
    expect(row).to_contain_text("95")
    expect(row).to_contain_text("本市设置")
    web.shot("thresholds-applied")
    # The worker re-audits them: the student's credited hours fall as the dry run said.
    credited = sum(TeachingLog.objects.values_list("credited_minutes", flat=True))
    call_command("worker", once=True)
    assert sum(TeachingLog.objects.values_list("credited_minutes", flat=True)) < credited
