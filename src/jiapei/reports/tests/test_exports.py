"""The monthly report as .xlsx (read back with openpyxl) and from the command line."""

from __future__ import annotations

import io
import json
from io import StringIO
from urllib.parse import unquote

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from jiapei.reports.monthly import FIELDS
from jiapei.reports.tests.conftest import MONTH

XLSX = "/api/regulator/reports/monthly.xlsx"


def _enter(api, user, region, values):
    reply = api(
        user,
        "POST",
        "/api/regulator/reports/monthly/inputs",
        json={"region": region, "month": MONTH, "values": values},
    )
    assert reply.status_code == 200, reply.text


def _merged(sheet):
    return {str(r) for r in sheet.merged_cells.ranges}


def test_a_city_form_as_xlsx(world, api, changsha_regulator):
    _enter(api, changsha_regulator, "430100", {"institutions_checked": 9, "counties_talked": 3})
    reply = api(changsha_regulator, "GET", XLSX, params={"region": "430100", "month": MONTH})
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = reply.headers["content-disposition"]
    assert 'filename="monthly-report-430100-2026-10.xlsx"' in disposition
    assert "全省机动车驾驶员培训专项整治月报表-长沙市-2026-10.xlsx" in unquote(disposition)

    sheet = load_workbook(io.BytesIO(reply.content)).active
    assert sheet["A1"].value == "全省机动车驾驶员培训专项整治月报表"
    assert sheet["A2"].value == "长沙市交通运输局：（盖章）"
    assert sheet["H2"].value == "10月1日至10月31日"
    merged = _merged(sheet)
    assert {"A1:N1", "A3:C3", "D3:E3", "F3:H3", "I3:L3", "M3:N3"} <= merged
    assert [sheet.cell(row=3, column=c).value for c in (1, 4, 6, 9, 13)] == [
        "资质核查",
        "分级约谈",
        "集中执法",
        "随机抽查",
        "重点监管",
    ]
    assert [sheet.cell(row=4, column=c).value for c in range(1, 15)] == [f.label for f in FIELDS]
    values = {f.name: sheet.cell(row=5, column=c).value for c, f in enumerate(FIELDS, start=1)}
    for name, value in world.expected["430100"].items():
        assert values[name] == value, name
    assert values["institutions_checked"] == 9 and values["counties_talked"] == 3
    assert values["institutions_penalised"] is None
    assert sheet.cell(row=5, column=12).number_format == "0.0%"
    assert sheet.max_row == 5
    assert all(sheet.column_dimensions[c].width >= 10 for c in "ABCDEFGHIJKLMN")


def test_the_province_form_has_a_city_column_and_a_total(world, api, province_regulator):
    reply = api(province_regulator, "GET", XLSX, params={"region": "430000", "month": MONTH})
    sheet = load_workbook(io.BytesIO(reply.content)).active
    assert sheet["A2"].value == "湖南省交通运输厅：（盖章）"
    assert sheet["A3"].value == "地市"
    assert {"A3:A4", "A1:O1", "B3:D3", "N3:O3"} <= _merged(sheet)
    names = [sheet.cell(row=r, column=1).value for r in range(5, sheet.max_row + 1)]
    assert names[0] == "长沙市" and names[-1] == "湖南省合计" and len(names) == 15
    column = {f.name: c for c, f in enumerate(FIELDS, start=2)}
    last = sheet.max_row
    assert sheet.cell(row=last, column=column["teaching_logs"]).value == 6
    assert sheet.cell(row=last, column=column["work_order_rate"]).value == 0.6
    assert sheet.cell(row=5, column=column["work_orders"]).value == 4


def test_the_monthly_report_from_the_command_line(world, api, changsha_regulator, tmp_path):
    _enter(api, changsha_regulator, "430100", {"coaches_penalised": 4})
    out = StringIO()
    call_command("report", "monthly", "--region", "430100", "--month", MONTH, stdout=out)
    text = out.getvalue()
    assert "长沙市交通运输局  10月1日至10月31日" in text
    assert "随机抽查 / 教学日志总量: 4 (计算)" in text
    assert "随机抽查 / 工单处置率: 50.0% (计算)" in text
    assert "集中执法 / 当场处罚教练员数量: 4 (填报)" in text
    assert "分级约谈 / 约谈驾培机构数量: — (填报)" in text

    path = tmp_path / "form.xlsx"
    out = StringIO()
    call_command(
        "report",
        "monthly",
        "--region",
        "430100",
        "--month",
        MONTH,
        "--json",
        "--xlsx",
        str(path),
        stdout=out,
        stderr=StringIO(),
    )
    data = json.loads(out.getvalue())
    fields = {f["name"]: f["value"] for f in data["fields"]}
    assert fields["watch_institutions"] == 2 and fields["coaches_penalised"] == 4
    assert load_workbook(path).active["I5"].value == 4

    with pytest.raises(CommandError, match="region"):
        call_command("report", "monthly", "--region", "430104", "--month", MONTH)
    with pytest.raises(CommandError, match="month"):
        call_command("report", "monthly", "--region", "430100", "--month", "2026-1")


def test_the_field_table_for_the_documentation():
    out = StringIO()
    call_command("report", "fields", stdout=out)
    lines = out.getvalue().splitlines()
    rows = [line for line in lines if line.startswith("| ") and "`" in line]
    assert len(rows) == len(FIELDS)
    assert "| 随机抽查 | 工单处置率 | `work_order_rate` | 平台计算 (computed) |" in out.getvalue()
    assert sum("人工填报" in row for row in rows) == 7
