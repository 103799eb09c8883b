"""The key-supervision list, its monthly notice and training bans over HTTP: what a city sees
and may change, the forms' errors in zh-hans, the /trainingban callback's state, exports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from jiapei.cli.worker import relay_once
from jiapei.console.tests.test_areas_pages import login
from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.core.models import AuditLogEntry
from jiapei.integrations.timingplatform.fake import RECORDED
from jiapei.outbox.models import OutboxMessage
from jiapei.supervision import services
from jiapei.supervision.models import TrainingBan, WatchlistEntry
from jiapei.testing.pages import assert_flat_queries, xlsx_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def changsha(make_user: Callable[..., Any]) -> Client:
    return login(make_user, "city_regulator", "430100", "cs-city")


@pytest.fixture
def zhuzhou(make_user: Callable[..., Any]) -> Client:
    return login(make_user, "city_regulator", "430200", "zz-city")


@pytest.fixture
def delivered(settings: Any) -> Any:
    """Callbacks the relay delivers, kept in memory."""
    settings.JIAPEI_CALLBACK_BACKEND = "record"
    RECORDED.clear()
    yield RECORDED
    RECORDED.clear()


def watch(client: Client, kind: str, number: str, reason: str = "学时造假", **more: str) -> Any:
    return client.post(
        "/console/watchlist/new/", {"kind": kind, "number": number, "reason": reason, **more}
    )


def test_adding_and_lifting_entries_of_the_key_supervision_list(
    changsha: Client, zhuzhou: Client, file_school: Callable[..., Any]
) -> None:
    mine, theirs = file_school("430104"), file_school("430203")
    response = watch(changsha, "coach", mine.coachnum, "组织学员学时造假")
    assert response.status_code == 302 and response["Location"] == "/console/watchlist/"
    assert watch(changsha, "school", mine.inscode, "未按大纲教学").status_code == 302
    assert watch(zhuzhou, "school", theirs.inscode).status_code == 302

    page = changsha.get("/console/watchlist/").content.decode()
    assert "共 2 条记录" in page and "组织学员学时造假" in page and mine.coachnum in page
    assert page.count('<span class="tag tag-bad">在列</span>') == 2
    assert theirs.inscode not in page
    coaches = changsha.get("/console/watchlist/", {"kind": "coach"}).content.decode()
    assert "共 1 条记录" in coaches and "未按大纲教学" not in coaches

    # The forms' errors, in zh-hans, on their fields; nothing is written.
    other = watch(changsha, "school", theirs.inscode).content.decode()
    assert "备案不存在" in other  # another city's school is no filing of Changsha's
    assert "number=" not in other  # the field names itself
    again = watch(changsha, "coach", mine.coachnum, "另一原因").content.decode()
    assert "已在重点监管名单中" in again
    prefilled = changsha.get("/console/watchlist/new/", {"kind": "coach", "number": "4301"})
    assert 'value="4301"' in prefilled.content.decode()
    empty = changsha.post("/console/watchlist/new/", {"kind": "coach", "number": ""})
    assert empty.status_code == 200 and "这个字段是必填项。" in empty.content.decode()
    assert WatchlistEntry.objects.count() == 3

    entry = WatchlistEntry.objects.get(coach__number=mine.coachnum)
    assert f'href="/console/coaches/{entry.coach_id}/"' in page
    assert f'href="/console/institutions/{entry.institution_id}/"' in page
    lift = f"/console/watchlist/{entry.pk}/lift/"
    assert zhuzhou.get(lift).status_code == 404
    assert zhuzhou.post(lift, {"reason": "x", "confirm": "on"}).status_code == 404
    early = (entry.listed_on - timedelta(days=1)).isoformat()
    refused = changsha.post(lift, {"reason": "整改到位", "lifted_on": early, "confirm": "on"})
    assert "不能早于列入日期" in refused.content.decode()
    assert changsha.post(lift, {"reason": "整改到位"}).status_code == 200  # not confirmed
    assert changsha.post(lift, {"reason": "整改到位", "confirm": "on"}).status_code == 302
    entry.refresh_from_db()
    assert (entry.lifted_on, entry.lift_reason) == (clock.today(), "整改到位")
    assert AuditLogEntry.objects.filter(action="watchlist.lift", object_id=str(entry.pk)).exists()
    assert changsha.get(lift).status_code == 404  # lifted: nothing more to lift

    on_day = changsha.get("/console/watchlist/", {"on": clock.today().isoformat()})
    assert "共 1 条记录" in on_day.content.decode()  # lifting on a day takes effect that day
    lifted = changsha.get("/console/watchlist/", {"state": "lifted"}).content.decode()
    assert "共 1 条记录" in lifted and "整改到位" in lifted
    rows = xlsx_rows(changsha.get("/console/watchlist/", {"export": "xlsx"}))
    assert rows[0] == [
        "类别",
        "培训机构",
        "机构编号",
        "教练员",
        "教练员编号",
        "行政区划",
        "列入原因",
        "列入日期",
        "状态",
    ]
    assert sorted(r[0] for r in rows[1:]) == ["培训机构", "教练员"]
    assert sorted(r[8] for r in rows[1:]) == ["在列", f"已移出 {clock.today():%Y-%m-%d}：整改到位"]


def test_the_watchlist_and_bans_pages_run_a_constant_number_of_queries(
    changsha: Client, file_school: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    actor = Actor.for_user(make_user("city_regulator", "430100", username="cs-other"))

    def grow() -> None:
        """Another school listed, its coach listed, its car banned and its coach banned and
        let go again (two callbacks)."""
        s = file_school("430104")
        for kind, number in (("school", s.inscode), ("coach", s.coachnum)):
            services.add_to_watchlist(
                actor=actor, data={"kind": kind, "number": number, "reason": "b"}
            )
        services.ban(actor=actor, data={"kind": "car", "number": s.carnum, "reason": "a"})
        row, _ = services.ban(
            actor=actor, data={"kind": "coach", "number": s.coachnum, "reason": "b"}
        )
        services.lift_ban(actor=actor, ban_id=row.pk, data={"reason": "c"})

    grow()
    month = f"{clock.today():%Y-%m}"
    for url in (
        "/console/watchlist/",
        "/console/bans/",
        f"/console/watchlist/notice/?month={month}",
    ):
        assert_flat_queries(changsha, url, grow)
    assert WatchlistEntry.objects.count() == 8 and TrainingBan.objects.count() == 8


def test_a_ban_from_the_page_shows_its_callback_until_the_platform_has_it(
    changsha: Client,
    zhuzhou: Client,
    file_school: Callable[..., Any],
    delivered: Any,
) -> None:
    mine, theirs = file_school("430104"), file_school("430203")
    relay_once()  # what filing queued
    delivered.clear()
    form = {"kind": "car", "number": mine.carnum, "reason": "私拆计时终端", "confirm": "on"}
    assert changsha.post("/console/bans/new/", {**form, "confirm": ""}).status_code == 200
    assert not TrainingBan.objects.exists()
    response = changsha.post("/console/bans/new/", form)
    assert response.status_code == 302 and response["Location"] == "/console/bans/"
    ban = TrainingBan.objects.get()
    message = OutboxMessage.objects.get(path="/trainingban")
    assert message.idempotency_key == f"trainingban:{ban.pk}:2"

    page = changsha.get("/console/bans/").content.decode()
    assert "已禁训；通知计时平台的消息已排队" in page
    assert mine.carnum in page and "私拆计时终端" in page
    assert '<span class="tag tag-bad">禁训中</span>' in page
    assert 'data-callback="pending"' in page and "待发送" in page
    assert relay_once() == (1, 0)
    assert [(p, body["banstatus"]) for _, p, body in delivered] == [("/trainingban", "2")]
    page = changsha.get("/console/bans/").content.decode()
    assert 'data-callback="delivered"' in page and "已送达" in page
    assert mine.carnum not in zhuzhou.get("/console/bans/").content.decode()

    other = changsha.post("/console/bans/new/", {**form, "number": theirs.carnum})
    assert other.status_code == 200 and "备案不存在" in other.content.decode()
    lift = f"/console/bans/{ban.pk}/lift/"
    assert zhuzhou.post(lift, {"reason": "x", "confirm": "on"}).status_code == 404
    assert changsha.post(lift, {"reason": "整改完毕", "confirm": "on"}).status_code == 302
    OutboxMessage.objects.filter(idempotency_key=f"trainingban:{ban.pk}:1").update(status="dead")
    page = changsha.get("/console/bans/", {"state": "lifted"}).content.decode()
    assert "已解除" in page and "整改完毕" in page
    assert 'data-callback="dead"' in page and "发送失败" in page
    rows = xlsx_rows(changsha.get("/console/bans/", {"export": "xlsx"}))
    assert rows[0][-1] == "通知计时平台" and "操作" not in rows[0]
    assert rows[1][0] == "教练车" and rows[1][1] == mine.carnum
    assert rows[1][-2].startswith("已解除 ") and rows[1][-2].endswith("：整改完毕")
    assert rows[1][-1] == "禁训通知：已送达；解除通知：发送失败"


def test_the_monthly_notice_lists_the_month_on_paper_and_in_excel(
    changsha: Client, file_school: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    mine, other, theirs = file_school("430104"), file_school("430104"), file_school("430203")
    actor = Actor.for_user(make_user("province_regulator", "430000", username="hn"))
    today = clock.today()
    first = today.replace(day=1)
    before = (first - timedelta(days=1)).replace(day=1)
    services.add_to_watchlist(
        actor=actor,
        data={"kind": "school", "number": mine.inscode, "reason": "未按大纲教学",
              "listed_on": before.isoformat()},
    )  # fmt: skip
    # Listed on the month's first day and lifted on its last: on the list this month only, on
    # any day the test runs.
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    coach, _ = services.add_to_watchlist(
        actor=actor,
        data={"kind": "coach", "number": other.coachnum, "reason": "学时造假",
              "listed_on": first.isoformat()},
    )  # fmt: skip
    services.add_to_watchlist(
        actor=actor, data={"kind": "school", "number": theirs.inscode, "reason": "株洲的"}
    )
    services.lift_watch(
        actor=actor, entry_id=coach.pk, data={"reason": "整改到位", "lifted_on": last.isoformat()}
    )

    page = changsha.get("/console/watchlist/notice/").content.decode()
    assert "长沙市重点监管驾培机构和教练员名单" in page
    assert f"（{today.year}年{today.month}月）" in page and "长沙市交通运输局" in page
    assert mine.inscode in page and "未按大纲教学" in page and theirs.inscode not in page
    assert other.coachnum in page and f"{last:%Y-%m-%d} 移出" in page
    name = coach.coach.name
    assert name not in page and name[0] in page  # masked
    assert "本月新列入机构 0 家、教练员 1 名" in page

    earlier = changsha.get("/console/watchlist/notice/", {"month": f"{before:%Y-%m}"})
    text = earlier.content.decode()
    assert mine.inscode in text and "本月新列入" in text and other.coachnum not in text
    wrong = changsha.get("/console/watchlist/notice/", {"month": "2026-13"}).content.decode()
    assert "应为 YYYY-MM 格式的月份" in wrong

    rows = xlsx_rows(changsha.get("/console/watchlist/notice/", {"export": "xlsx"}))
    assert rows[0][0] == f"长沙市重点监管驾培机构和教练员名单（{today.year}年{today.month}月）"
    assert rows[1][0] == "长沙市交通运输局（盖章）"
    assert rows[3][0] == "一、重点监管驾培机构"
    assert rows[4][:3] == ["序号", "所在地区", "驾培机构名称"]
    assert (rows[5][0], rows[5][3], rows[5][6]) == (1, mine.inscode, "在列")
    assert rows[7][0] == "二、重点监管教练员"
    assert rows[9][3] == other.coachnum and rows[9][2] != name
    assert rows[9][7] == f"{last:%Y-%m-%d} 移出"
