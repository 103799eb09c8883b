"""A grouped work order in the console (issue 19): its page lists every finding it handles, each
linked to the finding's page, whose own page links back to the one order; the page's query count
does not grow with its findings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import expect

from jiapei.console.tests.test_areas_pages import login
from jiapei.core.actors import Actor
from jiapei.fraud.models import Finding
from jiapei.testing.pages import assert_flat_queries
from jiapei.testing.sessions import START
from jiapei.workorders import services
from jiapei.workorders.models import WorkOrder
from jiapei.workorders.tests.factories import finding, session
from jiapei.workorders.tests.test_grouping import same_day_sessions, scan


def grouped(tp: Any, school: Any) -> tuple[WorkOrder, list[Finding]]:
    """One order holding two findings of one detector on two sessions of one day."""
    first, second = same_day_sessions(tp, school)
    found = [finding([first]), finding([second])]
    order, same = scan(*found)
    assert order is not None and same == order
    return order, found


@pytest.mark.django_db
def test_the_order_page_lists_its_findings(
    make_user: Callable[..., Any], tp: Any, school: Any, ground: Any
) -> None:
    yuelu = login(make_user, "county_regulator", "430104", "yuelu")
    order, found = grouped(tp, school)
    html = yuelu.get(f"/console/workorders/{order.pk}/").content.decode()
    assert "2 条异常线索" in html and "异常线索（2 条）" in html
    for row in found:
        assert f'data-finding="{row.pk}"' in html
        assert f'href="/console/findings/{row.pk}/"' in html
    assert 'data-event="workorders.attach"' in html and "并入线索" in html

    # Each finding's page names the one order that handles it.
    for row in found:
        page = yuelu.get(f"/console/findings/{row.pk}/").content.decode()
        assert f'data-order="{order.number}"' in page

    def more() -> None:
        rnum = session(tp, school, 3, length=20, start=START - timedelta(days=2, hours=-4))
        assert scan(finding([rnum]), finding([rnum], tag="#2")) == [order, order]

    assert_flat_queries(yuelu, f"/console/workorders/{order.pk}/", more)
    assert order.findings.count() == 4


@pytest.mark.django_db
def test_an_order_without_findings_shows_no_findings_panel(
    make_user: Callable[..., Any], tp: Any, school: Any, ground: Any
) -> None:
    user = make_user("county_regulator", "430104", username="yuelu")
    client = Client()
    client.force_login(user)
    rnum = session(tp, school, 1, length=20)
    order, _ = services.open_manual(
        actor=Actor.for_user(user), inscode=school.inscode, rnums=[rnum], title="群众举报代培"
    )
    html = client.get(f"/console/workorders/{order.pk}/").content.decode()
    assert "群众举报代培" in html and "findings-title" not in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_regulator_follows_a_grouped_orders_findings(
    as_user: Callable[..., Any],
    make_user: Callable[..., Any],
    tp: Any,
    school: Any,
    ground: Any,
) -> None:
    order, found = grouped(tp, school)
    make_user("county_regulator", "430104", username="yuelu")
    web = as_user("yuelu")
    web.go(f"/console/workorders/{order.pk}/")
    expect(web.page.get_by_role("heading", name="异常线索（2 条）")).to_be_visible()
    expect(web.page.locator(f'[data-finding="{found[1].pk}"]')).to_contain_text("重复使用")
    web.shot("workorder-grouped")
    web.page.get_by_role("link", name=f"线索 #{found[1].pk}").click()
    expect(web.page.locator(f'[data-order="{order.number}"]')).to_be_visible()
    web.page.locator(f'[data-order="{order.number}"]').click()
    expect(web.page.get_by_role("heading", name=f"工单 {order.number}")).to_be_visible()
