"""Regulators' API: the timing-platform ranking (计时平台排名通报) and the monthly campaign report
(seed 002 附件2) as JSON and .xlsx, with the figures a city enters by hand.

Who sees what: the ranking is for province and city regulators; a city regulator's figures
count only its own schools' data (minutes and logs of their students, findings of its region),
the province's count everything. The monthly report of a city is for that city's regulator
and the province; the province view (``region`` = the province) is the province's only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from jiapei.accounts import access
from jiapei.api.auth import user_auth
from jiapei.api.common import REGULATOR, REGULATOR_ERRORS, regulator_of
from jiapei.api.envelope import ok
from jiapei.reports import ranking, services, xlsx
from jiapei.reports.monthly import Report, monthly_report, report_json, report_region
from jiapei.reports.periods import parse_month

router = Router(auth=user_auth, tags=["监管端 / regulators"])


class MonthQuery(Schema):
    month: str


@router.get(
    "platforms/ranking",
    response=REGULATOR,
    summary="计时平台排名通报 (timing-platform ranking for a month)",
    description="Figures per timing platform over the month (local time): minute records, data "
    "completeness from gaps in the record numbers' daily sequence, rejected share, upload delay "
    "(median and 95th percentile, s), teaching logs, fraud findings per 1 000 logs, and a "
    "composite score (weights in `data.weights`) ranked with ties broken by platnum. A city "
    "regulator's figures count its own schools only.",
)
def platform_ranking(request: HttpRequest, query: Query[MonthQuery]) -> dict[str, Any]:
    user, _ = regulator_of(request)
    access.require(user, access.Action.READ_REPORTS)
    month = parse_month(query.month)
    assert user.region is not None
    rows = ranking.platform_ranking(month, access.figures_prefix(user))
    scope = {"code": user.region.code, "name": user.region.name}
    return ok(ranking.ranking_json(month, rows, scope))


class ReportQuery(Schema):
    region: str
    month: str


def _report(request: HttpRequest, query: ReportQuery) -> Report:
    user, _ = regulator_of(request)
    access.require(user, access.Action.READ_REPORTS)
    region = report_region(query.region)
    access.require(user, access.Action.READ_REPORTS, region=region.code)
    return monthly_report(region, parse_month(query.month))


@router.get(
    "reports/monthly",
    response=REGULATOR,
    summary="专项整治月报表 (monthly campaign report, seed 002 附件2)",
    description="`region` is a city (its form) or the province (one row per city and a total). "
    "`fields` lists every field of the form with its group, label, `source` (computed or "
    "entered), how it is computed and the value of the report's region; `rows` every line.",
)
def monthly(request: HttpRequest, query: Query[ReportQuery]) -> dict[str, Any]:
    return ok(report_json(_report(request, query)))


@router.get(
    "reports/monthly.xlsx",
    response=REGULATOR_ERRORS,
    openapi_extra={
        "responses": {
            "200": {
                "description": "the .xlsx attachment",
                "content": {xlsx.CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
    summary="专项整治月报表 Excel (the form as .xlsx)",
    description="The same report in the layout of the paper form; an .xlsx attachment.",
)
def monthly_xlsx(request: HttpRequest, query: Query[ReportQuery]) -> HttpResponse:
    report = _report(request, query)
    response = HttpResponse(xlsx.render(report), content_type=xlsx.CONTENT_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="{xlsx.ascii_filename(report)}"; '
        f"filename*=UTF-8''{quote(xlsx.filename(report))}"
    )
    return response


class InputsIn(Schema):
    region: str
    month: str
    values: dict[str, Any]


@router.post(
    "reports/monthly/inputs",
    response=REGULATOR,
    summary="填报月报表人工数据 (enter the hand-collected figures of a city's month)",
    description="`values` maps entered field names (see `fields[].source` of the report) to "
    "non-negative integers; `null` clears one. Fields not named keep their values. Computed "
    "fields are refused.",
)
def enter_inputs(request: HttpRequest, payload: InputsIn) -> dict[str, Any]:
    _, actor = regulator_of(request)
    row, changed = services.enter_inputs(
        actor=actor, region=payload.region, month=payload.month, values=payload.values
    )
    return ok(
        {
            "region": row.region_id,
            "month": f"{row.month:%Y-%m}",
            "values": row.values,
            "changed": changed,
            "updated_at": row.updated_at.isoformat(),
        }
    )
