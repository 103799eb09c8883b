"""The timing-platform ranking and the pass rates over HTTP: figures and components, who may
see them, the chart over months, schools with too few examinees left unranked, exports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from jiapei.api.exams import police_token
from jiapei.console.tests.test_areas_pages import login
from jiapei.core import clock
from jiapei.exams import queries as exam_queries
from jiapei.reports import ranking
from jiapei.reports.tests.conftest import MONTH
from jiapei.reports.tests.test_ranking import minutes  # noqa: F401  (a fixture)
from jiapei.sim.images import portrait
from jiapei.testing import factories as f
from jiapei.testing.pages import assert_flat_queries, queries_of, xlsx_rows

pytestmark = pytest.mark.django_db

RANKING = "/console/rankings/platforms/"
RATES = "/console/rankings/pass-rates/"


@pytest.fixture(autouse=True)
def _uncached(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each request counts the ranking afresh (the cache outlives a test's database)."""
    monkeypatch.setattr(ranking, "RANKING_SECONDS", 0)


@pytest.fixture
def province(make_user: Callable[..., Any]) -> Client:
    return login(make_user, "province_regulator", "430000", "hn")


@pytest.fixture
def changsha(make_user: Callable[..., Any]) -> Client:
    return login(make_user, "city_regulator", "430100", "cs-city")


@pytest.fixture
def county(make_user: Callable[..., Any]) -> Client:
    return login(make_user, "county_regulator", "430104", "yl-county")


def test_the_ranking_shows_each_platforms_components_and_its_course(
    minutes: Any,  # noqa: F811
    province: Client,
    changsha: Client,
    county: Client,
) -> None:
    page = province.get(RANKING, {"month": MONTH, "span": "3"}).content.decode()
    # C0003 (all 4 records, 10 s), B0007 (6 of 14), A0041 (7 of 8, a rejection, 600 s, findings).
    assert page.index("C0003") < page.index("B0007") < page.index("A0041")
    for text in ("100.0", "87.50%", "14.29%", "600", "1000.0", "42.86%"):
        assert text in page, text
    assert "数据完整率 35%；" in page and "疑点线索（每千次教学） 25%" in page
    assert 'class="chart chart-line"' in page and ">2026年8月<" in page and ">9月<" in page

    chart = province.get(RANKING, {"month": MONTH, "span": "3", "measure": "delay_p95_s"})
    assert "上传延迟 95% 分位（秒）" in chart.content.decode()

    rows = xlsx_rows(province.get(RANKING, {"month": MONTH, "export": "xlsx"}))
    assert rows[0][:4] == ["名次", "平台编号", "平台名称", "综合得分"]
    assert [r[1] for r in rows[1:4]] == ["C0003", "B0007", "A0041"]
    assert rows[1][0] == 1 and rows[1][3] == 100.0 and rows[3][4] == 0.875

    # A city counts its own schools only: Zhuzhou's terminal of B0007 drops out, so B0007
    # and C0003 tie on clean data and go by platnum.
    city = changsha.get(RANKING, {"month": MONTH}).content.decode()
    assert city.index("B0007") < city.index("C0003") < city.index("A0041")
    assert county.get(RANKING).status_code == 403
    assert "计时平台排名" not in county.get("/console/").content.decode()
    assert "计时平台排名" in changsha.get("/console/").content.decode()

    wrong = province.get(RANKING, {"month": "2026-13"}).content.decode()
    assert "应为 YYYY-MM 格式的月份" in wrong
    assert province.get(RANKING, {"month": "2026-13", "export": "xlsx"})["Content-Type"].startswith(
        "text/html"
    )
    assert_flat_queries(province, f"{RANKING}?month={MONTH}&span=6", lambda: None)


def test_the_ranking_of_a_month_is_counted_once_in_five_minutes(
    minutes: Any,  # noqa: F811
    province: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ranking, "RANKING_SECONDS", 300)
    cache.clear()
    url = f"{RANKING}?month={MONTH}&span=3"
    try:
        first, second = queries_of(province, url), queries_of(province, url)
        assert second < first, (first, second)
        assert "5 分钟内重复查询使用同一统计结果" in province.get(url).content.decode()
    finally:
        cache.clear()


def sit(api: Any, stunum: str, subject: str, passed: bool, n: int) -> None:
    day = clock.today() - timedelta(days=10)
    reply = api(
        None,
        "POST",
        "/api/police/results",
        headers={"Authorization": f"Bearer {police_token()}"},
        json={
            "result_id": f"R{n}",
            "stunum": stunum,
            "subject": subject,
            "passed": passed,
            "date": day.isoformat(),
        },
    )
    assert reply.status_code == 200, reply.text


def test_pass_rates_by_school_and_subject_leave_small_schools_unranked(
    api: Any,
    tp: Any,
    file_school: Callable[..., Any],
    changsha: Client,
    county: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Three examinees make a sample here, so that the test files a handful of students.
    monkeypatch.setattr(exam_queries, "SMALL_SAMPLE", 3)
    big, small, other_county, zhuzhou = (
        file_school(d) for d in ("430104", "430104", "430103", "430202")
    )
    counter = iter(range(1, 1000))
    students = [big.stunum]
    for k in range(2):
        photo = tp.upload("stuimg", portrait(20_000 + k))
        students.append(
            tp.post("student", f.StudentPayload(inscode=big.inscode, photo=photo))["stunum"]
        )
    for stunum, passed in zip(students, (True, True, False), strict=True):
        sit(api, stunum, "2", passed, next(counter))
    sit(api, students[2], "2", True, next(counter))  # a second sitting: 3 of 4 pass
    sit(api, small.stunum, "2", True, next(counter))
    sit(api, other_county.stunum, "1", False, next(counter))
    sit(api, zhuzhou.stunum, "2", True, next(counter))

    page = changsha.get(RATES).content.decode()
    assert "共 3 条记录" in page and "其中 2 条样本不足" in page
    assert big.inscode in page and "75.0%" in page and "100.0%" in page
    assert "样本不足 3 人，不排名" in page and zhuzhou.inscode not in page
    # The ranked school comes first in its subject, the small one after it, unranked.
    assert page.index(big.inscode) < page.index(small.inscode)

    subject = changsha.get(RATES, {"subject": "1"}).content.decode()
    assert "共 1 条记录" in subject and other_county.inscode in subject
    assert county.get(RATES).content.decode().count("样本不足 3 人，不排名") == 1
    region = changsha.get(RATES, {"region": "430103"}).content.decode()
    assert "共 1 条记录" in region and other_county.inscode in region

    rows = xlsx_rows(changsha.get(RATES, {"export": "xlsx", "subject": "2"}))
    assert rows[0] == [
        "名次",
        "培训机构",
        "机构编号",
        "行政区划",
        "科目",
        "参考人数",
        "考试人次",
        "合格人次",
        "合格率",
        "备注",
    ]
    assert rows[1][0] == 1 and rows[1][2] == big.inscode and rows[1][4] == "科目二"
    assert rows[1][5:9] == [3, 4, 3, 0.75] and rows[1][9] is None
    assert rows[2][0] is None and rows[2][9] == "样本不足 3 人，不排名"

    bad = changsha.get(RATES, {"start": "2026-10-10", "end": "2026-10-01"}).content.decode()
    assert "截止日期不能早于起始日期" in bad
    assert "输入一个有效的日期。" in changsha.get(RATES, {"start": "x"}).content.decode()
    assert_flat_queries(changsha, RATES, lambda: sit(api, small.stunum, "3", True, next(counter)))
