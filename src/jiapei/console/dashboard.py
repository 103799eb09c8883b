"""The console's home (工作台): what waits for the user first, then the region's figures.

Everything is counted by :mod:`jiapei.reports.dashboard` (aggregate queries scoped by
:mod:`jiapei.accounts.access`); this view only names the figures, draws the two charts (each
with its numbers in a table) and links each figure to the list it counts, where that list's
page exists.
"""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext_lazy as _

from jiapei.console.base import ConsolePage
from jiapei.reports import dashboard as queries
from jiapei.reports.alerts import alerts_for
from jiapei.reports.digest import annotate_links
from jiapei.web.svg.chart import Series, bar_chart, line_chart

# Why a minute record is refused at ingest (training.services.minutes), in a regulator's words.
REJECT_REASONS = {
    "COACH_NOT_FILED": _("教练员未备案或已注销"),
    "DEVICE_UNBOUND": _("计时终端未绑定教练车"),
    "CAR_NOT_FILED": _("教练车未备案或已注销"),
    "TRAINING_BAN": _("处于禁训期"),
    "OUT_OF_FENCE": _("不在教学区域内"),
}
VERDICTS = {
    "pending": _("待审核"),
    "valid": _("全部有效"),
    "partial": _("部分有效"),
    "invalid": _("无效"),
}
STAGE_STATUSES = {"pending_manual": _("待人工审核"), "pending_check": _("待系统校验")}


def link(name: str, *args: Any, query: str = "") -> str | None:
    """The URL of console page ``name``, or None while no such page exists (figures are
    links only where the list they count can be opened)."""
    try:
        url = reverse(f"console:{name}", args=args)
    except NoReverseMatch:
        return None
    return f"{url}?{query}" if query else url


def _percent(void: int, total: int) -> float | None:
    return round(100 * void / total, 1) if total else None


class Dashboard(ConsolePage):
    title = _("工作台")
    template_name = "console/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        todo = queries.todo(self.user)
        figures = queries.figures(self.user)
        # Each to-do row links to its object's page, where the console has one.
        for row in todo.order_rows:
            row.url = link("workorder", row.pk)  # type: ignore[attr-defined]
        for review in todo.stage_rows:
            review.url = link("stage_review", review.pk)  # type: ignore[attr-defined]
        for area in todo.area_rows:
            area.url = link("area", area.pk)  # type: ignore[attr-defined]
        context.update(
            region=self.user.region,
            todo=todo,
            figures=figures,
            rejected=[
                (REJECT_REASONS.get(code, code), today, month)
                for code, today, month in figures.rejected_by_reason
            ],
            verdicts=[
                (status, VERDICTS.get(status, status), today, month)
                for status, today, month in figures.logs_by_verdict
            ],
            stages=[(STAGE_STATUSES[s], n) for s, n in figures.stages.items()],
            trend_chart=self.trend_chart(figures),
            findings_chart=self.findings_chart(figures),
            links={
                "stages": link("stage_reviews", query="status=pending_manual"),
                "areas": link("areas", query="status=pending"),
                "orders": link("workorders"),
                "findings": link("findings"),
                "devices": link("terminals"),
                "platforms": link("platforms"),
                "trail": link("trail"),
            },
            findings_link=link("findings"),
        )
        # Today's alerts: the same list the daily digest e-mail sends (reports/alerts.py).
        alerts = alerts_for(self.user)
        context.update(alerts=alerts, alert_links=annotate_links(alerts))
        return context

    def trend_chart(self, figures: queries.Figures) -> dict[str, Any]:
        labels = [f"{day:%m-%d}" for day, _total, _void in figures.trend]
        rates = [_percent(void, total) for _day, total, void in figures.trend]
        return {
            "svg": line_chart(
                str(_("近30天无效学时占比")),
                labels,
                [Series(str(_("无效学时占比")), rates)],
                unit="%",
            ),
            "caption": _("近30天每日已审核分钟学时中无效学时的占比（按教学日志开始日期）"),
            "table": {
                "header": [_("日期"), _("已审核分钟"), _("无效分钟"), _("无效占比")],
                "rows": [
                    (f"{day:%Y-%m-%d}", total, void, "—" if rate is None else f"{rate}%")
                    for (day, total, void), rate in zip(figures.trend, rates, strict=True)
                ],
            },
        }

    def findings_chart(self, figures: queries.Figures) -> dict[str, Any]:
        rows = [(name, n) for _code, name, n in figures.findings_month]
        return {
            "svg": bar_chart(str(_("本月疑点线索（按检测规则）")), rows),
            "caption": _("本月发现的学时造假疑点，按检测规则统计（不含已排除）"),
            "table": {"header": [_("检测规则"), _("疑点数")], "rows": rows},
        }


urlpatterns = [path("", Dashboard.as_view(), name="dashboard")]
