"""Stage reviews in a real browser: a record approved from the queue leads to a police push in
the outbox, which the page follows until the police platform acknowledges it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from jiapei.cli.worker import relay_once
from jiapei.console.tests.test_stages_pages import submit_stage
from jiapei.integrations.police.fake import shared_fake
from jiapei.testing.stages import police_messages

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_stage_record_approved_from_the_queue_leads_to_a_police_push_in_the_outbox(
    as_user: Callable[..., Any],
    make_user: Callable[..., Any],
    tp: Any,
    school: Any,
    settings: Any,
) -> None:
    settings.JIAPEI_POLICE_BACKEND = "fake"
    shared_fake().reset()
    review = submit_stage(tp, school)
    make_user("city_regulator", "430100", username="changsha")
    web = as_user("changsha")

    web.go("/console/stages/")
    row = web.page.get_by_role("row", name=school.stunum)
    expect(row).to_contain_text("待人工审核")
    web.shot("stages")
    row.get_by_role("link", name=str(review.pk)).click()
    expect(web.page.locator(".banner-warning")).to_contain_text("平台报送学时与审核一致")
    expect(web.page.locator("main")).to_contain_text("引用的教学日志（2 条）")
    web.shot("stage-evidence")

    web.page.get_by_label("通过", exact=True).check()
    web.page.get_by_label("我已核对审核依据，确认提交审核结论").check()
    web.page.get_by_role("button", name="提交审核结论").click()
    expect(web.page.get_by_role("status")).to_contain_text("审核结论已保存")
    [push] = police_messages()
    assert push.payload["stageid"] == str(review.pk) and push.status == "pending"
    sent = web.page.locator(f'[data-outbox="{push.idempotency_key}"]')
    expect(sent).to_contain_text("学时推送公安平台")
    expect(sent).to_contain_text("待发送")
    web.shot("stage-approved")

    # The worker relays the push; the police platform acknowledges it.
    relay_once()
    web.page.reload()
    expect(web.page.locator(f'[data-outbox="{push.idempotency_key}"]')).to_contain_text(
        "公安平台已确认"
    )
    expect(web.page.get_by_role("heading", name="撤销审核")).to_be_visible()
    web.shot("stage-acknowledged")
