"""The monthly report (seed 002 附件2) pages over HTTP: a city's form with the computed figures
beside the entered ones, drafts and submission, late marking by the clock, the province's status
table and roll-up, the .xlsx downloads, and who may open what."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from jiapei.console.tests.test_areas_pages import login
from jiapei.core.models import AuditLogEntry
from jiapei.registry.models import Institution
from jiapei.reports import dashboard, submissions
from jiapei.reports.models import MonthlyReportInput
from jiapei.reports.monthly import ENTERED, FIELDS
from jiapei.testing.pages import assert_flat_queries, xlsx_rows

pytestmark = pytest.mark.django_db

FORM = "/console/monthly/430100/"
EARLY = "2026-11-03 10:00"  # before the deadline of October's report (Shanghai time)
LATE = "2026-11-06 00:10"  # ten minutes after it
FIGURES = {name: n for n, name in enumerate(sorted(ENTERED), start=1)}


@pytest.fixture(autouse=True)
def _uncached(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request counts afresh (the cache would carry one test's figures to the next)."""
    monkeypatch.setattr(submissions, "FIGURES_SECONDS", 0)
    monkeypatch.setattr(dashboard, "FIGURES_SECONDS", 0)


@pytest.fixture
def changsha(make_user: Callable[..., Any]) -> Client:
    return login(make_user, "city_regulator", "430100", "cs-monthly")


@pytest.fixture
def hunan(make_user: Callable[..., Any]) -> Client:
    return login(make_user, "province_regulator", "430000", "hn-monthly")


def post(client: Client, button: str, values: dict[str, Any], month: str = "2026-10") -> Any:
    data = {"month": month, button: "1", **{k: "" if v is None else v for k, v in values.items()}}
    return client.post(f"{FORM}?month={month}", data)


