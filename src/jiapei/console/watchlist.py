"""The key-supervision list (重点监管名单, seed 002 （四）) in the console: schools and coaches
listed with their reasons and dates, adding an entry and lifting one.

The list reads :func:`jiapei.supervision.queries.watchlist_for` (scoped by the entry's
region); adding and lifting call :mod:`jiapei.supervision.services`, which ask
:mod:`jiapei.accounts.access` for ``MANAGE_WATCHLIST`` and write the audit-log row. A number
outside the user's region is "no such filing" there, and the form says so on its field.
"""

from __future__ import annotations

from typing import Any

import django_filters as filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView

from jiapei.accounts import access
from jiapei.console.base import Console, ConsoleAction, ConsoleList
from jiapei.console.registry import region_choices
from jiapei.core.actors import Actor
from jiapei.core.errors import DomainError
from jiapei.supervision import queries, services
from jiapei.supervision.models import WatchKind, WatchlistEntry
from jiapei.web import views as web
from jiapei.web.tables import BaseTable

KINDS = {WatchKind.SCHOOL: _("培训机构"), WatchKind.COACH: _("教练员")}


def kind_label(kind: str) -> str:
    return str(KINDS.get(kind, kind))  # type: ignore[call-overload]


class WatchFilter(filters.FilterSet):
    q = filters.CharFilter(
        method="search", label=_("机构或教练员"), help_text=_("编号或名称（姓名）")
    )
    kind = filters.ChoiceFilter(choices=list(KINDS.items()), label=_("类别"), empty_label=_("全部"))
    state = filters.ChoiceFilter(
        choices=[("active", _("在列")), ("lifted", _("已移出"))],
        method="by_state",
        label=_("状态"),
        empty_label=_("全部"),
    )
    region = filters.ModelChoiceFilter(
        queryset=region_choices, label=_("行政区划"), method="in_region", empty_label=_("全部")
    )
    since = filters.DateFilter(
        field_name="listed_on",
        lookup_expr="gte",
        label=_("列入日期起"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = filters.DateFilter(
        field_name="listed_on",
        lookup_expr="lte",
        label=_("列入日期止"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    on = filters.DateFilter(
        method="listed_that_day",
        label=_("某日在列"),
        help_text=_("该日在名单中的机构和教练员"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = WatchlistEntry
        fields = ["q", "kind", "state", "region", "since", "until", "on"]

    def listed_that_day(self, qs: QuerySet[WatchlistEntry], name: str, value: Any) -> QuerySet:
        return queries.active_on(qs, value)

    def search(self, qs: QuerySet[WatchlistEntry], name: str, value: str) -> QuerySet:
        value = value.strip()
        return qs.filter(
            Q(institution__inscode=value)
            | Q(institution__name__icontains=value)
            | Q(coach__number=value)
            | Q(coach__name=value)
        )

    def by_state(self, qs: QuerySet[WatchlistEntry], name: str, value: str) -> QuerySet:
        return qs.filter(lifted_on__isnull=value == "active")

    def in_region(self, qs: QuerySet[WatchlistEntry], name: str, value: Any) -> QuerySet:
        return qs.filter(region__code__startswith=value.scope_prefix)


class WatchTable(BaseTable):
    caption = _("重点监管名单")
    kind = tables.Column(verbose_name=_("类别"))
    school = tables.Column(
        verbose_name=_("培训机构"),
        accessor="institution__name",
        order_by="institution__name",
        linkify=("console:institution", {"pk": tables.A("institution_id")}),
    )
    inscode = tables.Column(verbose_name=_("机构编号"), accessor="institution__inscode")
    coach = tables.Column(
        verbose_name=_("教练员"),
        accessor="coach__name",
        order_by="coach__number",
        default="—",
        linkify=lambda record: (
            reverse("console:coach", args=[record.coach_id]) if record.coach_id else None
        ),
    )
    coachnum = tables.Column(verbose_name=_("教练员编号"), accessor="coach__number", default="—")
    district = tables.Column(
        verbose_name=_("行政区划"), accessor="region__name", order_by="region_id"
    )
    reason = tables.Column(verbose_name=_("列入原因"), orderable=False)
    listed_on = tables.DateColumn(verbose_name=_("列入日期"), format="Y-m-d")
    lifted_on = tables.Column(verbose_name=_("状态"), empty_values=())
    lift = tables.Column(
        verbose_name=_("操作"), accessor="pk", orderable=False, exclude_from_export=True
    )

    class Meta(BaseTable.Meta):
        model = WatchlistEntry
        fields = (
            "kind",
            "school",
            "inscode",
            "coach",
            "coachnum",
            "district",
            "reason",
            "listed_on",
            "lifted_on",
            "lift",
        )
        empty_text = _("名单中没有符合条件的机构或教练员。")

    def render_kind(self, value: str) -> str:
        return kind_label(value)

    def value_kind(self, value: str) -> str:
        return kind_label(value)

    def render_lifted_on(self, record: WatchlistEntry) -> Any:
        if record.lifted_on is None:
            return format_html('<span class="tag tag-bad">{}</span>', _("在列"))
        return format_html(
            '<span class="tag tag-ok">{}</span><div class="hint">{} · {}</div>',
            _("已移出"),
            f"{record.lifted_on:%Y-%m-%d}",
            record.lift_reason,
        )

    def value_lifted_on(self, record: WatchlistEntry) -> str:
        if record.lifted_on is None:
            return str(_("在列"))
        return f"{_('已移出')} {record.lifted_on:%Y-%m-%d}：{record.lift_reason}"

    def render_lift(self, record: WatchlistEntry) -> Any:
        if record.lifted_on is not None:
            return "—"
        url = reverse("console:watchlist_lift", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, _("移出名单"))


class WatchList(ConsoleList):
    title = _("重点监管名单")
    intro = _(
        "对查明问题、情节严重的培训机构和教练员列入重点监管名单（专项整治方案 （四）重点监管），"
        "每月通报。移出名单须写明理由；名单的每次变更记入操作日志。"
    )
    template_name = "console/watchlist/list.html"
    table_class = WatchTable
    filterset_class = WatchFilter
    export_name = "watchlist"

    def scoped_queryset(self) -> QuerySet[WatchlistEntry]:
        return queries.watchlist_for(self.user).select_related("region")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["may_manage"] = access.allowed(self.user, access.Action.MANAGE_WATCHLIST)
        return context


class WatchForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=list(KINDS.items()), widget=forms.RadioSelect)
    number = forms.CharField(
        label=_("机构编号或教练员编号"),
        help_text=_("列入培训机构填 16 位机构编号，列入教练员填 16 位教练员编号；须为本辖区备案。"),
        max_length=16,
    )
    reason = forms.CharField(
        label=_("列入原因"),
        help_text=_("查明的问题及依据，如“学时造假，责令限期整改”；将在月度通报中公布。"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
    )
    listed_on = forms.DateField(
        label=_("列入日期"),
        help_text=_("不填则为今天。"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class LiftForm(forms.Form):
    reason = forms.CharField(
        label=_("移出理由"),
        help_text=_("如“整改到位，经复查合格”。"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
    )
    lifted_on = forms.DateField(
        label=_("移出日期"),
        help_text=_("不填则为今天；不能早于列入日期。"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    confirm = forms.BooleanField(label=_("我已核对，确认移出重点监管名单"), required=True)


def wire_data(form: forms.Form) -> dict[str, Any]:
    """The form's values as the service takes them (dates as ISO text, empty ones left out)."""
    data = {}
    for name, value in form.cleaned_data.items():
        if value in (None, "") or name == "confirm":
            continue
        data[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return data


class CreateView(Console, web.LoginRequired, web.EndMixin, FormView):
    """A form that creates something through a service (no object yet). A domain error —
    including "no such filing" for a number outside the user's region, which here is a
    mistake in the form, not a page that does not exist — is shown on the field it names."""

    template_name = "console/watchlist/form.html"
    done_message: Any = ""
    back_url_name = ""
    intro: Any = ""

    def perform(self, actor: Actor, form: forms.Form) -> Any:
        raise NotImplementedError

    def form_valid(self, form: forms.Form) -> HttpResponse:
        try:
            self.perform(Actor.for_user(self.user), form)
        except DomainError as error:
            if not hasattr(error, "reason") and error.field in form.fields:
                # A refusal such as NotFound names no reason apart from its message, which
                # starts with "field=value: "; the field's error says what is wrong only.
                prefix = f"{error.field}={error.value!r}: "
                form.add_error(error.field, error.message.removeprefix(prefix))
            else:
                web.add_domain_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, str(self.done_message))
        return HttpResponseRedirect(reverse(self.back_url_name))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(back_url=reverse(self.back_url_name), intro=self.intro)
        return context


class WatchAdd(CreateView):
    title = _("列入重点监管名单")
    intro = _("列入后即出现在名单和当月通报中；同一机构或教练员在列期间不能重复列入。")
    form_class = WatchForm
    done_message = _("已列入重点监管名单")
    back_url_name = "console:watchlist"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            access.require(request.user, access.Action.MANAGE_WATCHLIST)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        # A link from a school's or coach's page may name what to list (?kind=…&number=…).
        return {k: self.request.GET[k] for k in ("kind", "number") if k in self.request.GET}

    def perform(self, actor: Actor, form: forms.Form) -> Any:
        return services.add_to_watchlist(actor=actor, data=wire_data(form))


class WatchLift(ConsoleAction):
    title = _("移出重点监管名单")
    form_class = LiftForm
    done_message = _("已移出重点监管名单")

    def scoped_queryset(self) -> QuerySet[WatchlistEntry]:
        return queries.watchlist_for(self.user).filter(lifted_on__isnull=True)

    def get_success_url(self) -> str:
        return reverse("console:watchlist")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        row: WatchlistEntry = self.object
        who = (
            f"{row.coach.name}（{row.coach.number}）· {row.institution.name}"
            if row.coach
            else f"{row.institution.name}（{row.institution.inscode}）"
        )
        context["object"] = (
            f"{kind_label(row.kind)} {who}，{row.listed_on:%Y-%m-%d} 列入：{row.reason}"
        )
        return context

    def perform(self, actor: Actor, form: forms.Form) -> Any:
        return services.lift_watch(actor=actor, entry_id=self.object.pk, data=wire_data(form))


urlpatterns = [
    path("watchlist/", WatchList.as_view(), name="watchlist"),
    path("watchlist/new/", WatchAdd.as_view(), name="watchlist_add"),
    path("watchlist/<int:pk>/lift/", WatchLift.as_view(), name="watchlist_lift"),
]
