"""The monthly notice of the key-supervision list (seed 002 附件1: 每月通报重点监管驾培机构名单、
教练员名单) as a page to print (A4, without the console's menu) and as an .xlsx in the same
layout.

The notice lists every school and coach of the user's region that was on the list at some time
in the month (:func:`jiapei.supervision.queries.watchlist_notice_for`): those listed in the
month are marked new, those lifted in it carry the date. Coaches' names are masked (张*三): a
notice is passed on beyond the regulators, and the coach's number identifies the coach.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from jiapei.accounts.models import RegionLevel
from jiapei.console.base import ConsolePage
from jiapei.core import clock
from jiapei.core.errors import FieldError
from jiapei.reports.periods import Month, parse_month
from jiapei.supervision import queries
from jiapei.supervision.models import WatchKind, WatchlistEntry
from jiapei.web import masking
from jiapei.web.tables import XLSX

SCHOOL_HEADER = ["序号", "所在地区", "驾培机构名称", "机构编号", "列入原因", "列入日期", "状态"]
COACH_HEADER = [
    "序号",
    "所在地区",
    "教练员",
    "教练员编号",
    "所属驾培机构",
    "列入原因",
    "列入日期",
    "状态",
]


@dataclass
class Notice:
    authority: str
    region: str
    month: Month
    issued: str
    schools: list[list[Any]]
    coaches: list[list[Any]]
    new: dict[str, int]
    lifted: dict[str, int]

    @property
    def title(self) -> str:
        return f"{self.region}重点监管驾培机构和教练员名单"

    @property
    def period(self) -> str:
        return f"（{self.month.first.year}年{self.month.first.month}月）"


def _state(row: WatchlistEntry, month: Month) -> str:
    if row.lifted_on is not None and row.lifted_on <= month.last:
        return f"{row.lifted_on:%Y-%m-%d} 移出"
    if row.listed_on >= month.first:
        return "本月新列入"
    return "在列"


def build(user: Any, month: Month) -> Notice:
    """The notice of ``user``'s region for ``month`` (one query)."""
    region = user.region
    suffix = "交通运输厅" if region.level == RegionLevel.PROVINCE else "交通运输局"
    schools: list[list[Any]] = []
    coaches: list[list[Any]] = []
    new = {"school": 0, "coach": 0}
    lifted = {"school": 0, "coach": 0}
    for row in queries.watchlist_notice_for(user, month.first, month.last):
        if month.first <= row.listed_on:
            new[row.kind] += 1
        if row.lifted_on is not None and row.lifted_on <= month.last:
            lifted[row.kind] += 1
        listed = f"{row.listed_on:%Y-%m-%d}"
        if row.kind == WatchKind.SCHOOL:
            schools.append(
                [len(schools) + 1, row.region.name, row.institution.name,
                 row.institution.inscode, row.reason, listed, _state(row, month)]
            )  # fmt: skip
        elif row.coach is not None:
            coaches.append(
                [len(coaches) + 1, row.region.name, masking.mask_name(row.coach.name),
                 row.coach.number, row.institution.name, row.reason, listed, _state(row, month)]
            )  # fmt: skip
    today = clock.today()
    return Notice(
        authority=f"{region.name}{suffix}",
        region=region.name,
        month=month,
        issued=f"{today.year}年{today.month}月{today.day}日",
        schools=schools,
        coaches=coaches,
        new=new,
        lifted=lifted,
    )


_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(vertical="center", wrap_text=True)
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
WIDTHS = [6, 12, 24, 20, 20, 36, 12, 14]


def render_xlsx(notice: Notice) -> bytes:
    """The notice as a workbook: title, authority and month, then the schools' table and the
    coaches' table, each under its heading, with borders as on paper."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = notice.month.label
    width = len(COACH_HEADER)
    sheet.cell(row=1, column=1, value=notice.title + notice.period).font = Font(size=16, bold=True)
    sheet.cell(row=1, column=1).alignment = _CENTRE
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(row=2, column=1, value=f"{notice.authority}（盖章）")
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=4)
    issued = sheet.cell(row=2, column=5, value=notice.issued)
    issued.alignment = Alignment(horizontal="right")
    sheet.merge_cells(start_row=2, start_column=5, end_row=2, end_column=width)
    at = 4
    for heading, header, rows in (
        ("一、重点监管驾培机构", SCHOOL_HEADER, notice.schools),
        ("二、重点监管教练员", COACH_HEADER, notice.coaches),
    ):
        sheet.cell(row=at, column=1, value=heading).font = Font(size=13, bold=True)
        sheet.merge_cells(start_row=at, start_column=1, end_row=at, end_column=width)
        at += 1
        for column, label in enumerate(header, start=1):
            cell = sheet.cell(row=at, column=column, value=label)
            cell.font, cell.border, cell.alignment = Font(bold=True), _BOX, _CENTRE
        at += 1
        for values in rows or [["无"]]:
            for column, value in enumerate(values, start=1):
                cell = sheet.cell(row=at, column=column, value=value)
                cell.border = _BOX
                cell.alignment = _CENTRE if column == 1 else _WRAP
            at += 1
        at += 1
    for column, w in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = w
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class WatchNotice(ConsolePage):
    """``?month=YYYY-MM`` (default: the current month); ``?export=xlsx`` the workbook."""

    title = _("重点监管名单月度通报")
    template_name = "console/watchlist/notice.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.error = ""
        try:
            self.month = (
                parse_month(request.GET["month"])
                if request.GET.get("month")
                else Month.of(clock.today())
            )
        except FieldError as error:
            self.error = error.reason
            self.month = Month.of(clock.today())
        self.notice = build(self.user, self.month)
        if request.GET.get("export") == "xlsx" and not self.error:
            response = HttpResponse(render_xlsx(self.notice), content_type=XLSX)
            name = f"{self.notice.title}-{self.month.label}.xlsx"
            response["Content-Disposition"] = (
                f'attachment; filename="watchlist-{self.month.label}.xlsx"; '
                f"filename*=UTF-8''{quote(name)}"
            )
            return response
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            notice=self.notice,
            month_value=self.month.label,
            month_error=self.error,
            school_header=SCHOOL_HEADER,
            coach_header=COACH_HEADER,
        )
        return context


urlpatterns = [path("watchlist/notice/", WatchNotice.as_view(), name="watchlist_notice")]
