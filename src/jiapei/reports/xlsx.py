"""The monthly report as an .xlsx in the layout of seed 002 附件2.

Row 1 the title; row 2 the authority (with 盖章) and the period; rows 3–4 the two header rows
(each group merged over its fields, then the field labels); then one data row per city and, in
the province view, the total. A leading 地市 column appears only in the province view: a city's
form names the city in its header, as the paper form does. 工单处置率 is stored as a fraction
with a percentage format, so the spreadsheet keeps the exact value.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from jiapei.accounts.models import RegionLevel
from jiapei.reports.monthly import FIELDS, GROUPS, TITLE, Report

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)


def filename(report: Report) -> str:
    return f"{TITLE}-{report.region.name}-{report.month.label}.xlsx"


def ascii_filename(report: Report) -> str:
    return f"monthly-report-{report.region.code}-{report.month.label}.xlsx"


def render(report: Report) -> bytes:
    """The workbook's bytes."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = report.month.label
    with_city = report.region.level == RegionLevel.PROVINCE
    offset = 1 if with_city else 0
    width = len(FIELDS) + offset

    sheet.cell(row=1, column=1, value=TITLE).font = Font(size=16, bold=True)
    sheet.cell(row=1, column=1).alignment = _CENTRE
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    half = width // 2
    sheet.cell(row=2, column=1, value=f"{report.authority}：（盖章）")
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=half)
    period = sheet.cell(row=2, column=half + 1, value=report.month.period_zh)
    period.alignment = Alignment(horizontal="right")
    sheet.merge_cells(start_row=2, start_column=half + 1, end_row=2, end_column=width)

    if with_city:
        sheet.cell(row=3, column=1, value="地市")
        sheet.merge_cells(start_row=3, start_column=1, end_row=4, end_column=1)
    column = offset + 1
    for group in GROUPS:
        members = [f for f in FIELDS if f.group == group.name]
        sheet.cell(row=3, column=column, value=group.label)
        if len(members) > 1:
            sheet.merge_cells(
                start_row=3, start_column=column, end_row=3, end_column=column + len(members) - 1
            )
        for f in members:
            sheet.cell(row=4, column=column, value=f.label)
            column += 1

    for index, row in enumerate(report.rows):
        excel_row = 5 + index
        if with_city:
            sheet.cell(row=excel_row, column=1, value=row.name)
        for position, f in enumerate(FIELDS, start=offset + 1):
            cell = sheet.cell(row=excel_row, column=position, value=row.values[f.name])
            if f.kind == "rate":
                cell.number_format = "0.0%"

    last = 4 + len(report.rows)
    for r in range(3, last + 1):
        for c in range(1, width + 1):
            cell = sheet.cell(row=r, column=c)
            cell.border = _BOX
            cell.alignment = _CENTRE
            if r <= 4:
                cell.font = Font(bold=True)
    sheet.row_dimensions[4].height = 48
    # Chinese characters are about two widths each; long labels wrap within 18.
    for c in range(offset + 1, width + 1):
        label = FIELDS[c - 1 - offset].label
        sheet.column_dimensions[get_column_letter(c)].width = max(10, min(18, len(label) * 2 + 2))
    if with_city:
        sheet.column_dimensions["A"].width = 22
    sheet.freeze_panes = sheet.cell(row=5, column=offset + 1)

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
