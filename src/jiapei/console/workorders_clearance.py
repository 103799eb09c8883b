"""工单处置率 in the console: the clearance of a month's work orders per region below the user's
(province → cities → counties, each row drilling one level down), the months before it as a
chart, and the table as ``.xlsx``.

Figures come from :mod:`jiapei.workorders.queries`; an order counts for the school's county
even after it was escalated, so a county's backlog does not vanish from its figures. A region
outside the user's is a 404, as any other region's object.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import django_tables2 as tables
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiapei.accounts import access
from jiapei.accounts.models import Region, RegionLevel
from jiapei.accounts.queries import get_region
from jiapei.console.base import ConsolePage
from jiapei.core import clock
from jiapei.core.errors import NotFound
from jiapei.web.svg.chart import Series, line_chart
from jiapei.web.tables import BaseTable, xlsx_response
from jiapei.workorders import queries

# The chart shows the chosen month and the eleven before it.
CHART_MONTHS = 12


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


class ClearanceTable(BaseTable):
    caption = _("工单处置率")
    name = tables.Column(verbose_name=_("行政区划"), orderable=False)
    opened = tables.Column(verbose_name=_("立案"), attrs={"td": {"class": "num"}})
    resolved = tables.Column(verbose_name=_("已办结"), attrs={"td": {"class": "num"}})
    resolved_on_time = tables.Column(verbose_name=_("按期办结"), attrs={"td": {"class": "num"}})
    overdue_open = tables.Column(verbose_name=_("逾期未办结"), attrs={"td": {"class": "num"}})
    rate = tables.Column(verbose_name=_("处置率"), attrs={"td": {"class": "num"}})

    class Meta(BaseTable.Meta):
        orderable = False
        empty_text = _("辖区内没有下级行政区划。")

    def render_rate(self, value: float | None) -> str:
        return percent(value)

    def value_rate(self, value: float | None) -> str:
        return percent(value)


def months_until(month: date, count: int) -> list[date]:
    """The first days of the ``count`` calendar months ending with ``month``'s, ascending."""
    year, number = month.year, month.month
    out = []
    for _step in range(count):
        out.append(date(year, number, 1))
        year, number = (year - 1, 12) if number == 1 else (year, number - 1)
    return out[::-1]


class ClearancePage(ConsolePage):
    title = _("工单处置率")
    template_name = "console/workorders/clearance.html"

    def region(self) -> Region:
        assert self.user.region is not None
        code = self.request.GET.get("region")
        if not code:
            return self.user.region
        try:
            region = get_region(code)
        except NotFound:
            raise Http404 from None
        if not access.covers(self.user, region.code):
            raise Http404
        return region

    def month(self) -> date:
        try:
            return date.fromisoformat(self.request.GET.get("month", "") + "-01")
        except ValueError:
            return clock.today().replace(day=1)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        access.regulator(self.user)
        if request.GET.get("export") == "xlsx":
            region, month = self.region(), self.month()
            table = ClearanceTable(queries.clearance_by_child(region, month))
            return xlsx_response(table, f"clearance-{region.code}-{month:%Y-%m}")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        region, month = self.region(), self.month()
        rows = queries.clearance_by_child(region, month)
        for row in rows:
            row["drill"] = row["level"] != RegionLevel.COUNTY
        first, last = queries.month_bounds(month)
        months = months_until(month, CHART_MONTHS)
        trend = queries.clearance_by_month(region.scope_prefix, months)
        labels = [f"{m:%Y-%m}" for m in months]
        # The axis names months short ("12月", the year at January) so the last label fits
        # inside the chart; the data table beside it has them in full.
        ticks = [
            gettext("%(year)s年1月") % {"year": m.year}
            if m.month == 1 and i < len(months) - 1
            else gettext("%(month)s月") % {"month": m.month}
            for i, m in enumerate(months)
        ]
        rates = [None if c.rate is None else round(c.rate * 100, 1) for c in trend]
        on_time = [
            None if not c.opened else round(c.resolved_on_time / c.opened * 100, 1) for c in trend
        ]
        chart_label = gettext("%(name)s工单处置率（近 12 个月）") % {"name": region.name}
        context.update(
            region=region,
            chain=self.chain(region),
            month=month,
            month_value=f"{month:%Y-%m}",
            rows=rows,
            total=queries.clearance(region.scope_prefix, first, last),
            chart={
                "svg": line_chart(
                    chart_label,
                    ticks,
                    [
                        Series(gettext("处置率"), rates),
                        Series(gettext("按期办结率"), on_time),
                        # The campaign's goal is every order cleared (工单清零); the line also
                        # holds the axis at 0–100 % when a region's rates are all low.
                        Series(gettext("目标（清零）"), [100.0] * len(months)),
                    ],
                    unit="%",
                ),
                "caption": chart_label,
                "table": {
                    "header": [
                        gettext("月份"),
                        gettext("立案"),
                        gettext("已办结"),
                        gettext("按期办结"),
                        gettext("处置率"),
                    ],
                    "rows": [
                        [label, c.opened, c.resolved, c.resolved_on_time, percent(c.rate)]
                        for label, c in zip(labels, trend, strict=True)
                    ],
                },
            },
            export_query=f"region={region.code}&month={month:%Y-%m}&export=xlsx",
        )
        return context

    def chain(self, region: Region) -> list[Region]:
        """The regions from the user's own down to ``region``, for the breadcrumbs."""
        own = self.user.region
        assert own is not None
        chain = [region]
        while chain[0].code != own.code and chain[0].parent_id is not None:
            parent = chain[0].parent
            assert parent is not None
            chain.insert(0, parent)
        return chain


urlpatterns = [
    path("workorders/clearance/", ClearancePage.as_view(), name="workorder_clearance"),
]
