"""Work-order pages over HTTP: the queue's tabs and scope, the order's page and timeline, start,
escalate, the two-step decision with its preview, and the clearance rate per region."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from jiapei.console.tests.test_areas_pages import login
from jiapei.core import clock
from jiapei.outbox.models import OutboxMessage
from jiapei.stages.models import StageReview

# The stage tests' fixtures: a 60-minute part 2 (autouse) and the fake police platform.
from jiapei.stages.tests.conftest import police, short_part_two  # noqa: F401
from jiapei.testing.pages import assert_flat_queries, xlsx_rows
from jiapei.training.models import TeachingLog
from jiapei.workorders.models import WorkOrder
from jiapei.workorders.tests.factories import order_for, session
from jiapei.workorders.tests.test_clearance import zhuzhou_order
from jiapei.workorders.tests.test_voiding import approved_and_pushed

pytestmark = pytest.mark.django_db

DETECTORS = ["PHOTO_REPLAYED", "FACE_SHARED", "FACE_LOW", "FACE_FALLING", "TRACK_REPLAYED"]


@pytest.fixture
def yuelu(make_user: Callable[..., Any]) -> Client:
    """The regulator of 岳麓区 (430104), the county of the test school."""
    return login(make_user, "county_regulator", "430104", "yuelu")


@pytest.fixture
def changsha(make_user: Callable[..., Any]) -> Client:
    return login(make_user, "city_regulator", "430100", "cs-city")


def orders(rnum: str, count: int) -> list[WorkOrder]:
    """``count`` orders on the same log, each from another detector's finding."""
    return [order_for([rnum], detector=DETECTORS[n]) for n in range(count)]


def decide(client: Client, order: WorkOrder, **data: Any) -> Any:
    return client.post(f"/console/workorders/{order.pk}/decide/", data)


def test_the_queue_tabs_count_and_filter_the_regions_orders(
    yuelu: Client, changsha: Client, tp: Any, school: Any, ground: Any, file_school: Any, settings
) -> None:
    rnum = session(tp, school, 1, length=20)
    fresh, started, escalated = orders(rnum, 3)
    settings.JIAPEI_WORKORDER_DEADLINE_DAYS = 1
    [soon] = [order_for([rnum], detector="TRACK_REPLAYED")]
    settings.JIAPEI_WORKORDER_DEADLINE_DAYS = -1
    [late] = [order_for([rnum], detector="GNSS_STILL_MILEAGE")]
    theirs = zhuzhou_order(file_school("430202").inscode)
    assert (
        yuelu.post(f"/console/workorders/{started.pk}/start/", {"confirm": "on"}).status_code == 302
    )
    reply = yuelu.post(
        f"/console/workorders/{escalated.pk}/escalate/", {"reason": "涉及多县", "confirm": "on"}
    )
    assert reply.status_code == 302, reply.content.decode()

    def numbers(client: Client, tab: str) -> set[str]:
        page = client.get(f"/console/workorders/?tab={tab}").content.decode()
        everything = [fresh, started, escalated, soon, late, theirs]
        return {o.number for o in everything if o.number in page}

    # 本级待办: what 岳麓 holds unresolved (the escalated order now sits with 长沙).
    assert numbers(yuelu, "mine") == {fresh.number, started.number, soon.number, late.number}
    assert numbers(yuelu, "open") == {fresh.number, soon.number, late.number}
    assert numbers(yuelu, "in_progress") == {started.number}
    assert numbers(yuelu, "due") == {soon.number}
    assert numbers(yuelu, "overdue") == {late.number}
    assert numbers(yuelu, "escalated") == set()
    assert theirs.number not in numbers(yuelu, "all") and len(numbers(yuelu, "all")) == 5
    assert numbers(changsha, "escalated") == {escalated.number}
    assert numbers(changsha, "mine") == {escalated.number}

    page = yuelu.get("/console/workorders/?tab=all").content.decode()
    assert "已逾期" in page and "剩 1 天" in page and "县级 · 岳麓区" in page
    assert "市级 · 长沙市" in page  # the escalated order's level
    assert 'data-tab="overdue"' in page and "共 5 条记录" in page

    rows = xlsx_rows(yuelu.get("/console/workorders/?tab=overdue&export=xlsx"))
    assert rows[0][:2] == ["工单编号", "来源"] and [r[0] for r in rows[1:]] == [late.number]
    assert rows[1][1] == "疑点线索"
    assert "已逾期" in rows[1][4]


