"""The monthly campaign report (seed 002 附件2) in the console: a city's form, the province's
follow-up of every city, and both as .xlsx in the paper form's layout.

A city officer opens the form of a month (by default last month, the one due now), sees the
figures the platform computes beside the ones the city keeps by hand, saves a draft and submits
it by the 5th; a submission after that is marked late. The province sees each city's status and
the roll-up of the cities' figures. Figures are read from :mod:`jiapei.reports.monthly` and
:mod:`jiapei.reports.submissions`; saving and submitting call :mod:`jiapei.reports.services`,
which ask :mod:`jiapei.accounts.access` again and write the audit-log rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from jiapei.accounts import access
from jiapei.accounts.models import Region, RegionLevel
from jiapei.console.base import ConsolePage
from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.core.errors import DomainError, FieldError, Forbidden, NotAuthenticated, NotFound
from jiapei.reports import services, xlsx
from jiapei.reports.monthly import FIELDS, GROUPS, ReportField
from jiapei.reports.periods import Month, last_month, parse_month
from jiapei.reports.submissions import (
    Status,
    Submission,
    report_of,
    submission_of,
    submissions,
)
from jiapei.web.views import add_domain_error

STATUS_LABELS = {
    Status.NOT_STARTED: _("未填报"),
    Status.DRAFT: _("草稿"),
    Status.ON_TIME: _("按时报送"),
    Status.LATE: _("逾期报送"),
}
STATUS_TAGS = {
    Status.NOT_STARTED: "tag-muted",
    Status.DRAFT: "tag-warn",
    Status.ON_TIME: "tag-ok",
    Status.LATE: "tag-bad",
}
MONTHS_SHOWN = 12  # months offered by the month picker, the current one first


def month_choices() -> list[tuple[str, str]]:
    """The current month and the :data:`MONTHS_SHOWN` - 1 before it, newest first."""
    first = clock.today().replace(day=1)
    out = []
    for _n in range(MONTHS_SHOWN):
        out.append((f"{first:%Y-%m}", f"{first.year}年{first.month}月"))
        first = (first - timedelta(days=1)).replace(day=1)
    return out


def chosen_month(request: HttpRequest) -> Month:
    """The month named by ``?month=YYYY-MM``; last month when none (or a bad one) is named."""
    value = request.GET.get("month") or request.POST.get("month")
    if value:
        try:
            return parse_month(value)
        except FieldError:
            pass
    return last_month()


def formatted(f: ReportField, value: int | float | None) -> str:
    """A figure as the form shows it: a rate in per cent, nothing as a dash."""
    if value is None:
        return "—"
    if f.kind == "rate":
        return f"{value * 100:.1f}%"
    return str(value)


class MonthlyForm(forms.Form):
    """One integer field per figure the city enters; all optional for a draft, all required to
    submit (:meth:`clean` with ``submitting``)."""

    def __init__(self, *args: Any, submitting: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.submitting = submitting
        for f in FIELDS:
            if f.source == "entered":
                self.fields[f.name] = forms.IntegerField(
                    label=f.label,
                    min_value=0,
                    max_value=services.MAX_VALUE,
                    required=False,
                    widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "num"}),
                )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.submitting:
            for name in list(self.fields):
                if name not in self.errors and cleaned.get(name) is None:
                    self.add_error(name, _("报送前必须填写此项（没有发生请填 0）"))
        return cleaned


@dataclass
class Line:
    """One row of the form's table: a field with its computed value or its input."""

    field: ReportField
    group: str
    group_span: int  # rows the group's cell spans (0: covered by the row above)
    shown: str  # the value as shown (computed, or entered once submitted)
    bound: forms.BoundField | None  # the input, for an entered field while editable


def lines(form: MonthlyForm | None, values: dict[str, Any]) -> list[Line]:
    out: list[Line] = []
    for group in GROUPS:
        members = [f for f in FIELDS if f.group == group.name]
        for index, f in enumerate(members):
            bound = form[f.name] if form is not None and f.source == "entered" else None
            out.append(
                Line(
                    f,
                    group.label,
                    len(members) if index == 0 else 0,
                    formatted(f, values[f.name]),
                    bound,
                )
            )
    return out


def city_of(user: Any, code: str) -> Region:
    """The city ``code`` if the user's region covers it; another region's form is a 404."""
    access.require(user, access.Action.READ_REPORTS)
    city = Region.objects.filter(code=code, level=RegionLevel.CITY).first()
    if city is None or not access.covers(user, city.code):
        raise Http404
    return city


def page_url(name: str, code: str, month: Month) -> str:
    return f"{reverse(f'console:{name}', args=[code])}?{urlencode({'month': month.label})}"


