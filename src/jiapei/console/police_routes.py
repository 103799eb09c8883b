"""Police-designated road-training routes (公安指定路线) in the console.

Every regulator reads the routes of its city (a county's regulators follow their city's); the
cities and the province enter and edit them on a form that draws the route, through
:func:`jiapei.registry.services.enter_police_route` (which asks :mod:`jiapei.accounts.access`
again). The form speaks the service's language: the coordinates are one ``lng,lat`` per line
(joined into the service's ``lng,lat;…`` ring), the time windows rows of start, end and days.
"""

from __future__ import annotations

from typing import Any

import django_filters as filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView

from jiapei.accounts import access
from jiapei.accounts.models import RegionLevel, User
from jiapei.console.base import Console, ConsoleDetail, ConsoleList
from jiapei.core.actors import Actor
from jiapei.core.errors import DomainError, FieldErrors
from jiapei.registry import queries as registry
from jiapei.registry.models import TeachingArea
from jiapei.registry.services import enter_police_route
from jiapei.web import views as web
from jiapei.web.svg.map import SvgMap
from jiapei.web.tables import BaseTable, DateTimeColumn

WEEKDAYS = [
    (1, _("周一")),
    (2, _("周二")),
    (3, _("周三")),
    (4, _("周四")),
    (5, _("周五")),
    (6, _("周六")),
    (7, _("周日")),
]
# The form's checkboxes name the day only (the column is headed 星期), so a row stays one line.
WEEKDAY_BOXES = [(1, "一"), (2, "二"), (3, "三"), (4, "四"), (5, "五"), (6, "六"), (7, "日")]
WINDOW_ROWS = 3  # empty rows offered below the route's windows


def describe_windows(windows: list[dict[str, Any]]) -> str:
    """``周一至周五 08:00–12:00；每天 14:00–18:00`` from the stored windows."""
    parts = []
    for window in windows or []:
        parts.append(f"{describe_days(window.get('weekdays') or [])} "
                     f"{window.get('start', '')}–{window.get('end', '')}")  # fmt: skip
    return "；".join(parts) or "—"


def describe_days(days: list[int]) -> str:
    """``每天``, ``周一至周五`` (three or more days in a row) or ``周六、周日``."""
    names = dict(WEEKDAYS)
    days = sorted(d for d in set(days) if d in names)
    if days == list(range(1, 8)):
        return gettext("每天")
    if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
        return gettext("%(first)s至%(last)s") % {"first": names[days[0]], "last": names[days[-1]]}
    return "、".join(str(names[d]) for d in days)


def city_choices(user: User) -> list[tuple[str, str]]:
    """The cities the user may enter routes for: its own, or every city of its province."""
    return [(r.code, r.name) for r in access.visible_regions(user).filter(level=RegionLevel.CITY)]


def draw_routes(
    route: TeachingArea | None, others: list[TeachingArea], *, label: str
) -> dict[str, Any]:
    """The routes on one map for ``web/_map.html``: ``route`` stands out, ``others`` recede."""
    drawing = SvgMap(label=label)
    # Alone, the routes are drawn as routes; around one route, the others recede.
    others_kind = "area-other" if route is not None else "route"
    for other in others:
        drawing.line(other.polygon, kind=others_kind, title=f"{other.seq} {other.name}")
    if route is not None:
        drawing.line(route.polygon, kind="route", title=f"{route.seq} {route.name}")
    legend = []
    if route is not None:
        legend.append(("route", _("本路线")))
    if others:
        legend.append((others_kind, _("其他公安指定路线") if route else _("公安指定路线")))
    if route is None:
        caption = gettext("图中：公安指定路线 %(n)d 条。") % {"n": len(others)}
    else:
        caption = gettext("图中：本路线；同一市州其他公安指定路线 %(n)d 条。") % {"n": len(others)}
    return {"svg": drawing.render(), "caption": caption, "legend": legend}


class RouteFilter(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("路线名称"))

    class Meta:
        model = TeachingArea
        fields = ["q"]


class RouteTable(BaseTable):
    caption = _("公安指定路线")
    seq = tables.Column(
        verbose_name=_("路线编号"), linkify=("console:route", {"pk": tables.A("pk")})
    )
    name = tables.Column(verbose_name=_("名称"))
    region = tables.Column(verbose_name=_("市州"), accessor="region__name", order_by="region_id")
    vehicletype = tables.Column(verbose_name=_("培训车型"))
    time_windows = tables.Column(verbose_name=_("训练时段"), orderable=False)
    updated_at = DateTimeColumn(verbose_name=_("更新时间"))

    class Meta(BaseTable.Meta):
        model = TeachingArea
        fields = ("seq", "name", "region", "vehicletype", "time_windows", "updated_at")
        empty_text = _(
            "还没有公安指定路线：市州监管部门可点击“录入路线”录入公安部门指定的道路训练路线"
        )

    def render_time_windows(self, value: Any) -> str:
        return describe_windows(value)

    def value_time_windows(self, value: Any) -> str:
        return describe_windows(value)


