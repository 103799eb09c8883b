"""The students list and the student file over HTTP: region scoping (another city's student is
a 404), filters, the masked .xlsx export, what the file shows, and flat query counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from jiapei.console.tests.students_world import (  # noqa: F401
    World,
    client_of,
    ground,
    keep_connection,
    world_fixture,
)
from jiapei.sim.client import TimingPlatformClient
from jiapei.testing.pages import assert_flat_queries, xlsx_rows
from jiapei.testing.sessions import START, play_session
from jiapei.web.masking import mask_idcard, mask_phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def changsha(make_user: Callable[..., Any]) -> Client:
    return client_of(make_user, "city_regulator", "430100", "changsha")


@pytest.fixture
def zhuzhou(make_user: Callable[..., Any]) -> Client:
    return client_of(make_user, "city_regulator", "430200", "zhuzhou")


def test_each_city_lists_and_exports_only_its_students_masked(
    world: World, changsha: Client, zhuzhou: Client
) -> None:
    mine, theirs = world.student, world.other_student
    page = changsha.get("/console/students/").content.decode()
    assert mine.stunum in page and theirs.stunum not in page
    assert mask_idcard(mine.idcard) in page and mine.idcard not in page
    assert mask_phone(mine.phone) in page and mine.phone not in page

    rows = xlsx_rows(changsha.get("/console/students/", {"export": "xlsx"}))
    assert rows[0][:4] == ["学员编号", "姓名", "证件号码", "手机号码"]
    assert [r[:4] for r in rows[1:]] == [
        [mine.stunum, mine.name, mask_idcard(mine.idcard), mask_phone(mine.phone)]
    ]
    assert theirs.stunum in zhuzhou.get("/console/students/").content.decode()
    assert mine.stunum not in zhuzhou.get("/console/students/").content.decode()


FILTERS = [
    ({"q": "{stunum}"}, True),
    ({"q": "{name}"}, True),
    ({"q": "nobody"}, False),
    ({"school": "{inscode}"}, True),
    ({"school": "no such school"}, False),
    ({"district": "430104"}, True),
    ({"district": "430103"}, False),
    ({"traintype": "C1"}, True),
    ({"traintype": "A1"}, False),
    ({"applied_from": "2026-09-01", "applied_to": "2026-09-01"}, True),
    ({"applied_from": "2026-09-02"}, False),
]


def test_filters_narrow_the_list(world: World, changsha: Client) -> None:
    values = {"stunum": world.student.stunum, "name": world.student.name,
              "inscode": world.school.inscode}  # fmt: skip
    for query, found in FILTERS:
        params = {k: v.format(**values) for k, v in query.items()}
        rows = xlsx_rows(changsha.get("/console/students/", {**params, "export": "xlsx"}))
        assert [r[0] for r in rows[1:]] == ([world.student.stunum] if found else []), params


def test_the_student_file_shows_progress_sessions_and_results(
    world: World, changsha: Client
) -> None:
    student = world.student
    response = changsha.get(f"/console/students/{student.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert student.idcard not in page and mask_idcard(student.idcard) in page
    assert student.phone not in page and mask_phone(student.phone) in page
    # Progress per part with the subject it feeds, and the exam result of 科目一.
    assert "第二部分（科目二）" in page and "第一部分（科目一）" in page
    assert "合格" in page and "2026-11-10" in page
    # The session with its verdict, linking to its page.
    assert world.session_url in page
    assert "部分有效" in page and "4 分钟无效" in page and "无转校记录" in page


def test_another_citys_student_and_a_sibling_countys_are_not_found(
    world: World, changsha: Client, zhuzhou: Client, make_user: Callable[..., Any]
) -> None:
    assert zhuzhou.get(f"/console/students/{world.student.pk}/").status_code == 404
    assert changsha.get(f"/console/students/{world.other_student.pk}/").status_code == 404
    tianxin = client_of(make_user, "county_regulator", "430103", "tianxin")
    assert tianxin.get(f"/console/students/{world.student.pk}/").status_code == 404
    yuelu = client_of(make_user, "county_regulator", "430104", "yuelu")
    assert yuelu.get(f"/console/students/{world.student.pk}/").status_code == 200


def test_sorting_the_sessions_with_htmx_answers_the_table_only(
    world: World, changsha: Client
) -> None:
    url = f"/console/students/{world.student.pk}/"
    fragment = changsha.get(url, {"s-sort": "starttime"}, headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert fragment.status_code == 200 and 'id="results"' in body and "<html" not in body
    assert "HX-Request" in fragment["Vary"]


def test_list_and_file_do_not_grow_queries_with_rows(
    world: World,
    changsha: Client,
    tp: TimingPlatformClient,
    file_school: Callable[..., Any],
) -> None:
    def more_students() -> None:
        keep_connection()
        file_school("430104")

    assert_flat_queries(changsha, "/console/students/", more_students)

    def more_sessions() -> None:
        from django.core.management import call_command

        keep_connection()
        for n in (2, 3):
            play_session(tp, world.school, recnum=f"0000{n}",
                         start=START.replace(day=20 + n), length=15, seq0=100 * n)  # fmt: skip
        call_command("worker", once=True)

    assert_flat_queries(changsha, f"/console/students/{world.student.pk}/", more_sessions)