def test_another_countys_order_is_not_found_by_url(
    yuelu: Client, tp: Any, school: Any, ground: Any, file_school: Any
) -> None:
    theirs = zhuzhou_order(file_school("430202").inscode)
    neighbour = zhuzhou_order(file_school("430103").inscode)  # 芙蓉区, 岳麓's neighbour
    for order in (theirs, neighbour):
        for suffix in ("", "start/", "decide/", "escalate/"):
            assert yuelu.get(f"/console/workorders/{order.pk}/{suffix}").status_code == 404
        assert decide(yuelu, order, decision="upheld", reason="x").status_code == 404
    assert yuelu.get("/console/workorders/clearance/?region=430202").status_code == 404


def test_queue_and_order_pages_run_a_constant_number_of_queries(
    yuelu: Client, tp: Any, school: Any, ground: Any
) -> None:
    first = session(tp, school, 1, length=20)
    order = order_for([first], detector="GNSS_STILL_MILEAGE")
    assert_flat_queries(yuelu, "/console/workorders/?tab=all", lambda: orders(first, 3))

    def more_logs_and_events() -> None:
        second = session(tp, school, 2, length=20)
        order.logs.add(TeachingLog.objects.get(rnum=second))
        yuelu.post(f"/console/workorders/{order.pk}/start/", {"confirm": "on"})
        yuelu.post(f"/console/workorders/{order.pk}/escalate/", {"reason": "复杂", "confirm": "on"})

    assert_flat_queries(yuelu, f"/console/workorders/{order.pk}/", more_logs_and_events)


def test_the_order_page_shows_its_subject_logs_and_timeline(
    yuelu: Client, changsha: Client, tp: Any, school: Any, ground: Any
) -> None:
    rnum = session(tp, school, 1, length=20)
    order = order_for([rnum])
    page = yuelu.get(f"/console/workorders/{order.pk}/").content.decode()
    assert order.number in page and "疑点线索" in page and school.inscode not in page
    log = TeachingLog.objects.get(rnum=rnum)
    assert f"/console/students/{log.student_id}/sessions/{log.pk}/" in page
    assert 'data-event="workorders.open"' in page and "开始处置" in page

    yuelu.post(f"/console/workorders/{order.pk}/start/", {"confirm": "on"})
    yuelu.post(f"/console/workorders/{order.pk}/escalate/", {"reason": "跨县线索", "confirm": "on"})
    page = yuelu.get(f"/console/workorders/{order.pk}/").content.decode()
    assert page.index("workorders.open") < page.index("workorders.start")
    assert page.index("workorders.start") < page.index("workorders.escalate")
    assert "跨县线索" in page and "yuelu" in page and "市级 · 长沙市" in page
    # Escalated above the county: 岳麓 sees it read-only; 长沙 may act.
    assert "本级只能查看" in page and "作出处置结论" not in page
    page = changsha.get(f"/console/workorders/{order.pk}/").content.decode()
    assert "作出处置结论" in page and "开始处置" in page


def test_decide_form_errors_are_in_chinese_and_store_nothing(
    yuelu: Client, tp: Any, school: Any, ground: Any
) -> None:
    rnum = session(tp, school, 1, length=20)
    order = order_for([rnum])
    page = decide(yuelu, order, decision="", reason="").content.decode()
    assert "这个字段是必填项。" in page and "请填写处置理由。" in page
    page = decide(yuelu, order, decision="voided", reason="代培", rnums=["43xx"]).content.decode()
    assert "43xx 不在可用的选项中" in page
    page = decide(
        yuelu, order, decision="upheld", reason="复核无误", step="confirm"
    ).content.decode()
    assert "请勾选确认后再提交。" in page
    order.refresh_from_db()
    assert order.state == "open" and TeachingLog.objects.get(rnum=rnum).voided_at is None


def test_upheld_needs_a_confirmation_and_closes_the_order(
    yuelu: Client, tp: Any, school: Any, ground: Any
) -> None:
    order = order_for([session(tp, school, 1, length=20)])
    page = decide(yuelu, order, decision="upheld", reason="复核无误").content.decode()
    assert "学时保持有效" in page
    order.refresh_from_db()
    assert order.state == "open"
    reply = decide(yuelu, order, decision="upheld", reason="复核无误", step="confirm", confirm="on")
    assert reply.status_code == 302
    order.refresh_from_db()
    assert (order.state, order.decision) == ("resolved", "upheld")
    page = yuelu.get(f"/console/workorders/{order.pk}/").content.decode()
    assert "学时有效" in page and "作出处置结论" not in page


