"""Fences in the console: the review queue of teaching areas and each area on its map.

The queue lists what :func:`jiapei.registry.queries.area_queue_for` scopes to the user, pending
areas first. An area's page draws it with its school's other areas and its city's police routes,
gives its facts and history, and shows the ``/reviewmsg`` callback each review queued in the
outbox. The review itself goes through :func:`jiapei.registry.services.review_area`, which asks
:mod:`jiapei.accounts.access` again and writes the audit-log row and the callback.
"""

from __future__ import annotations

from typing import Any

import django_filters as filters
import django_tables2 as tables
from django import forms
from django.db.models import Q, QuerySet
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiapei.accounts import access
from jiapei.accounts.models import RegionLevel
from jiapei.console.base import ConsoleAction, ConsoleDetail, ConsoleList
from jiapei.console.registry import region_choices
from jiapei.core.actors import Actor
from jiapei.core.models import AuditLogEntry
from jiapei.outbox import queries as outbox
from jiapei.outbox.models import OutboxMessage
from jiapei.registry import queries as registry
from jiapei.registry.models import AreaStatus, AreaType, TeachingArea
from jiapei.registry.services import review_area
from jiapei.web.svg.map import SvgMap
from jiapei.web.tables import BaseTable, DateTimeColumn

# How the map draws an area of the school by its review status; the legend names each kind.
OTHER_KIND = {AreaStatus.REJECTED: "area-rejected"}
LEGEND = {
    "area": _("本教学区域"),
    "area-other": _("该机构其他教学区域"),
    # The kit has no swatch for rejected areas; "void" is drawn the same red dashed line.
    "void": _("已驳回的教学区域"),
    "route": _("公安指定路线"),
}


class AreaFilter(filters.FilterSet):
    school = filters.CharFilter(
        method="by_school", label=_("培训机构"), help_text=_("机构编号或名称")
    )
    region = filters.ModelChoiceFilter(
        queryset=region_choices, label=_("行政区划"), method="in_region", empty_label=_("全部")
    )
    type = filters.ChoiceFilter(
        choices=AreaType.choices, label=_("区域类型"), empty_label=_("全部")
    )
    status = filters.ChoiceFilter(
        choices=AreaStatus.choices, label=_("审核状态"), empty_label=_("全部")
    )

    class Meta:
        model = TeachingArea
        fields = ["school", "region", "type", "status"]

    def by_school(
        self, qs: QuerySet[TeachingArea], name: str, value: str
    ) -> QuerySet[TeachingArea]:
        return qs.filter(
            Q(institution__inscode=value.strip()) | Q(institution__name__icontains=value.strip())
        )

    def in_region(
        self, qs: QuerySet[TeachingArea], name: str, value: Any
    ) -> QuerySet[TeachingArea]:
        return qs.filter(region__code__startswith=value.scope_prefix)