class MonthlyOverview(ConsolePage):
    """/console/monthly/: the province's follow-up; a city's officer goes to its own form."""

    title = _("专项整治月报表")
    template_name = "console/monthly/overview.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        access.require(self.user, access.Action.READ_REPORTS)
        region = self.user.region
        assert region is not None
        if region.level == RegionLevel.CITY:
            return HttpResponseRedirect(
                page_url("monthly_city", region.code, chosen_month(request))
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        region = self.user.region
        assert region is not None
        month = chosen_month(self.request)
        states = submissions(region, month)
        for state in states:
            # What the status table shows of each city (the template cannot index by status).
            state.url = page_url("monthly_city", state.city.code, month)  # type: ignore[attr-defined]
            state.label = STATUS_LABELS[state.status]  # type: ignore[attr-defined]
            state.tag = STATUS_TAGS[state.status]  # type: ignore[attr-defined]
        report = report_of(region, month)
        counts = {s: sum(1 for x in states if x.status == s) for s in Status}
        context.update(
            month=month,
            months=month_choices(),
            states=states,
            due_day=states[0].due_day if states else None,
            counts=[(STATUS_LABELS[s], STATUS_TAGS[s], counts[s]) for s in Status],
            overdue=sum(1 for s in states if s.overdue),
            fields=FIELDS,
            groups=[(g.label, sum(1 for f in FIELDS if f.group == g.name)) for g in GROUPS],
            rows=[(row, [formatted(f, row.values[f.name]) for f in FIELDS]) for row in report.rows],
            xlsx_url=page_url("monthly_xlsx", region.code, month),
        )
        return context


class MonthlyCity(ConsolePage):
    """/console/monthly/<city>/: a city's form of a month — save a draft, submit, download."""

    template_name = "console/monthly/city.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            access.regulator(request.user)
            self.city = city_of(request.user, kwargs["code"])
            self.month = chosen_month(request)
        return super().dispatch(request, *args, **kwargs)

    def get_title(self) -> Any:
        first = self.month.first
        return f"{_('专项整治月报表')} · {self.city.name} · {first.year}年{first.month}月"

    def may_enter(self) -> bool:
        return access.allowed(self.user, access.Action.ENTER_REPORT_INPUTS, region=self.city.code)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        access.require(self.user, access.Action.ENTER_REPORT_INPUTS, region=self.city.code)
        if submission_of(self.city, self.month).submitted:
            # A form opened before the submission (another tab, a colleague) changes nothing.
            messages.error(request, str(_("该月报表已报送，不能再修改")))
            return HttpResponseRedirect(page_url("monthly_city", self.city.code, self.month))
        submitting = "submit" in request.POST
        form = MonthlyForm(request.POST, submitting=submitting)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=200)
        values = {name: form.cleaned_data.get(name) for name in form.fields}
        actor = Actor.for_user(self.user)
        try:
            if submitting:
                services.submit_report(
                    actor=actor, region=self.city.code, month=self.month.label, values=values
                )
            else:
                services.enter_inputs(
                    actor=actor, region=self.city.code, month=self.month.label, values=values
                )
        except (Forbidden, NotAuthenticated, NotFound):
            raise
        except DomainError as error:
            add_domain_error(form, error)
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(
            request, str(_("月报表已报送省厅") if submitting else _("草稿已保存，可继续修改"))
        )
        return HttpResponseRedirect(page_url("monthly_city", self.city.code, self.month))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        state: Submission = submission_of(self.city, self.month)
        report = report_of(self.city, self.month)
        values = report.main.values
        editable = self.may_enter() and not state.submitted
        form = kwargs.get("form")
        if form is None and editable:
            stored = state.entry.values if state.entry is not None else {}
            form = MonthlyForm(initial=dict(stored))
        context.update(
            city=self.city,
            month=self.month,
            months=month_choices(),
            state=state,
            status_label=STATUS_LABELS[state.status],
            status_tag=STATUS_TAGS[state.status],
            form=form if editable else None,
            lines=lines(form if editable else None, values),
            authority=report.authority,
            period=self.month.period_zh,
            xlsx_url=page_url("monthly_xlsx", self.city.code, self.month),
            overview_url=(
                f"{reverse('console:monthly')}?{urlencode({'month': self.month.label})}"
                if self.user.region is not None and self.user.region.level == RegionLevel.PROVINCE
                else None
            ),
        )
        return context


def monthly_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    """The form of a city, or the province's roll-up, as .xlsx (reports/xlsx.py's layout)."""
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    access.require(request.user, access.Action.READ_REPORTS)
    region = Region.objects.filter(code=code).first()
    if (
        region is None
        or region.level not in (RegionLevel.CITY, RegionLevel.PROVINCE)
        or not access.covers(request.user, region.code)
    ):
        raise Http404
    report = report_of(region, chosen_month(request))
    response = HttpResponse(xlsx.render(report), content_type=xlsx.CONTENT_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="{xlsx.ascii_filename(report)}"; '
        f"filename*=UTF-8''{quote(xlsx.filename(report))}"
    )
    return response


urlpatterns = [
    path("monthly/", MonthlyOverview.as_view(), name="monthly"),
    path("monthly/<str:code>/", MonthlyCity.as_view(), name="monthly_city"),
    path("monthly/<str:code>/xlsx/", monthly_xlsx, name="monthly_xlsx"),
]
