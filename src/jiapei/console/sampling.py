"""The sampled manual audit (人工抽查, seed 002 三) in the console: the cities' shares, the
month's draws with each county's progress, a draw's list of logs and its re-verification from
the seed. The log-by-log workbench is :mod:`.sampling_review`.

Reads go through :mod:`jiapei.supervision.queries` (draws scoped by their region, so another
county's draw is a 404); writes through :mod:`jiapei.supervision.services`, which ask
:mod:`jiapei.accounts.access` again and write the audit-log rows.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, ClassVar, cast

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView

from jiapei.accounts import access
from jiapei.accounts.models import RegionLevel
from jiapei.console.base import Console, ConsoleDetail, ConsolePage
from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.core.errors import DomainError, FieldError, Forbidden, NotAuthenticated, NotFound
from jiapei.core.models import AuditLogEntry
from jiapei.supervision import queries, sampling, services
from jiapei.supervision.models import SampleDraw, Verdict
from jiapei.web.svg.chart import bar_chart
from jiapei.web.views import EndMixin, LoginRequired, add_domain_error

VERDICT_TAGS: dict[str, str] = {
    Verdict.PENDING: "tag-warn",
    Verdict.GOOD: "tag-ok",
    Verdict.BAD: "tag-bad",
}
REASON_WORDS = {"finding": _("有疑点线索"), "random": _("随机抽取")}


class ConsoleForm(Console, LoginRequired, EndMixin, FormView):
    """A console form that is not about one object: :meth:`perform` calls a service; a domain
    error shows on the form (on the field it names), as :class:`jiapei.web.views.ActionView`."""

    template_name = "web/action.html"
    done_message: ClassVar[Any] = _("操作已完成")

    def perform(self, actor: Actor, form: forms.Form) -> Any:
        raise NotImplementedError

    def form_valid(self, form: forms.Form) -> HttpResponse:
        try:
            self.result = self.perform(Actor.for_user(self.user), form)
        except (Forbidden, NotAuthenticated, NotFound):
            raise
        except DomainError as error:
            add_domain_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, str(self.done_message))
        return HttpResponseRedirect(self.get_success_url())


def percent(share: Decimal) -> str:
    """A share as a percentage, without trailing zeros (0.600 → 60 %)."""
    return f"{(share * 100).normalize():f} %"


# Sampling policies.


class PolicyForm(forms.Form):
    region = forms.ChoiceField(label=_("地市"))
    share = forms.DecimalField(
        label=_("抽查比例（%）"),
        help_text=_("每月教学日志中人工抽查的比例，例如 60、40、20；有疑点线索的日志全部抽取。"),
        min_value=Decimal("0.1"),
        max_value=Decimal(100),
        decimal_places=1,
        max_digits=4,
    )
    effective_from = forms.DateField(
        label=_("生效日期"),
        help_text=_("从该日所在月份起的抽查使用此比例（按月初生效的比例抽取）。"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(
        label=_("说明"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, cities: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["region"]).choices = cities


def cities_of(user: Any) -> list[tuple[str, str]]:
    """The cities whose share the user may set, as form choices."""
    regions = access.visible_regions(user).filter(level=RegionLevel.CITY)
    return [(r.code, r.name) for r in regions]


class PolicyPage(ConsoleForm):
    title = _("抽查比例")
    template_name = "console/sampling/policy.html"
    form_class = PolicyForm
    done_message = _("抽查比例已保存")

    def post(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        # Everyone in the console reads the shares; only those who may set one may post.
        access.require(request.user, access.Action.SET_SAMPLING_POLICIES)
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["cities"] = cities_of(self.user)
        return kwargs

    def get_initial(self) -> dict[str, Any]:
        # Shares are applied per month: the next month's first day is the usual start.
        return {
            "effective_from": (clock.today().replace(day=1) + timedelta(days=32)).replace(day=1)
        }

    def perform(self, actor: Actor, form: forms.Form) -> Any:
        data = form.cleaned_data
        return services.set_policy(
            actor=actor,
            data={
                "region": data["region"],
                "share": str(data["share"] / 100),
                "effective_from": data["effective_from"].isoformat(),
                "note": data["note"],
            },
        )

    def get_success_url(self) -> str:
        return reverse("console:sampling_policy")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = clock.today()
        policies = list(
            queries.policies_for(self.user)
            .select_related("region", "created_by")
            .order_by("region_id", "-effective_from")
        )
        in_force = {}
        for row in policies:
            if row.effective_from <= today and row.region_id not in in_force:
                in_force[row.region_id] = row
        cities = [
            {
                "code": code,
                "name": name,
                "policy": in_force.get(code),
                "share": percent(
                    in_force[code].share if code in in_force else queries.default_share()
                ),
            }
            for code, name in cities_of(self.user) or self.own_city()
        ]
        context.update(
            policies=[
                {"row": r, "share": percent(r.share), "future": r.effective_from > today}
                for r in policies
            ],
            cities=cities,
            default_share=percent(queries.default_share()),
            may_set=access.allowed(self.user, access.Action.SET_SAMPLING_POLICIES),
        )
        return context

    def own_city(self) -> list[tuple[str, str]]:
        # A county regulator sets nothing but reads the share its city applies to it.
        region = self.user.region
        assert region is not None
        code = queries.city_of(region.code)
        return [(code, str(region.parent.name if region.parent else code))]


# Draws.


class DrawForm(forms.Form):
    region = forms.ChoiceField(label=_("行政区划"))
    month = forms.CharField(
        label=_("月份"),
        help_text=_("抽取该月全部教学日志中的一部分；再次抽取只补充新增的日志，不会重复抽取。"),
        widget=forms.TextInput(attrs={"type": "month"}),
    )

    def __init__(self, *args: Any, regions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["region"]).choices = regions


def draw_regions(user: Any) -> list[tuple[str, str]]:
    levels = [RegionLevel.CITY, RegionLevel.COUNTY]
    return [(r.code, r.name) for r in access.visible_regions(user).filter(level__in=levels)]


def last_month() -> date:
    return (clock.today().replace(day=1) - timedelta(days=1)).replace(day=1)


class DrawAction(ConsoleForm):
    title = _("抽取教学日志")
    form_class = DrawForm
    done_message = _("已抽取；有疑点线索的日志全部抽中，其余按种子随机抽取")

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            access.require(request.user, access.Action.DRAW_SAMPLES)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["regions"] = draw_regions(self.user)
        return kwargs

    def get_initial(self) -> dict[str, Any]:
        return {"month": f"{last_month():%Y-%m}"}

    def perform(self, actor: Actor, form: forms.Form) -> Any:
        data = form.cleaned_data
        return services.draw(actor=actor, region_code=data["region"], month=data["month"])

    def get_success_url(self) -> str:
        rows = getattr(self, "result", None) or []
        month = f"?month={rows[0].month:%Y-%m}" if rows else ""
        return reverse("console:sampling") + month

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(object=gettext("人工抽查"), back_url=reverse("console:sampling"))
        return context


def progress_rows(draws: list[SampleDraw]) -> list[dict[str, Any]]:
    """Each draw with its counts and share done (draws annotated by ``draws_for``)."""
    rows = []
    for row in draws:
        counts = queries.progress(row)
        drawn, reviewed = counts["drawn"], counts["reviewed"]
        rows.append(
            {
                "draw": row,
                "target": sampling.target(row.share, row.logs_total),
                "share": percent(row.share),
                "good": reviewed - counts["bad"],
                "done": round(100 * reviewed / drawn) if drawn else 100,
                **counts,
            }
        )
    return rows


class DrawsPage(ConsolePage):
    title = _("人工抽查")
    template_name = "console/sampling/draws.html"

    def month(self, months: list[date]) -> date:
        raw = self.request.GET.get("month", "")
        if raw:
            try:
                return sampling.parse_month("month", raw)
            except FieldError:
                pass
        return months[0] if months else last_month()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        months = queries.draw_months(self.user)
        month = self.month(months)
        draws = list(queries.draws_for(self.user).filter(month=month).select_related("region"))
        rows = progress_rows(draws)
        drawn = sum(r["drawn"] for r in rows)
        reviewed = sum(r["reviewed"] for r in rows)
        chart = None
        if rows:
            chart = bar_chart(
                gettext("%(month)s 各地抽查完成率") % {"month": f"{month:%Y-%m}"},
                [(r["draw"].region.name, r["done"]) for r in rows],
                unit="%",
            )
        may_draw = access.allowed(self.user, access.Action.DRAW_SAMPLES)
        context.update(
            month=month,
            months=months,
            rows=rows,
            chart=chart,
            totals={
                "drawn": drawn,
                "reviewed": reviewed,
                "bad": sum(r["bad"] for r in rows),
                "good": sum(r["good"] for r in rows),
                "done": round(100 * reviewed / drawn) if drawn else 0,
            },
            may_draw=may_draw,
            draw_form=DrawForm(regions=draw_regions(self.user), initial={"month": f"{month:%Y-%m}"})
            if may_draw
            else None,
        )
        return context


class DrawDetail(ConsoleDetail):
    template_name = "console/sampling/draw.html"
    per_page = 100

    def scoped_queryset(self) -> QuerySet[SampleDraw]:
        return queries.draws_for(self.user).select_related("region", "drawn_by")

    def get_title(self) -> Any:
        row = self.object
        return gettext("%(region)s %(month)s 人工抽查") % {
            "region": row.region.name,
            "month": f"{row.month:%Y-%m}",
        }

    def history(self) -> QuerySet[AuditLogEntry]:
        # The draw's page is where its verdicts are followed: their rows are listed with it.
        return queries.draw_history(self.object)[: self.history_limit]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        row: SampleDraw = self.object
        verdict = self.request.GET.get("verdict", "")
        reviews = queries.reviews_of(row)
        if verdict in Verdict.values:
            reviews = reviews.filter(verdict=verdict)
        page = Paginator(reviews, self.per_page).get_page(self.request.GET.get("page"))
        [summary] = progress_rows([row])
        first = queries.reviews_of(row).filter(verdict=Verdict.PENDING).first()
        context.update(
            # The 64 hex digits may break every 16 (a narrow panel), and copy without spaces.
            seed_parts=[row.seed[i : i + 16] for i in range(0, len(row.seed), 16)],
            summary=summary,
            method=sampling.METHOD,
            page_obj=page,
            reviews=[
                {
                    "row": r,
                    "tag": VERDICT_TAGS.get(r.verdict, ""),
                    "why": REASON_WORDS.get(r.reason, r.reason),
                    "order": getattr(r, "work_order", None),
                }
                for r in page.object_list
            ],
            verdict=verdict,
            verdicts=Verdict.choices,
            first_pending=first,
        )
        return context


class DrawVerify(DrawDetail):
    template_name = "console/sampling/verify.html"

    def get_title(self) -> Any:
        return gettext("按种子复核抽查 %(title)s") % {"title": super().get_title()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        replay = queries.replay_draw(self.object)
        context.update(
            replay=replay,
            keys=sorted(replay.keys.items(), key=lambda kv: kv[1]),
            month_changed=replay.logs_now != self.object.logs_total,
        )
        return context


urlpatterns = [
    path("sampling/", DrawsPage.as_view(), name="sampling"),
    path("sampling/policy/", PolicyPage.as_view(), name="sampling_policy"),
    path("sampling/draw/", DrawAction.as_view(), name="sampling_draw"),
    path("sampling/<int:pk>/", DrawDetail.as_view(), name="sampling_draw_detail"),
    path("sampling/<int:pk>/verify/", DrawVerify.as_view(), name="sampling_verify"),
]
