"""Fences and police routes in a real browser: a fence approved from its map page reaches the
outbox; a city enters a route on the drawn form, which a county then reads without a button."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from jiapei.core.models import AuditLogEntry
from jiapei.outbox.models import OutboxMessage
from jiapei.registry.models import TeachingArea
from jiapei.testing import factories as f

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

ROUTE = "112.954659,28.236486\n112.985341,28.236486\n112.985341,28.263514\n112.954659,28.263514"


def test_a_fence_approved_from_the_map_page_reaches_the_outbox(
    as_user: Callable[..., Any], make_user: Callable[..., Any], tp: Any, school: Any
) -> None:
    tp.post("region", f.AreaPayload(inscode=school.inscode, seq="1", name="岳麓训练场"))
    tp.post("region", f.AreaPayload(inscode=school.inscode, seq="2", name="备用训练场"))
    make_user("city_regulator", "430100", username="changsha")
    web = as_user("changsha")

    web.go("/console/areas/")
    expect(web.page.get_by_role("status")).to_contain_text("共 2 条记录")
    web.shot("areas")
    web.page.get_by_role("row", name="岳麓训练场").get_by_role("link", name="0001").click()
    expect(web.page.get_by_role("heading", level=1)).to_contain_text("岳麓训练场")
    expect(web.page.locator("svg.map path.map-area")).to_have_count(1)
    expect(web.page.locator("svg.map path.map-area-other")).to_have_count(1)
    expect(web.page.locator("figcaption")).to_contain_text("该机构其他教学区域 1 个")
    web.shot("area-map")

    # Rejecting without a reason is refused, on the form.
    web.page.get_by_label("驳回", exact=True).check()
    web.page.get_by_label("我已核对地图与备案信息，确认提交审核结论").check()
    web.page.get_by_role("button", name="提交审核结论").click()
    expect(web.page.locator(".error-summary")).to_contain_text("驳回须说明原因")
    web.shot("area-reject-refused")

    web.page.get_by_label("通过", exact=True).check()
    web.page.get_by_label("理由").fill("现场核查一致")
    web.page.get_by_label("我已核对地图与备案信息，确认提交审核结论").check()
    web.page.get_by_role("button", name="确认").click()
    expect(web.page.get_by_role("status")).to_contain_text("审核结论已保存")
    area = TeachingArea.objects.get(institution__inscode=school.inscode, seq="0001")
    assert (area.status, area.review_reason) == ("approved", "现场核查一致")
    entry = AuditLogEntry.objects.get(action="region.review", object_id=str(area.pk))
    message = OutboxMessage.objects.get(idempotency_key=f"reviewmsg:{entry.pk}")
    assert message.path == "/reviewmsg" and message.status == "pending"
    callback = web.page.locator(f'[data-outbox="reviewmsg:{entry.pk}"]')
    expect(callback).to_have_text("待发送")
    expect(web.page.get_by_role("button", name="提交审核结论")).to_have_count(0)
    web.shot("area-approved")


def test_a_city_enters_a_route_that_its_counties_read(
    as_user: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    make_user("city_regulator", "430100", username="changsha")
    make_user("county_regulator", "430104", username="yuelu")
    web = as_user("changsha")
    web.go("/console/routes/")
    expect(web.page.locator("tr.empty")).to_contain_text("还没有公安指定路线")
    web.page.get_by_role("link", name="录入路线").click()
    web.page.get_by_label("路线编号").fill("3")
    web.page.get_by_label("路线名称").fill("枫林路训练路线")
    web.page.get_by_label("培训车型").fill("C1")
    web.page.get_by_label("路线范围坐标").fill(ROUTE)
    web.page.locator("#id_tw-0-start").fill("09:00")
    web.page.locator("#id_tw-0-end").fill("11:30")
    web.page.get_by_role("button", name="预览").click()
    expect(web.page.locator("svg.map path.map-route")).to_have_count(1)
    web.shot("route-form")
    web.page.get_by_role("button", name="保存").click()
    expect(web.page.get_by_role("status")).to_contain_text("路线已录入")
    expect(web.page.locator("main")).to_contain_text("每天 09:00–11:30")
    web.shot("route")
    route = TeachingArea.objects.get(police_designated=True)
    assert (route.region_id, route.seq, route.status) == ("430100", "0003", "approved")
    web.page.get_by_role("button", name="退出登录").click()

    web = as_user("yuelu")
    web.go("/console/routes/")
    expect(web.page.locator("main")).to_contain_text("枫林路训练路线")
    expect(web.page.get_by_role("link", name="录入路线")).to_have_count(0)
    web.page.get_by_role("link", name="0003").click()
    expect(web.page.locator("svg.map path.map-route")).to_have_count(1)
    expect(web.page.get_by_role("link", name="修改路线")).to_have_count(0)
    assert web.go(f"/console/routes/{route.pk}/edit/").status == 403
