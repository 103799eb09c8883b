"""The dashboard and the audit trail in a real browser, as each level: the to-do list first,
the charts with their tables, nothing of another region; screenshots for a reviewer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from jiapei.audit.tasks import drain_requests
from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.registry.models import Institution
from jiapei.testing import sessions
from jiapei.testing.fixtures import School
from jiapei.testing.sessions import play_session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

ground = sessions.ground  # the school's training ground, approved (a fixture)


def test_each_level_sees_its_dashboard_and_trail(
    as_user: Callable[..., Any],
    make_user: Callable[..., Any],
    tp: Any,
    school: School,
    ground: Any,
    file_school: Callable[..., School],
) -> None:
    yesterday = datetime.combine(
        clock.today() - timedelta(days=1), time(9), ZoneInfo("Asia/Shanghai")
    )
    play_session(tp, school, recnum="00001", start=yesterday, length=20)
    drain_requests(actor=Actor.system("test"))
    other = file_school("430203")  # 株洲: must not show below 长沙 or 岳麓区
    other_name = Institution.objects.get(inscode=other.inscode).name
    mine = Institution.objects.get(inscode=school.inscode).name
    levels = [
        ("province_regulator", "430000", "prov", True),
        ("city_regulator", "430100", "changsha", False),
        ("county_regulator", "430104", "yuelu", False),
    ]
    for role, region, username, _sees_other in levels:
        make_user(role, region, username=username)
    for role, _region, username, sees_other in levels:
        web = as_user(username)
        assert web.go("/console/").status == 200
        expect(web.page.get_by_role("heading", level=1)).to_have_text("工作台")
        expect(web.page.get_by_role("heading", name="待办事项")).to_be_visible()
        expect(web.page.get_by_role("img", name="近30天无效学时占比")).to_be_visible()
        expect(web.page.get_by_role("img", name="本月疑点线索（按检测规则）")).to_be_visible()
        # The chart's numbers open below it, without JavaScript.
        web.page.locator(".chart-data summary").first.click()
        expect(web.page.locator(".chart-data table").first).to_be_visible()
        web.shot(f"dashboard-{role.split('_')[0]}")
        assert web.go("/console/trail/").status == 200
        body = web.page.locator("main").inner_text()
        assert ("4302" in body) is sees_other, username
        web.go("/console/trail/?object_type=registry.institution")
        expect(web.page.get_by_label("对象类型")).to_have_value("registry.institution")
        table = web.page.locator("main table")
        expect(table).not_to_contain_text("计时终端")
        expect(table).to_contain_text("培训机构")
        web.shot(f"trail-{role.split('_')[0]}")
        table.locator("a[href^='/console/institutions/']").last.click()
        web.page.wait_for_load_state()
        if not sees_other:
            expect(web.page.get_by_role("heading", level=1)).to_contain_text(mine)
        assert other_name not in web.page.content() or sees_other
        web.page.get_by_role("button", name="退出登录").click()
