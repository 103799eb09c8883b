"""全省机动车驾驶员培训专项整治月报表 (seed 002 附件2): the fields, and the figures of a city.

The form's fields are data (:data:`FIELDS`): name, zh-hans label, group, and whether the
platform computes the value or a regulator enters it (with how it is computed). The JSON reply,
the xlsx export, the CLI and ``jiapei report fields`` (the documentation table) all read this
list, so they cannot disagree. Entered values live in ``MonthlyReportInput``; nothing the
platform holds is entered by hand.

A report is for one city (市交通运输局) and one calendar month; the province view has one row
per city and a total row. All computed figures count the schools of the city (an institution's
``district`` starts with the city's code prefix), whichever region a work order or finding has
since been escalated to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import Q

from jiapei.accounts.models import Region, RegionLevel
from jiapei.core.errors import FieldError
from jiapei.registry.models import FilingStatus, Institution
from jiapei.reports.models import MonthlyReportInput
from jiapei.reports.periods import Month
from jiapei.supervision.models import ManualReview, Verdict, WatchKind, WatchlistEntry
from jiapei.supervision.queries import active_on
from jiapei.training.models import TeachingLog
from jiapei.workorders.queries import clearance

TITLE = "全省机动车驾驶员培训专项整治月报表"

Source = Literal["computed", "entered"]


@dataclass(frozen=True)
class Group:
    name: str
    label: str


@dataclass(frozen=True)
class ReportField:
    """One column of the form. ``how`` says, in zh-hans and English, where the value comes from."""

    name: str
    label: str
    group: str
    source: Source
    how: str
    how_en: str
    kind: Literal["count", "rate"] = "count"


GROUPS = [
    Group("qualification", "资质核查"),
    Group("talks", "分级约谈"),
    Group("enforcement", "集中执法"),
    Group("sampling", "随机抽查"),
    Group("watchlist", "重点监管"),
]

_ENTERED = ("由市交通运输局填报", "entered by the city's regulator")

FIELDS = [
    ReportField(
        "institutions_existing",
        "现有驾培机构数量",
        "qualification",
        "computed",
        "本市备案状态为有效、且在月末前已备案的驾培机构数（按当前备案状态）",
        "institutions of the city filed before the month's end whose filing is active now",
    ),
    ReportField("institutions_checked", "核查驾培机构数量", "qualification", "entered", *_ENTERED),
    ReportField(
        "institutions_rectifying", "列入整改的驾培机构数量", "qualification", "entered", *_ENTERED
    ),
    ReportField(
        "counties_talked", "约谈县（市、区）行业管理部门数量", "talks", "entered", *_ENTERED
    ),
    ReportField("institutions_talked", "约谈驾培机构数量", "talks", "entered", *_ENTERED),
    ReportField(
        "counties_enforced", "集中执法县（市、区）数量", "enforcement", "entered", *_ENTERED
    ),
    ReportField(
        "institutions_penalised", "当场处罚驾培机构数量", "enforcement", "entered", *_ENTERED
    ),
    ReportField("coaches_penalised", "当场处罚教练员数量", "enforcement", "entered", *_ENTERED),
    ReportField(
        "teaching_logs",
        "教学日志总量",
        "sampling",
        "computed",
        "本市驾培机构当月开始的教学日志（培训课次）数",
        "teaching logs (sessions) of the city's schools starting in the month",
    ),
    ReportField(
        "logs_reviewed",
        "人工审核教学日志数量",
        "sampling",
        "computed",
        "当月完成人工审核（已给出结论）的本市教学日志数，同一日志只计一次",
        "distinct teaching logs of the city's schools whose manual review was concluded in "
        "the month",
    ),
    ReportField(
        "work_orders",
        "推送综合监管平台工单数量",
        "sampling",
        "computed",
        "当月产生的本市驾培机构工单数",
        "work orders about the city's schools opened in the month",
    ),
    ReportField(
        "work_order_rate",
        "工单处置率",
        "sampling",
        "computed",
        "当月产生的工单中，月末前已处置（办结）的比例；无工单时为空",
        "share of the month's work orders resolved by the month's end; empty without orders",
        kind="rate",
    ),
    ReportField(
        "watch_institutions",
        "驾培机构数量",
        "watchlist",
        "computed",
        "当月任一天在重点监管名单上的本市驾培机构数（解除之日起不再在名单上）",
        "the city's schools on the key-supervision list on any day of the month",
    ),
    ReportField(
        "watch_coaches",
        "教练员数量",
        "watchlist",
        "computed",
        "当月任一天在重点监管名单上的本市教练员数（解除之日起不再在名单上）",
        "coaches of the city's schools on the key-supervision list on any day of the month",
    ),
]

BY_NAME = {f.name: f for f in FIELDS}
ENTERED = frozenset(f.name for f in FIELDS if f.source == "entered")


@dataclass
class Row:
    """One line of the form: a city (or the total). ``values`` has every field's value, ``None``
    where nothing was entered or a rate has no denominator."""

    code: str
    name: str
    values: dict[str, int | float | None]
    # Counts behind the rate, so a total row can be summed correctly.
    work_orders_resolved: int = 0
    entered_by: str | None = None
    entered_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    region: Region
    month: Month
    rows: list[Row]

    @property
    def authority(self) -> str:
        suffix = "交通运输厅" if self.region.level == RegionLevel.PROVINCE else "交通运输局"
        return f"{self.region.name}{suffix}"

    @property
    def main(self) -> Row:
        """The row of the report's own region: the city, or the province's total."""
        return self.rows[-1]


def report_region(code: str | None) -> Region:
    """The city or province a report is for; raises FieldError for anything else."""
    region = Region.objects.filter(code=str(code or "")).first()
    if region is None:
        raise FieldError("region", code, "行政区划不存在 (no such region)")
    if region.level not in (RegionLevel.CITY, RegionLevel.PROVINCE):
        raise FieldError(
            "region", code, "月报表按地市或全省汇总 (the report is per city or for the province)"
        )
    return region


def city_row(city: Region, month: Month) -> Row:
    prefix = city.scope_prefix
    schools = Q(institution__district__code__startswith=prefix)
    values: dict[str, int | float | None] = {}
    values["institutions_existing"] = Institution.objects.filter(
        district__code__startswith=prefix,
        filing_status=FilingStatus.ACTIVE,
        created_at__lt=month.end,
    ).count()
    values["teaching_logs"] = TeachingLog.objects.filter(
        schools, starttime__gte=month.start, starttime__lt=month.end
    ).count()
    values["logs_reviewed"] = (
        ManualReview.objects.filter(
            log__institution__district__code__startswith=prefix,
            reviewed_at__gte=month.start,
            reviewed_at__lt=month.end,
        )
        .exclude(verdict=Verdict.PENDING)
        .values("log_id")
        .distinct()
        .count()
    )
    # Resolved "by the month's end", not "by now": the figures of a month stay the same
    # whenever the report is drawn.
    orders = clearance(prefix, month.first, month.last, as_of=month.end)
    resolved = orders.resolved
    values["work_orders"] = orders.opened
    values["work_order_rate"] = resolved / orders.opened if orders.opened else None
    listed = active_on(WatchlistEntry.objects.filter(schools), month.first, month.last)
    values["watch_institutions"] = (
        listed.filter(kind=WatchKind.SCHOOL).values("institution_id").distinct().count()
    )
    values["watch_coaches"] = (
        listed.filter(kind=WatchKind.COACH, coach__isnull=False)
        .values("coach_id")
        .distinct()
        .count()
    )
    entered = (
        MonthlyReportInput.objects.filter(region=city, month=month.first)
        .select_related("updated_by")
        .first()
    )
    stored = entered.values if entered is not None else {}
    for name in ENTERED:
        value = stored.get(name)
        values[name] = int(value) if value is not None else None
    row = Row(city.code, city.name, values, work_orders_resolved=resolved)
    if entered is not None:
        row.entered_by = entered.updated_by.get_username() if entered.updated_by else None
        row.entered_at = entered.updated_at.isoformat()
    return row


def total_row(region: Region, rows: list[Row]) -> Row:
    """Sums of the cities' counts; the rate is recomputed from the summed orders. An entered
    field is empty in the total only when no city entered it."""
    values: dict[str, int | float | None] = {}
    for f in FIELDS:
        if f.kind == "rate":
            continue
        present = [int(v) for r in rows if (v := r.values[f.name]) is not None]
        values[f.name] = sum(present) if present else None
    resolved = sum(r.work_orders_resolved for r in rows)
    opened = int(values["work_orders"] or 0)
    values["work_order_rate"] = resolved / opened if opened else None
    return Row(region.code, f"{region.name}合计", values, work_orders_resolved=resolved)


def monthly_report(region: Region, month: Month) -> Report:
    """The report of a city, or of the province (one row per city, then the total)."""
    if region.level == RegionLevel.CITY:
        return Report(region, month, [city_row(region, month)])
    cities = Region.objects.filter(
        level=RegionLevel.CITY, code__startswith=region.scope_prefix
    ).order_by("code")
    rows = [city_row(city, month) for city in cities]
    return Report(region, month, [*rows, total_row(region, rows)])


def field_json(f: ReportField) -> dict[str, Any]:
    group = next(g for g in GROUPS if g.name == f.group)
    return {
        "name": f.name,
        "label": f.label,
        "group": f.group,
        "group_label": group.label,
        "source": f.source,
        "kind": f.kind,
        "how": f.how,
        "how_en": f.how_en,
    }


def _row_json(row: Row) -> dict[str, Any]:
    return {
        "region": row.code,
        "name": row.name,
        "values": {f.name: _rounded(row.values[f.name]) for f in FIELDS},
        "work_orders_resolved": row.work_orders_resolved,
        "entered_by": row.entered_by,
        "entered_at": row.entered_at,
    }


def _rounded(value: int | float | None) -> int | float | None:
    return round(value, 6) if isinstance(value, float) else value


def report_json(report: Report) -> dict[str, Any]:
    """``fields`` carry the value of the report's own region (the city, or the province total)
    and where it comes from; ``rows`` has every line of the form."""
    main = report.main
    return {
        "title": TITLE,
        "region": {
            "code": report.region.code,
            "name": report.region.name,
            "level": report.region.level,
        },
        "month": report.month.label,
        "header": {"authority": report.authority, "period": report.month.period_zh},
        "fields": [{**field_json(f), "value": _rounded(main.values[f.name])} for f in FIELDS],
        "rows": [_row_json(r) for r in report.rows],
    }


def fields_markdown() -> str:
    """The field table for the documentation, generated from :data:`FIELDS`."""
    lines = [
        f"# {TITLE}",
        "",
        "| 分组 | 字段 | name | 来源 | 口径 | definition |",
        "|---|---|---|---|---|---|",
    ]
    labels = {g.name: g.label for g in GROUPS}
    for f in FIELDS:
        source = "平台计算 (computed)" if f.source == "computed" else "人工填报 (entered)"
        lines.append(
            f"| {labels[f.group]} | {f.label} | `{f.name}` | {source} | {f.how} | {f.how_en} |"
        )
    return "\n".join(lines) + "\n"