class AreaTable(BaseTable):
    caption = _("教学区域")
    seq = tables.Column(
        verbose_name=_("区域编号"), linkify=("console:area", {"pk": tables.A("pk")})
    )
    name = tables.Column(verbose_name=_("名称"), default="—")
    school = tables.Column(
        verbose_name=_("培训机构"), accessor="institution__name", order_by="institution__name"
    )
    inscode = tables.Column(
        verbose_name=_("机构编号"), accessor="institution__inscode", visible=False
    )
    region = tables.Column(
        verbose_name=_("行政区划"), accessor="region__name", order_by="region_id"
    )
    type = tables.Column(verbose_name=_("区域类型"))
    vehicletype = tables.Column(verbose_name=_("培训车型"))
    area = tables.Column(
        verbose_name=_("面积（m²）"), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    status = tables.Column(verbose_name=_("审核状态"))
    updated_at = DateTimeColumn(verbose_name=_("更新时间"), attrs={"td": {"class": "nowrap"}})

    class Meta(BaseTable.Meta):
        model = TeachingArea
        fields = (
            "seq",
            "name",
            "school",
            "inscode",
            "region",
            "type",
            "vehicletype",
            "area",
            "status",
            "updated_at",
        )
        empty_text = _("没有符合条件的教学区域：计时平台备案的教学区域会出现在这里，请调整筛选条件")

    def render_area(self, value: Any) -> str:
        return f"{value:,.0f}"

    def value_area(self, value: Any) -> float:
        return float(value)


class AreaList(ConsoleList):
    title = _("教学区域审核")
    intro = _("计时平台备案的教学区域（电子围栏），待审核的排在最前。点击区域编号查看地图并审核。")
    table_class = AreaTable
    filterset_class = AreaFilter
    export_name = "teaching-areas"

    def scoped_queryset(self) -> QuerySet[TeachingArea]:
        return registry.area_queue_for(self.user)


def draw_areas(
    area: TeachingArea,
    others: list[TeachingArea],
    routes: list[TeachingArea],
    *,
    label: str,
    city: str,
) -> dict[str, Any]:
    """The map of ``area`` with its school's ``others`` and its city's police ``routes``, as the
    context of ``web/_map.html``: the SVG, a caption giving the counts in words, and the legend
    of the kinds drawn. The area under review is drawn last, on top."""
    drawing = SvgMap(label=label)
    kinds = {"area"}
    for other in others:
        kind = OTHER_KIND.get(other.status, "area-other")  # type: ignore[call-overload]
        drawing.polygon(
            other.polygon,
            kind=kind,
            title=f"{other.seq} {other.name} · {other.get_status_display()}",
            href=reverse("console:area", args=[other.pk]),
        )
        kinds.add("void" if kind == "area-rejected" else kind)
    for route in routes:
        title = f"{gettext('公安指定路线')} {route.seq} {route.name}"
        drawing.line(route.polygon, kind="route", title=title)
        kinds.add("route")
    drawing.polygon(
        area.polygon, kind="area", title=f"{area.seq} {area.name} · {area.get_status_display()}"
    )
    parts = [
        gettext("本教学区域（%(status)s）") % {"status": area.get_status_display()},
        gettext("该机构其他教学区域 %(n)d 个") % {"n": len(others)},
        gettext("%(city)s公安指定路线 %(n)d 条") % {"city": city, "n": len(routes)},
    ]
    return {
        "svg": drawing.render(),
        "caption": gettext("图中：") + gettext("；").join(parts) + gettext("。"),
        "legend": [(key, label) for key, label in LEGEND.items() if key in kinds],
    }


def city_name(area: TeachingArea) -> str:
    """The name of the city the area lies in (its region, or the region's parent)."""
    region = area.region
    if region.level == RegionLevel.COUNTY and region.parent is not None:
        return region.parent.name
    return region.name


def review_messages(entries: list[AuditLogEntry]) -> list[dict[str, Any]]:
    """Each review decision among ``entries`` with the ``/reviewmsg`` callback it queued (keyed
    ``reviewmsg:<entry id>`` by the service), newest first; ``message`` is None when nothing was
    queued (an area without a timing platform)."""
    decisions = [e for e in entries if e.action == "region.review"]
    messages: dict[str, OutboxMessage] = {
        m.idempotency_key: m for m in outbox.matching(keys=[f"reviewmsg:{e.pk}" for e in decisions])
    }
    return [
        {
            "entry": e,
            "status": (e.after or {}).get("status"),
            "message": messages.get(f"reviewmsg:{e.pk}"),
        }
        for e in decisions
    ]


class AreaDetail(ConsoleDetail):
    template_name = "console/areas/area.html"

    def scoped_queryset(self) -> QuerySet[TeachingArea]:
        return registry.area_queue_for(self.user).select_related(
            "institution", "platform", "region__parent"
        )

    def get_title(self) -> Any:
        area = self.object
        return gettext("教学区域 %(seq)s %(name)s") % {"seq": area.seq, "name": area.name}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        area: TeachingArea = self.object
        others = list(registry.school_areas(area))
        routes = list(registry.city_routes(self.user, area.region_id))
        city = city_name(area)
        context.update(
            others=others,
            routes=routes,
            map=draw_areas(area, others, routes, label=str(self.get_title()), city=city),
            reviews=review_messages(list(context["history"])),
            area_m2=f"{area.area:,.0f}",
            may_review=area.status == AreaStatus.PENDING
            and access.allowed(self.user, access.Action.REVIEW_AREAS),
            review_form=AreaReviewForm(),
            review_url=reverse("console:area_review", args=[area.pk]),
        )
        return context


class AreaReviewForm(forms.Form):
    """The regulator's decision on a pending area; the service refuses a rejection without a
    reason, and the form says so beforehand."""

    decision = forms.ChoiceField(
        label=_("审核结论"),
        choices=[("approve", _("通过")), ("reject", _("驳回"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("理由"),
        help_text=_("驳回时必须填写理由；理由记入历史记录，计时平台查询审核结果时可见。"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        required=False,
    )
    confirm = forms.BooleanField(label=_("我已核对地图与备案信息，确认提交审核结论"), required=True)


class AreaReview(ConsoleAction):
    title = _("审核教学区域")
    template_name = "console/areas/review.html"
    form_class = AreaReviewForm
    done_message = _("审核结论已保存，已通知计时平台")

    def scoped_queryset(self) -> QuerySet[TeachingArea]:
        return registry.area_queue_for(self.user).select_related("institution", "region__parent")

    def perform(self, actor: Actor, form: forms.Form) -> Any:
        return review_area(
            actor=actor,
            area_id=self.object.pk,
            approve=form.cleaned_data["decision"] == "approve",
            reason=form.cleaned_data["reason"],
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        area: TeachingArea = self.object
        others = list(registry.school_areas(area))
        routes = list(registry.city_routes(self.user, area.region_id))
        context["map"] = draw_areas(area, others, routes, label=str(area), city=city_name(area))
        return context


urlpatterns = [
    path("areas/", AreaList.as_view(), name="areas"),
    path("areas/<int:pk>/", AreaDetail.as_view(), name="area"),
    path("areas/<int:pk>/review/", AreaReview.as_view(), name="area_review"),
]
