"""Rankings and rates in the console: the timing platforms' monthly ranking with its
components and its course over months (seed 002 三(五) 计时平台排名通报), and pass rates by
school and subject (seed 000) with schools under 100 examinees left unranked.

The ranking is :func:`jiapei.reports.ranking.platform_ranking` (province and city regulators
only, ``READ_REPORTS``, as the API; a city's figures count its own schools only); pass rates
are :func:`jiapei.exams.queries.school_pass_rates`, scoped to the user's region. Both pages
take their parameters from a GET form, so a link or a bookmark reproduces them, and export the
table shown as .xlsx (``?export=xlsx``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_tables2 as tables
from django import forms
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_tables2 import RequestConfig

from jiapei.accounts import access
from jiapei.accounts.models import Region
from jiapei.console.base import ConsolePage
from jiapei.core import clock
from jiapei.core.errors import FieldError
from jiapei.exams import queries as exams
from jiapei.reports import ranking
from jiapei.reports.periods import Month, parse_month
from jiapei.web.svg.chart import Series, line_chart
from jiapei.web.tables import BaseTable, xlsx_response

NUM = {"td": {"class": "num"}, "th": {"class": "num"}}
# What the chart over months can follow, with how a value is read off a platform's figures.
MEASURES = {
    "score": (_("综合得分"), lambda r: None if r.score is None else round(r.score * 100, 1)),
    "completeness": (
        _("数据完整率（%）"),
        lambda r: None if r.completeness is None else round(r.completeness * 100, 2),
    ),
    "rejected_share": (
        _("被拒记录比例（%）"),
        lambda r: None if r.rejected_share is None else round(r.rejected_share * 100, 2),
    ),
    "delay_p95_s": (_("上传延迟 95% 分位（秒）"), lambda r: r.delay_p95_s),
    "findings_per_thousand": (
        _("每千次教学疑点线索"),
        lambda r: None if r.findings_per_thousand is None else round(r.findings_per_thousand, 1),
    ),
}
SUBJECTS = {"1": _("科目一"), "2": _("科目二"), "3": _("科目三"), "4": _("科目四")}


def percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


class MonthField(forms.CharField):
    """``YYYY-MM``, not after the current month (:func:`parse_month`'s zh-hans errors)."""

    widget = forms.TextInput(attrs={"type": "month"})

    def clean(self, value: Any) -> Month:
        text = super().clean(value)
        try:
            return parse_month(text)
        except FieldError as error:
            raise forms.ValidationError(error.reason) from error


class RankingForm(forms.Form):
    month = MonthField(label=_("月份"))
    span = forms.TypedChoiceField(
        label=_("趋势跨度"),
        choices=[(3, _("近 3 个月")), (6, _("近 6 个月")), (12, _("近 12 个月"))],
        coerce=int,
    )
    measure = forms.ChoiceField(
        label=_("趋势指标"), choices=[(k, v[0]) for k, v in MEASURES.items()]
    )


class RankingTable(BaseTable):
    caption = _("计时平台排名")
    rank = tables.Column(verbose_name=_("名次"), attrs=NUM, default="—")
    platnum = tables.Column(verbose_name=_("平台编号"))
    name = tables.Column(verbose_name=_("平台名称"))
    score = tables.Column(verbose_name=_("综合得分"), attrs=NUM, default="—")
    completeness = tables.Column(verbose_name=_("数据完整率"), attrs=NUM, default="—")
    missing = tables.Column(verbose_name=_("缺失记录"), attrs=NUM)
    rejected_share = tables.Column(verbose_name=_("被拒记录比例"), attrs=NUM, default="—")
    delay_median_s = tables.Column(verbose_name=_("延迟中位数（秒）"), attrs=NUM, default="—")
    delay_p95_s = tables.Column(verbose_name=_("延迟 P95（秒）"), attrs=NUM, default="—")
    logs = tables.Column(verbose_name=_("教学日志"), attrs=NUM)
    findings = tables.Column(verbose_name=_("疑点线索"), attrs=NUM)
    findings_per_thousand = tables.Column(verbose_name=_("每千次线索"), attrs=NUM, default="—")

    class Meta(BaseTable.Meta):
        orderable = False
        empty_text = _("该月没有计时平台报送数据。")

    def render_score(self, value: float) -> str:
        return f"{value * 100:.1f}"

    def value_score(self, value: float | None) -> float | None:
        return None if value is None else round(value * 100, 2)

    def render_completeness(self, value: float) -> str:
        return percent(value, 2)

    def value_completeness(self, value: float | None) -> float | None:
        return None if value is None else round(value, 6)

    def render_rejected_share(self, value: float) -> str:
        return percent(value, 2)

    def value_rejected_share(self, value: float | None) -> float | None:
        return None if value is None else round(value, 6)

    def render_findings_per_thousand(self, value: float) -> str:
        return f"{value:.1f}"


class ConsoleReport(ConsolePage):
    """A page whose GET form chooses the figures; ``?export=xlsx`` downloads its table."""

    form_class: type[forms.Form]
    export_name = "export"

    def initial(self) -> dict[str, Any]:
        raise NotImplementedError

    def figures(self, data: dict[str, Any]) -> dict[str, Any]:
        """The page's context from the form's cleaned data; ``table`` is what is exported."""
        raise NotImplementedError

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        data = {**self.initial(), **{k: v for k, v in request.GET.items() if v}}
        self.form = self.form_class(data, **self.form_kwargs())
        valid = self.form.is_valid()
        if not valid:
            # The figures of the defaults, with the form's errors shown above them.
            fallback = self.form_class(self.initial(), **self.form_kwargs())
            fallback.is_valid()
            cleaned = fallback.cleaned_data
        else:
            cleaned = self.form.cleaned_data
        self.data = self.figures(cleaned)
        table = self.data["table"]
        if request.GET.get("export") == "xlsx" and valid:
            RequestConfig(request, paginate=False).configure(table)
            return xlsx_response(table, self.data.get("export_name", self.export_name))
        RequestConfig(request, paginate={"per_page": 50}).configure(table)
        return super().get(request, *args, **kwargs)

    def form_kwargs(self) -> dict[str, Any]:
        return {}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        query["export"] = "xlsx"
        context.update(form=self.form, export_query=query.urlencode(), **self.data)
        return context


class PlatformRanking(ConsoleReport):
    title = _("计时平台排名")
    template_name = "console/rankings/platforms.html"
    form_class = RankingForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            access.require(request.user, access.Action.READ_REPORTS)
        return super().dispatch(request, *args, **kwargs)

    def initial(self) -> dict[str, Any]:
        return {"month": f"{clock.today():%Y-%m}", "span": "6", "measure": "score"}

    def figures(self, data: dict[str, Any]) -> dict[str, Any]:
        month: Month = data["month"]
        prefix = access.figures_prefix(self.user)
        months = [month]
        while len(months) < data["span"]:
            months.insert(0, Month.of(months[0].first - timedelta(days=1)))
        counted = [ranking.cached_ranking(m, prefix) for m in months]
        by_month = [figures for figures, _at in counted]
        rows = by_month[-1]
        label, read = MEASURES[data["measure"]]
        names: dict[str, str] = {}
        for figures in by_month:
            for r in figures:
                names.setdefault(r.platnum, r.name)
        values = {
            platnum: [next((read(r) for r in f if r.platnum == platnum), None) for f in by_month]
            for platnum in sorted(names)
        }
        shown = {k: v for k, v in values.items() if any(x is not None for x in v)}
        series = [Series(f"{names[k]}（{k}）", v) for k, v in shown.items()]
        # Short labels (the year only where it starts or changes): the chart's last label sits
        # at its right edge.
        x_labels = [
            f"{m.first.year}年{m.first.month}月"
            if i == 0 or m.first.month == 1
            else f"{m.first.month}月"
            for i, m in enumerate(months)
        ]
        return {
            "table": RankingTable(rows),
            "export_name": f"platform-ranking-{month.label}",
            "month": month,
            "counted_at": min(at for _figures, at in counted),
            "weights": [
                (_("数据完整率"), ranking.WEIGHTS["completeness"]),
                (_("记录被拒（1 − 被拒比例）"), ranking.WEIGHTS["acceptance"]),
                (_("上传及时性"), ranking.WEIGHTS["timeliness"]),
                (_("疑点线索（每千次教学）"), ranking.WEIGHTS["integrity"]),
            ],
            "chart": {
                "caption": label,
                "svg": line_chart(str(label), x_labels, series) if series else "",
                "table": {
                    "header": [_("计时平台"), *x_labels],
                    "rows": [
                        [s.name, *("—" if v is None else v for v in s.values)] for s in series
                    ],
                },
            },
        }


class PassRateForm(forms.Form):
    region = forms.ModelChoiceField(
        label=_("行政区划"), queryset=Region.objects.none(), required=False, empty_label=_("全部")
    )
    subject = forms.ChoiceField(
        label=_("科目"), choices=[("", _("全部")), *SUBJECTS.items()], required=False
    )
    start = forms.DateField(label=_("考试日期起"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("考试日期止"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = access.visible_regions(user)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("截止日期不能早于起始日期"))
        return data


class PassRateTable(BaseTable):
    caption = _("考试合格率")
    rank = tables.Column(verbose_name=_("名次"), attrs=NUM, default="—")
    name = tables.Column(verbose_name=_("培训机构"))
    inscode = tables.Column(verbose_name=_("机构编号"))
    region_name = tables.Column(verbose_name=_("行政区划"))
    subject = tables.Column(verbose_name=_("科目"))
    examinees = tables.Column(verbose_name=_("参考人数"), attrs=NUM)
    sittings = tables.Column(verbose_name=_("考试人次"), attrs=NUM)
    passes = tables.Column(verbose_name=_("合格人次"), attrs=NUM)
    rate = tables.Column(verbose_name=_("合格率"), attrs=NUM)
    small = tables.Column(verbose_name=_("备注"))

    class Meta(BaseTable.Meta):
        orderable = False
        empty_text = _("所选范围和期间内没有考试成绩。")

    def render_subject(self, value: str) -> str:
        return str(SUBJECTS.get(value, value))

    def value_subject(self, value: str) -> str:
        return str(SUBJECTS.get(value, value))

    def render_rate(self, value: float) -> str:
        return percent(value)

    def value_rate(self, value: float) -> float:
        return value

    def render_small(self, value: bool) -> Any:
        if not value:
            return ""
        return format_html(
            '<span class="tag tag-warn">{}</span>',
            _("样本不足 %(n)s 人，不排名") % {"n": exams.SMALL_SAMPLE},
        )

    def value_small(self, value: bool) -> str:
        return str(_("样本不足 %(n)s 人，不排名") % {"n": exams.SMALL_SAMPLE}) if value else ""


class PassRates(ConsoleReport):
    title = _("考试合格率")
    template_name = "console/rankings/pass_rates.html"
    form_class = PassRateForm

    def form_kwargs(self) -> dict[str, Any]:
        return {"user": self.user}

    def initial(self) -> dict[str, Any]:
        today = clock.today()
        return {"start": f"{today - timedelta(days=364):%Y-%m-%d}", "end": f"{today:%Y-%m-%d}"}

    def figures(self, data: dict[str, Any]) -> dict[str, Any]:
        region = data.get("region")
        rows = exams.school_pass_rates(
            self.user,
            start=data["start"],
            end=data["end"],
            prefix=region.scope_prefix if region else None,
            subject=data.get("subject") or None,
        )
        return {
            "table": PassRateTable(rows),
            "export_name": f"pass-rates-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}",
            "small_sample": exams.SMALL_SAMPLE,
            "small_count": sum(1 for r in rows if r["small"]),
        }


urlpatterns = [
    path("rankings/platforms/", PlatformRanking.as_view(), name="platform_ranking"),
    path("rankings/pass-rates/", PassRates.as_view(), name="pass_rates"),
]