def test_the_form_opens_on_last_month_with_the_computed_figures_beside(
    frozen_clock: Any, changsha: Client, school: Any
) -> None:
    frozen_clock.freeze(EARLY)
    Institution.objects.update(created_at=frozen_clock.now().replace(month=9))
    home = changsha.get("/console/monthly/")
    assert home.status_code == 302 and home["Location"] == f"{FORM}?month=2026-10"
    page = changsha.get(home["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "长沙市交通运输局：（盖章）" in html and "10月1日至10月31日" in html
    # Every entered figure is an input; no computed one is.
    for f in FIELDS:
        assert (f'name="{f.name}"' in html) == (f.source == "entered"), f.name
    existing = html.split('data-field="institutions_existing"')[1].split("</tr>")[0]
    assert '<span class="figure">1</span>' in existing and "平台计算" in existing
    assert 'data-status="not_started"' in html
    assert "2026-11-05 前" in html  # the deadline, local time


def test_errors_are_shown_in_chinese_on_their_fields(frozen_clock: Any, changsha: Client) -> None:
    frozen_clock.freeze(EARLY)
    bad = post(changsha, "save", {"institutions_checked": "-1", "coaches_penalised": "很多"})
    html = bad.content.decode()
    assert bad.status_code == 200 and "有以下问题需要处理" in html
    assert "确保该值大于或等于" in html and "输入整数" in html
    assert not MonthlyReportInput.objects.exists()
    # Submitting asks for every entered figure (a draft does not).
    partial = post(changsha, "submit", {"institutions_checked": 3})
    # Each missing figure is named twice: in the summary at the top and on its field.
    assert partial.content.decode().count("报送前必须填写此项") == 2 * (len(ENTERED) - 1)
    assert not MonthlyReportInput.objects.filter(submitted_at__isnull=False).exists()


def test_a_draft_then_a_submission_on_time(frozen_clock: Any, changsha: Client) -> None:
    frozen_clock.freeze(EARLY)
    saved = post(changsha, "save", {"institutions_checked": 12})
    assert saved.status_code == 302
    page = changsha.get(saved["Location"]).content.decode()
    assert "草稿已保存" in page and 'data-status="draft"' in page and 'value="12"' in page
    submitted = post(changsha, "submit", FIGURES)
    assert submitted.status_code == 302
    row = MonthlyReportInput.objects.get()
    assert row.values == FIGURES and row.submitted_at == frozen_clock.now()
    assert AuditLogEntry.objects.filter(action="reports.submit_monthly").count() == 1
    page = changsha.get(submitted["Location"]).content.decode()
    assert 'data-status="on_time"' in page and "按时报送" in page
    assert 'name="institutions_checked"' not in page  # final: no form any more
    again = post(changsha, "save", {**FIGURES, "institutions_checked": 99})
    assert "已报送，不能再修改" in changsha.get(again["Location"]).content.decode()
    assert MonthlyReportInput.objects.get().values == FIGURES


def test_a_submission_after_the_fifth_is_marked_late(
    frozen_clock: Any, changsha: Client, hunan: Client
) -> None:
    frozen_clock.freeze(LATE)
    page = changsha.get(f"{FORM}?month=2026-10").content.decode()
    assert "已超过报送期限" in page
    post(changsha, "submit", FIGURES)
    page = changsha.get(f"{FORM}?month=2026-10").content.decode()
    assert 'data-status="late"' in page and "逾期报送" in page
    status = hunan.get("/console/monthly/?month=2026-10").content.decode()
    changsha_row = status.split('data-city="430100"')[1].split("</tr>")[0]
    assert 'data-status="late"' in changsha_row and "2026-11-06 00:10" in changsha_row


def test_the_province_sees_every_citys_status_and_the_roll_up(
    frozen_clock: Any, changsha: Client, hunan: Client, make_user: Callable[..., Any]
) -> None:
    frozen_clock.freeze(EARLY)
    post(changsha, "submit", FIGURES)
    zhuzhou = login(make_user, "city_regulator", "430200", "zz-monthly")
    zhuzhou.post(
        "/console/monthly/430200/?month=2026-10",
        {"month": "2026-10", "save": "1", "institutions_checked": "5"},
    )
    page = hunan.get("/console/monthly/?month=2026-10").content.decode()

    def row(code: str) -> str:
        return page.split(f'data-city="{code}"')[1].split("</tr>")[0]

    assert 'data-status="on_time"' in row("430100")
    assert 'data-status="draft"' in row("430200")
    assert 'data-status="not_started"' in row("430300")
    total = page.split('class="total"')[1].split("</tr>")[0]
    assert "湖南省合计" in total and f">{FIGURES['institutions_checked'] + 5}<" in total
    # The province's download is the roll-up: a city column, a row per city, then the total.
    sheet = xlsx_rows(hunan.get("/console/monthly/430000/xlsx/?month=2026-10"))
    assert sheet[0][0] == "全省机动车驾驶员培训专项整治月报表"
    assert sheet[2][0] == "地市" and sheet[4][0] == "长沙市"
    checked = 1 + next(i for i, f in enumerate(FIELDS) if f.name == "institutions_checked")
    assert (
        sheet[-1][0] == "湖南省合计" and sheet[-1][checked] == FIGURES["institutions_checked"] + 5
    )


def test_a_citys_xlsx_has_the_forms_layout_and_its_figures(
    frozen_clock: Any, changsha: Client
) -> None:
    frozen_clock.freeze(EARLY)
    post(changsha, "save", FIGURES)
    response = changsha.get("/console/monthly/430100/xlsx/?month=2026-10")
    assert "monthly-report-430100-2026-10.xlsx" in response["Content-Disposition"]
    sheet = xlsx_rows(response)
    assert sheet[1][0] == "长沙市交通运输局：（盖章）"
    assert sheet[2][0] == "资质核查" and sheet[3][0] == "现有驾培机构数量"
    values = dict(zip([f.name for f in FIELDS], sheet[4], strict=False))
    for name, value in FIGURES.items():
        assert values[name] == value, name


def test_who_may_open_which_form(
    frozen_clock: Any, changsha: Client, hunan: Client, make_user: Callable[..., Any]
) -> None:
    frozen_clock.freeze(EARLY)
    zhuzhou = login(make_user, "city_regulator", "430200", "zz-monthly")
    assert zhuzhou.get(FORM).status_code == 404  # another city's form
    assert zhuzhou.get("/console/monthly/430100/xlsx/").status_code == 404
    assert zhuzhou.get("/console/monthly/430000/xlsx/").status_code == 404
    county = login(make_user, "county_regulator", "430104", "yl-monthly")
    assert county.get("/console/monthly/").status_code == 403
    assert county.get(FORM).status_code == 403
    assert "专项整治月报表" not in county.get("/console/").content.decode()
    # The province may open (and fill in) any city's form.
    page = hunan.get(FORM).content.decode()
    assert 'name="institutions_checked"' in page and "各市报送情况" in page


def test_the_pages_do_not_grow_queries_with_entries(
    frozen_clock: Any, hunan: Client, make_user: Callable[..., Any]
) -> None:
    frozen_clock.freeze(EARLY)
    codes = iter(["430200", "430300", "430400"])

    def enter() -> None:
        code = next(codes)
        client = login(make_user, "city_regulator", code, f"c-{code}")
        client.post(
            f"/console/monthly/{code}/?month=2026-10",
            {"month": "2026-10", "submit": "1", **FIGURES},
        )

    assert_flat_queries(hunan, "/console/monthly/?month=2026-10", enter)
    assert_flat_queries(hunan, f"{FORM}?month=2026-10", enter)


def test_cached_figures_still_show_the_entries_as_stored(
    frozen_clock: Any, changsha: Client, hunan: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen_clock.freeze(EARLY)
    cache.clear()
    monkeypatch.setattr(submissions, "FIGURES_SECONDS", 300)
    hunan.get("/console/monthly/?month=2026-10")  # counts the figures into the cache
    post(changsha, "save", {"institutions_checked": 7})
    page = hunan.get("/console/monthly/?month=2026-10").content.decode()
    assert ">7<" in page.split('class="total"')[1].split("</tr>")[0]
    assert 'value="7"' in changsha.get(f"{FORM}?month=2026-10").content.decode()


@pytest.mark.parametrize(
    ("at", "status"), [("2026-11-05 23:59", "on_time"), ("2026-11-06 00:00", "late")]
)
def test_the_deadline_is_the_end_of_the_fifth_in_shanghai(
    frozen_clock: Any, changsha: Client, at: str, status: str
) -> None:
    frozen_clock.freeze(at)  # Shanghai wall-clock time: 15:59 and 16:00 UTC
    post(changsha, "submit", FIGURES)
    page = changsha.get(f"{FORM}?month=2026-10").content.decode()
    assert f'data-status="{status}"' in page
