"""Work orders in a real browser: a county officer opens an order from the queue, takes it,
decides "voided" after reading the preview, and sees the approved stage revoked and the police
withdrawal queued in the outbox; another county's order is not found by its URL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from jiapei.cli.worker import relay_once

# The stage tests' fixtures: a 60-minute part 2 (autouse) and the fake police platform.
from jiapei.stages.tests.conftest import police, short_part_two  # noqa: F401
from jiapei.testing.stages import police_messages
from jiapei.training.models import TeachingLog
from jiapei.workorders.tests.factories import order_for, session
from jiapei.workorders.tests.test_clearance import zhuzhou_order
from jiapei.workorders.tests.test_voiding import approved_and_pushed

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.mark.usefixtures("police")
def test_a_voided_decision_revokes_the_stage_and_queues_the_police_withdrawal(
    as_user: Callable[..., Any],
    make_user: Callable[..., Any],
    tp: Any,
    school: Any,
    ground: Any,
    file_school: Any,
) -> None:
    rnum, review = approved_and_pushed(tp, school)
    order = order_for([rnum])
    theirs = zhuzhou_order(file_school("430103").inscode)
    make_user("county_regulator", "430104", username="yuelu")
    web = as_user("yuelu")

    # Another county's order, guessed by URL, does not exist for 岳麓.
    assert web.go(f"/console/workorders/{theirs.pk}/").status == 404
    assert web.go(f"/console/workorders/{theirs.pk}/decide/").status == 404

    web.go("/console/workorders/")
    row = web.page.get_by_role("row", name=order.number)
    expect(row).to_contain_text("待处置")
    expect(row).to_contain_text("剩 7 天")
    expect(web.page.locator("main")).not_to_contain_text(theirs.number)
    web.shot("workorders")
    row.get_by_role("link", name=order.number).click()
    expect(web.page.get_by_role("heading", name=f"工单 {order.number}")).to_be_visible()
    expect(web.page.locator(f'[data-rnum="{rnum}"]')).to_contain_text("60")

    web.page.get_by_role("button", name="开始处置").click()
    expect(web.page.get_by_role("status")).to_contain_text("已开始处置")
    expect(web.page.locator('[data-event="workorders.start"]')).to_contain_text("yuelu")
    web.shot("workorder")

    web.page.get_by_role("link", name="作出处置结论").click()
    web.page.get_by_label("作废学时", exact=True).check()
    web.page.get_by_label("处置理由").fill("照片重复使用，查实代培")
    web.page.get_by_role("button", name="下一步：查看处置影响").click()
    preview = web.page.locator("#preview")
    expect(preview).to_contain_text("共 60 分钟认定学时")
    expect(preview.locator(f'[data-part="{school.stunum}-2"]')).to_contain_text(
        "作废后低于大纲要求"
    )
    expect(preview.locator(f'[data-review="{review.pk}"]')).to_contain_text("撤回科目")
    web.shot("workorder-preview")
    # Nothing happened yet.
    assert TeachingLog.objects.get(rnum=rnum).voided_at is None
    assert police_messages("/hours/withdraw") == []

    web.page.get_by_label("我已核对上述影响，确认处置").check()
    web.page.get_by_role("button", name="确认处置").click()
    expect(web.page.get_by_role("status")).to_contain_text("工单已办结")
    [withdrawal] = police_messages("/hours/withdraw")
    assert withdrawal.payload["stageid"] == str(review.pk)
    expect(web.page.locator(f'[data-revoked="{review.pk}"]')).to_be_visible()
    sent = web.page.locator(f'[data-outbox="{withdrawal.idempotency_key}"]')
    expect(sent).to_be_visible()
    expect(web.page.locator(f'[data-rnum="{rnum}"]')).to_contain_text("已作废")
    web.shot("workorder-voided")

    # The stage's own page shows the revocation and, once relayed, the delivered withdrawal.
    relay_once()
    web.page.get_by_role("link", name=f"审核 #{review.pk}").click()
    expect(web.page.locator("main")).to_contain_text("撤销")
    expect(web.page.locator(f'[data-outbox="{withdrawal.idempotency_key}"]')).to_contain_text(
        "撤回公安平台学时"
    )

    web.go("/console/workorders/clearance/")
    expect(web.page.locator('[data-region="430104"]')).to_contain_text("100%")
    web.shot("workorder-clearance")


def test_the_province_drills_the_clearance_rate_down_to_the_counties(
    as_user: Callable[..., Any],
    province_regulator: Any,
    tp: Any,
    school: Any,
    ground: Any,
    file_school: Any,
) -> None:
    rnum = session(tp, school, 1, length=20)
    order_for([rnum])
    order_for([rnum], detector="FACE_SHARED")
    zhuzhou_order(file_school("430202").inscode)
    web = as_user(province_regulator.username)

    web.go("/console/")
    web.page.get_by_role("link", name="工单处置率").click()
    expect(web.page.locator('[data-region="430200"]')).to_contain_text("0%")
    expect(web.page.locator("#clearance-rate")).to_contain_text("0%")
    web.page.locator('[data-region="430100"]').get_by_role("link", name="长沙市").click()
    expect(web.page.locator('[data-region="430104"]')).to_contain_text("2")
    expect(web.page.locator("nav.breadcrumbs")).to_contain_text("湖南省")
    web.shot("workorder-clearance-city")
    with web.page.expect_download() as download:
        web.page.get_by_role("link", name="导出 Excel").click()
    assert download.value.suggested_filename.startswith("clearance-430100-")
