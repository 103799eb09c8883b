"""The dashboard (工作台) over HTTP: its figures per region level, from a small world uploaded
through the signed API and audited by the worker's task; and its flat query count."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from jiapei.audit.tasks import drain_requests
from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.reports import dashboard
from jiapei.testing import factories as f
from jiapei.testing import sessions
from jiapei.testing.fixtures import School
from jiapei.testing.pages import assert_flat_queries
from jiapei.testing.sessions import play_session
from jiapei.workorders.services import open_manual

pytestmark = pytest.mark.django_db

ground = sessions.ground  # the school's training ground, approved (a fixture)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = "2026-11-20 18:00"
TODAY_9 = datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
EARLIER = datetime(2026, 11, 10, 9, 0, tzinfo=SHANGHAI)  # this month, not today


@pytest.fixture(autouse=True)
def _uncached(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request counts afresh (the cache would carry one test's figures to the next)."""
    monkeypatch.setattr(dashboard, "FIGURES_SECONDS", 0)


@dataclass
class World:
    changsha: School  # 长沙 岳麓区: two sessions (one today), audited; one work order
    zhuzhou: School  # 株洲 芦淞区: five minutes today, refused (no approved fence)
    clients: dict[str, Client]


@pytest.fixture
def world(
    frozen_clock: Any,
    tp: Any,
    school: School,
    ground: Any,
    file_school: Callable[..., School],
    make_user: Callable[..., Any],
) -> World:
    play_session(tp, school, recnum="00001", start=TODAY_9, length=12)
    play_session(tp, school, recnum="00002", start=EARLIER, length=12)
    drain_requests(actor=Actor.system("test"))
    other = file_school("430203")
    minutes = [
        f.minute(other.devnum, other.stunum, other.coachnum, TODAY_9 + timedelta(minutes=i), i + 1)
        for i in range(5)
    ]
    assert tp.post("minuterecords", minutes)["rejected"] == 5
    regulator = make_user("city_regulator", "430100", username="cs-orders")
    open_manual(
        actor=Actor.for_user(regulator),
        inscode=school.inscode,
        rnums=[school.stunum + "00001"],
        title="核查学时",
    )
    clients = {}
    for name, role, region in [
        ("prov", "province_regulator", "430000"),
        ("changsha", "city_regulator", "430100"),
        ("zhuzhou", "city_regulator", "430200"),
        ("yuelu", "county_regulator", "430104"),
        ("furong", "county_regulator", "430102"),
    ]:
        client = Client()
        client.force_login(make_user(role, region, username=name))
        clients[name] = client
    return World(school, other, clients)


def keep_connection() -> None:
    """Django's test client connects ``close_old_connections`` again after each request, so a
    signed call through the WSGI app after a page view would close the test's connection (and
    its transaction) on PostgreSQL; disconnect it again first (as ``_keep_test_connection``
    does at the start of a test)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)


def figures_of(client: Client) -> dashboard.Figures:
    response = client.get("/console/")
    assert response.status_code == 200
    return response.context["figures"]


@pytest.mark.parametrize("frozen_clock", [NOW], indirect=True)
def test_minutes_logs_and_orders_are_counted_per_region_level(
    frozen_clock: Any, world: World
) -> None:
    expected = {  # today accepted, today rejected, month accepted, logs this month, orders
        "prov": (12, 5, 24, 2, 1),
        "changsha": (12, 0, 24, 2, 1),
        "yuelu": (12, 0, 24, 2, 1),
        "zhuzhou": (0, 5, 0, 0, 0),
        "furong": (0, 0, 0, 0, 0),
    }
    for name, (today_ok, today_bad, month_ok, logs, orders) in expected.items():
        got = figures_of(world.clients[name])
        assert (
            got.minutes["today_accepted"],
            got.minutes["today_rejected"],
            got.minutes["month_accepted"],
            sum(month for _status, _today, month in got.logs_by_verdict),
            got.orders["open"],
        ) == (today_ok, today_bad, month_ok, logs, orders), name
    zhuzhou = figures_of(world.clients["zhuzhou"])
    assert zhuzhou.rejected_by_reason == [("OUT_OF_FENCE", 5, 5)]
    assert figures_of(world.clients["changsha"]).rejected_by_reason == []


@pytest.mark.parametrize("frozen_clock", [NOW], indirect=True)
def test_void_trend_backlog_and_upload_delay(frozen_clock: Any, world: World) -> None:
    changsha = figures_of(world.clients["changsha"])
    assert len(changsha.trend) == dashboard.TREND_DAYS
    day, audited, void = changsha.trend[-1]
    assert (day.isoformat(), audited) == ("2026-11-20", 12)
    assert 0 <= void <= audited
    assert sum(total for _d, total, _v in changsha.trend) == 24
    # Audited by the worker's task: nothing left in the region's audit queue.
    assert changsha.audit_queue == 0
    # Only today's twelve minutes fall in the last 24 hours; uploaded at 18:00, 8–9 hours late.
    [(platnum, _name, n, median, p95)] = changsha.delays
    assert (platnum, n) == ("A0041", 12)
    assert median is not None and p95 is not None and 8 * 3600 <= median <= p95 <= 9 * 3600
    assert figures_of(world.clients["furong"]).delays == []
    page = world.clients["changsha"].get("/console/").content.decode()
    assert "待审核阶段记录" in page and "核查学时" in page and "A0041" in page
    assert world.zhuzhou.inscode not in page


@pytest.mark.parametrize("frozen_clock", [NOW], indirect=True)
def test_todo_lists_the_region_orders_and_silent_schools_after_a_day(
    frozen_clock: Any, world: World
) -> None:
    response = world.clients["yuelu"].get("/console/")
    todo = response.context["todo"]
    assert todo.orders == 1 and todo.orders_overdue == 0
    assert [o.institution.inscode for o in todo.order_rows] == [world.changsha.inscode]
    assert world.clients["zhuzhou"].get("/console/").context["todo"].orders == 0
    # Nothing is silent on the day the schools were filed; two days later both are.
    assert figures_of(world.clients["prov"]).silent_schools == 0
    frozen_clock.advance(days=2)
    prov = figures_of(world.clients["prov"])
    assert prov.silent_schools == 2 and prov.silent_devices == 2
    zhuzhou = figures_of(world.clients["zhuzhou"])
    assert [s.number for s in zhuzhou.silent_school_rows] == [world.zhuzhou.inscode]
    assert zhuzhou.silent_school_rows[0].last is None  # never trained
    changsha = figures_of(world.clients["changsha"])
    assert changsha.silent_school_rows[0].last == TODAY_9


def test_the_dashboard_query_count_does_not_grow_with_the_region(
    tp: Any,
    school: School,
    ground: Any,
    file_school: Callable[..., School],
    make_user: Callable[..., Any],
) -> None:
    client = Client()
    client.force_login(make_user("province_regulator", "430000", username="prov"))
    # Within the last day whatever the time of day, so that both rounds have minute records in
    # the upload-delay window (it was a fixed morning of yesterday, which left that window in
    # the afternoon and made the first round one query short).
    earlier = clock.now() - timedelta(hours=4)
    counter = iter(range(1, 100))

    def grow() -> None:
        keep_connection()
        file_school("430203")
        file_school("430104")
        for _ in range(2):
            n = next(counter)
            start = earlier + timedelta(minutes=20 * n)
            play_session(tp, school, recnum=f"{n:05d}", start=start, length=6, seq0=10 * n)
        drain_requests(actor=Actor.system("test"))

    grow()
    assert_flat_queries(client, "/console/", grow)
