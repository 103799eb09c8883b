"""``jiapei report``: the timing-platform ranking, the monthly campaign report, and the table of
the report's fields.

    jiapei report ranking --month 2026-10 [--region 430100] [--json]
    jiapei report monthly --region 430100 --month 2026-10 [--xlsx PATH] [--json]
    jiapei report fields
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiapei.accounts.models import Region, RegionLevel
from jiapei.core.errors import DomainError
from jiapei.reports import ranking, xlsx
from jiapei.reports.monthly import (
    FIELDS,
    GROUPS,
    fields_markdown,
    monthly_report,
    report_json,
    report_region,
)
from jiapei.reports.periods import Month, parse_month


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _plain(value: Any) -> str:
    return "—" if value is None else str(value)


class Command(BaseCommand):
    help = "Reports: timing-platform ranking, the monthly campaign report (seed 002 附件2)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="report", required=True)
        rank = sub.add_parser("ranking", help="计时平台排名通报 for a month")
        rank.add_argument("--month", required=True, help="YYYY-MM")
        rank.add_argument("--region", help="a city's code: count only its schools' data")
        rank.add_argument("--json", action="store_true", help="print JSON")
        monthly = sub.add_parser("monthly", help="专项整治月报表 of a city or the province")
        monthly.add_argument("--region", required=True, help="a city's or the province's code")
        monthly.add_argument("--month", required=True, help="YYYY-MM")
        monthly.add_argument("--xlsx", help="also write the form as .xlsx to this path")
        monthly.add_argument("--json", action="store_true", help="print JSON")
        sub.add_parser("fields", help="the report's fields as a Markdown table")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["report"] == "ranking":
                self._ranking(options)
            elif options["report"] == "monthly":
                self._monthly(options)
            else:
                self.stdout.write(fields_markdown(), ending="")
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _ranking(self, options: dict[str, Any]) -> None:
        month = parse_month(options["month"])
        prefix = None
        scope = Region.objects.filter(level=RegionLevel.PROVINCE).order_by("code").first()
        if options.get("region"):
            scope = report_region(options["region"])
            prefix = None if scope.level == RegionLevel.PROVINCE else scope.scope_prefix
        rows = ranking.platform_ranking(month, prefix)
        label = {"code": scope.code, "name": scope.name} if scope else {}
        if options["json"]:
            data = ranking.ranking_json(month, rows, label)
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"计时平台排名通报 {month.label} {label.get('name', '')}")
        weights = ", ".join(f"{k} {v:.0%}" for k, v in ranking.WEIGHTS.items())
        self.stdout.write(f"weights: {weights}")
        self.stdout.write(
            f"{'rank':>4} {'platnum':<7} {'score':>6} {'minutes':>8} {'complete':>8} "
            f"{'rejected':>8} {'p50 s':>6} {'p95 s':>6} {'logs':>6} {'find/1k':>7}  name"
        )
        for r in rows:
            per_k = r.findings_per_thousand
            self.stdout.write(
                f"{_plain(r.rank):>4} {r.platnum:<7} {_plain(r.score):>6} {r.minutes:>8} "
                f"{_percent(r.completeness):>8} {_percent(r.rejected_share):>8} "
                f"{_plain(r.delay_median_s):>6} {_plain(r.delay_p95_s):>6} {r.logs:>6} "
                f"{'—' if per_k is None else f'{per_k:.1f}':>7}  {r.name}"
            )

    def _monthly(self, options: dict[str, Any]) -> None:
        region = report_region(options["region"])
        month: Month = parse_month(options["month"])
        report = monthly_report(region, month)
        if options.get("xlsx"):
            path = Path(options["xlsx"])
            path.write_bytes(xlsx.render(report))
            self.stderr.write(f"wrote {path}")
        if options["json"]:
            self.stdout.write(json.dumps(report_json(report), ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"全省机动车驾驶员培训专项整治月报表 {month.label}")
        self.stdout.write(f"{report.authority}  {month.period_zh}")
        groups = {g.name: g.label for g in GROUPS}
        for row in report.rows:
            if len(report.rows) > 1:
                self.stdout.write(f"[{row.name}]")
            for f in FIELDS:
                value = row.values[f.name]
                shown = _percent(value) if f.kind == "rate" else _plain(value)
                source = "计算" if f.source == "computed" else "填报"
                self.stdout.write(f"  {groups[f.group]} / {f.label}: {shown} ({source})")