@pytest.mark.usefixtures("police")
def test_the_void_preview_names_minutes_parts_stages_and_withdrawals_then_the_decision_does_it(
    yuelu: Client, tp: Any, school: Any, ground: Any
) -> None:
    rnum, review = approved_and_pushed(tp, school)
    order = order_for([rnum])
    outbox = OutboxMessage.objects.count()

    page = decide(yuelu, order, decision="voided", reason="照片重复使用").content.decode()
    assert f'data-rnum="{rnum}"' in page and "共 60 分钟认定学时" in page
    assert f'data-part="{school.stunum}-2"' in page and "作废后低于大纲要求" in page
    assert f'data-review="{review.pk}"' in page and "撤回科目" in page
    assert review.student.idcard not in page  # masked
    # The preview changed nothing.
    assert TeachingLog.objects.get(rnum=rnum).voided_at is None
    review.refresh_from_db()
    assert review.status == "auto_approved" and OutboxMessage.objects.count() == outbox
    order.refresh_from_db()
    assert order.state == "open"

    reply = decide(
        yuelu, order, decision="voided", reason="照片重复使用", step="confirm", confirm="on"
    )
    assert reply.status_code == 302
    review.refresh_from_db()
    assert review.status == "revoked"
    [withdrawal] = OutboxMessage.objects.filter(destination="police", path="/hours/withdraw")
    assert withdrawal.payload["stageid"] == str(review.pk)
    page = yuelu.get(f"/console/workorders/{order.pk}/").content.decode()
    assert f'data-outbox="{withdrawal.idempotency_key}"' in page and "作废学时" in page
    assert f'data-revoked="{review.pk}"' in page and "已作废" in page


@pytest.mark.usefixtures("police")
def test_voiding_one_of_two_logs_previews_a_part_that_stays_complete(
    yuelu: Client, tp: Any, school: Any, ground: Any
) -> None:
    from jiapei.stages.tasks import assemble_due
    from jiapei.workorders.tests.factories import WORKER

    first, second = session(tp, school, 1), session(tp, school, 2)
    assemble_due(actor=WORKER)
    order = order_for([first, second])
    page = decide(yuelu, order, decision="voided", reason="代培", rnums=[first]).content.decode()
    assert f'data-rnum="{first}"' in page and f'data-rnum="{second}"' not in page
    assert "仍达到要求" in page and "不会撤销阶段审核" in page
    assert StageReview.objects.get(student__stunum=school.stunum).status == "auto_approved"


def test_clearance_drills_from_the_province_to_counties_and_exports(
    province_regulator: Any, yuelu: Client, tp: Any, school: Any, ground: Any, file_school: Any
) -> None:
    province = Client()
    province.force_login(province_regulator)
    rnum = session(tp, school, 1, length=20)
    done, _waiting = orders(rnum, 2)
    decide(yuelu, done, decision="upheld", reason="复核", step="confirm", confirm="on")
    zhuzhou_order(file_school("430202").inscode)
    month = f"{clock.localnow():%Y-%m}"

    page = province.get(f"/console/workorders/clearance/?month={month}").content.decode()
    assert 'data-region="430100"' in page and 'data-region="430200"' in page
    assert "?region=430100" in page and 'role="img"' in page
    page = province.get(f"/console/workorders/clearance/?region=430100&month={month}")
    text = page.content.decode()
    assert 'data-region="430104"' in text and "50%" in text and "湖南省" in text
    rows = xlsx_rows(
        province.get(f"/console/workorders/clearance/?region=430100&month={month}&export=xlsx")
    )
    assert rows[0] == ["行政区划", "立案", "已办结", "按期办结", "逾期未办结", "处置率"]
    assert ["岳麓区", 2, 1, 1, 0, "50.0%"] in rows
    # A month before any order: nothing opened, no rate.
    before = f"{clock.localnow() - timedelta(days=400):%Y-%m}"
    text = yuelu.get(f"/console/workorders/clearance/?month={before}").content.decode()
    assert 'data-region="430104"' in text and "—" in text