class RouteList(ConsoleList):
    title = _("公安指定路线")
    intro = _(
        "公安部门指定的道路训练路线及其训练时段；第三部分道路训练须在这些路线上、在规定时段内进行。"
    )
    template_name = "console/areas/routes.html"
    table_class = RouteTable
    filterset_class = RouteFilter
    export_name = "police-routes"

    def scoped_queryset(self) -> QuerySet[TeachingArea]:
        return registry.police_routes_for(self.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        routes = list(context["filter"].qs[:200]) if context.get("filter") else []
        context["map"] = draw_routes(None, routes, label=str(self.title))
        context["may_enter"] = access.allowed(self.user, access.Action.ENTER_POLICE_ROUTES)
        return context


class RouteDetail(ConsoleDetail):
    template_name = "console/areas/route.html"

    def scoped_queryset(self) -> QuerySet[TeachingArea]:
        return registry.police_routes_for(self.user)

    def get_title(self) -> Any:
        return gettext("公安指定路线 %(seq)s %(name)s") % {
            "seq": self.object.seq,
            "name": self.object.name,
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        route: TeachingArea = self.object
        others = list(
            registry.police_routes_for(self.user)
            .filter(region_id=route.region_id)
            .exclude(pk=route.pk)
        )
        context.update(
            map=draw_routes(route, others, label=str(self.get_title())),
            windows=describe_windows(route.time_windows),
            may_edit=access.allowed(
                self.user, access.Action.ENTER_POLICE_ROUTES, region=route.region_id
            ),
        )
        return context


class RouteForm(forms.Form):
    region = forms.ChoiceField(label=_("市州"))
    seq = forms.CharField(
        label=_("路线编号"), max_length=4, help_text=_("1-4位数字，在本市州内唯一")
    )
    name = forms.CharField(label=_("路线名称"), max_length=100)
    address = forms.CharField(label=_("起止路段说明"), max_length=200, required=False)
    vehicletype = forms.CharField(label=_("培训车型"), max_length=64, help_text=_("例如 C1,C2"))
    coordtype = forms.ChoiceField(
        label=_("坐标系"),
        choices=[("WGS84", _("WGS-84（GPS）")), ("GCJ02", _("GCJ-02（国测局）"))],
        initial="WGS84",
    )
    coordinates = forms.CharField(
        label=_("路线范围坐标"),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=_(
            "每行一个点：经度,纬度（例如 112.9012,28.2034）；"
            "按顺序围成道路范围，至少3个点，须在本市州内。"
        ),
    )

    def __init__(self, *args: Any, user: User, editing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, forms.ChoiceField)
        region.choices = city_choices(user)
        if editing:
            # A route is known by its city and number: changing them would enter another one.
            self.fields["region"].disabled = True
            self.fields["seq"].disabled = True

    def ring(self) -> str:
        """The coordinates as the service's ``lng,lat;lng,lat`` ring."""
        lines = self.cleaned_data["coordinates"].splitlines()
        return ";".join(
            line.strip().replace("，", ",").replace(" ", "") for line in lines if line.strip()
        )


class WindowForm(forms.Form):
    start = forms.CharField(
        label=_("开始"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.CharField(
        label=_("结束"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("星期"),
        choices=WEEKDAY_BOXES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def window(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("start") and not data.get("end"):
            return None
        return {
            "start": data["start"],
            "end": data["end"],
            "weekdays": data.get("weekdays") or list(range(1, 8)),
        }


NewWindows = forms.formset_factory(WindowForm, extra=WINDOW_ROWS)
MoreWindows = forms.formset_factory(WindowForm, extra=1)


def sketch(text: str) -> list[list[float]]:
    """The points of the coordinates field that parse, for a preview drawn before saving."""
    points = []
    for line in text.splitlines():
        try:
            lng, lat = (float(x) for x in line.replace("，", ",").split(","))
        except ValueError:
            continue
        points.append([lng, lat])
    return points


class RouteEdit(Console, web.LoginRequired, web.EndMixin, FormView):
    """Enter a new route (``routes/new/``) or edit one (``routes/<pk>/edit/``)."""

    template_name = "console/areas/route_form.html"
    form_class = RouteForm
    route: TeachingArea | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            user = access.require(request.user, access.Action.ENTER_POLICE_ROUTES)
            if "pk" in kwargs:
                self.route = get_object_or_404(registry.police_routes_for(user), pk=kwargs["pk"])
                # A county's regulators read their city's routes but may not change them.
                access.require(user, access.Action.ENTER_POLICE_ROUTES, region=self.route.region_id)
        return super().dispatch(request, *args, **kwargs)

    def get_title(self) -> Any:
        if self.route is None:
            return _("录入公安指定路线")
        return gettext("修改公安指定路线 %(seq)s %(name)s") % {
            "seq": self.route.seq,
            "name": self.route.name,
        }

    def get_initial(self) -> dict[str, Any]:
        route = self.route
        if route is None:
            return {"region": self.user.region_id, "coordtype": "WGS84"}
        ring = (
            route.polygon[:-1]
            if len(route.polygon) > 1 and route.polygon[0] == route.polygon[-1]
            else route.polygon
        )
        return {
            "region": route.region_id,
            "seq": route.seq,
            "name": route.name,
            "address": route.address,
            "vehicletype": route.vehicletype,
            "coordtype": "WGS84",
            "coordinates": "\n".join(f"{p[0]},{p[1]}" for p in ring),
        }

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.user, "editing": self.route is not None}

    def windows(self) -> Any:
        if self.request.method == "POST":
            return NewWindows(self.request.POST, prefix="tw")
        initial = list(self.route.time_windows) if self.route else []
        return (MoreWindows if initial else NewWindows)(initial=initial, prefix="tw")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("windows", self.windows())
        form = context["form"]
        text = (
            form.data.get("coordinates", "")
            if form.is_bound
            else form.initial.get("coordinates", "")
        )
        drawing = SvgMap(label=str(self.get_title()))
        points = sketch(text)
        if points:
            drawing.line(points + points[:1], kind="route", title=gettext("本路线"))
        context.update(
            preview={
                "svg": drawing.render(),
                "caption": gettext("图中：按所填坐标绘制的路线范围（%(n)d 个点）。")
                % {"n": len(points)}
                if points
                else gettext("填写坐标后点击“预览”即可看到路线。"),
                "legend": [("route", _("本路线"))] if points else [],
            },
            route=self.route,
            back_url=reverse("console:route", args=[self.route.pk])
            if self.route
            else reverse("console:routes"),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form()
        windows = self.windows()
        # "预览" draws what was typed without saving; the form's checks are shown meanwhile.
        if "preview" in request.POST or not (form.is_valid() and windows.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, windows=windows))
        if self.route is None and self.taken(form.cleaned_data["region"], form.cleaned_data["seq"]):
            # The service updates the route a city and number name: a new one must not.
            form.add_error(
                "seq", gettext("该市州已有此编号的路线；修改该路线请在其详情页点击“修改路线”")
            )
            return self.render_to_response(self.get_context_data(form=form, windows=windows))
        data = {
            "region": form.cleaned_data["region"],
            "seq": form.cleaned_data["seq"],
            "name": form.cleaned_data["name"],
            "address": form.cleaned_data["address"],
            "vehicletype": form.cleaned_data["vehicletype"],
            "coordtype": form.cleaned_data["coordtype"],
            "polygon": form.ring(),
            "time_windows": [w for w in (f.window() for f in windows) if w],
        }
        try:
            route, created = enter_police_route(actor=Actor.for_user(self.user), data=data)
        except DomainError as error:
            window_errors = put_errors(form, error)
            context = self.get_context_data(form=form, windows=windows, window_errors=window_errors)
            return self.render_to_response(context)
        messages.success(request, gettext("路线已录入") if created else gettext("路线已修改"))
        return HttpResponseRedirect(reverse("console:route", args=[route.pk]))

    def taken(self, region: str, seq: str) -> bool:
        seq = seq.strip()
        number = f"{int(seq):04d}" if seq.isascii() and seq.isdigit() else seq
        return registry.police_routes_for(self.user).filter(region_id=region, seq=number).exists()


def put_errors(form: forms.Form, error: DomainError) -> list[str]:
    """Put the service's errors on the form's fields (``polygon`` is the coordinates field);
    return those about the time windows, shown above their rows."""
    items: list[DomainError] = list(error.errors) if isinstance(error, FieldErrors) else [error]
    windows = []
    for item in items:
        if item.field == "time_windows":
            windows.append(item.message)
            continue
        field = {"polygon": "coordinates"}.get(item.field or "", item.field)
        form.add_error(field if field in form.fields else None, item.message)
    if windows and not form.errors:
        form.add_error(None, gettext("训练时段有误，见下方"))
    return windows


urlpatterns = [
    path("routes/", RouteList.as_view(), name="routes"),
    path("routes/new/", RouteEdit.as_view(), name="route_new"),
    path("routes/<int:pk>/", RouteDetail.as_view(), name="route"),
    path("routes/<int:pk>/edit/", RouteEdit.as_view(), name="route_edit"),
]
