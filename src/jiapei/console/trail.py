"""The audit trail (操作日志) in the console: who did what to which object, and when.

The rows are :func:`jiapei.accounts.queries.trail_for`: the entries about objects in the user's
region (``AuditLogEntry.region_code``), every entry for the province. Filters: who (user name or
the actor's label, e.g. a timing platform), object type, action, and a range of local days.
Each entry links to its object's console page when the console has one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import django_filters as filters
import django_tables2 as tables
from django import forms
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from jiapei.accounts import queries as accounts
from jiapei.accounts.models import Region
from jiapei.console.base import ConsoleList
from jiapei.core.models import AuditLogEntry
from jiapei.web.glossary import ACTIONS, KINDS, VERBS, action_label
from jiapei.web.tables import BaseTable, DateTimeColumn
from jiapei.workorders.queries import day_bounds

# Object types of the trail → what a regulator calls them, and the console page of one object
# (a URL name taking the object's primary key) where the console has one.
OBJECT_TYPES: dict[str, Any] = {
    "registry.timingplatform": _("计时平台"),
    "registry.institution": _("培训机构"),
    "registry.personnel": _("人员（教练员、考核员、安全员）"),
    "registry.trainingcar": _("教练车"),
    "registry.device": _("计时终端"),
    "registry.devicebinding": _("终端绑定"),
    "registry.student": _("学员"),
    "registry.teachingarea": _("教学区域"),
    "registry.feestandard": _("收费标准"),
    "training.teachinglog": _("教学日志"),
    "training.minuterecord": _("分钟学时"),
    "training.trainingphoto": _("培训照片"),
    "training.stagerecord": _("阶段培训记录（上报）"),
    "stages.stagereview": _("阶段培训记录审核"),
    "stages.legacybackfill": _("历史学时补录"),
    "fraud.finding": _("疑点"),
    "fraud.scan": _("疑点扫描"),
    "workorders.workorder": _("工单"),
    "supervision.sampledraw": _("人工抽查"),
    "supervision.manualreview": _("抽查结论"),
    "supervision.watchlistentry": _("重点监管"),
    "supervision.trainingban": _("禁训"),
    "audit.thresholdsetting": _("审核阈值"),
    "accounts.user": _("账户"),
}
OBJECT_PAGES = {
    "registry.timingplatform": "platform",
    "registry.institution": "institution",
    "registry.trainingcar": "car",
    "registry.device": "terminal",
    "registry.student": "student",
    "registry.teachingarea": "area",
    "stages.stagereview": "stage_review",
    "fraud.finding": "finding",
    "workorders.workorder": "workorder",
}


def object_url(object_type: str, object_id: str) -> str | None:
    """The console page of the entry's object, or None when the console has none."""
    name = OBJECT_PAGES.get(object_type)
    if name is None or not object_id.isdigit():
        return None
    try:
        return reverse(f"console:{name}", args=[int(object_id)])
    except NoReverseMatch:
        return None


def action_choices() -> list[tuple[str, str]]:
    """The glossary's actions, and per kind of filing its verbs (``coach.file`` also selects
    ``coach.file.create`` and ``coach.file.update``: see :meth:`TrailFilter.by_action`)."""
    verbs = [verb for verb in VERBS if verb not in ("create", "update")]
    composed = {f"{kind}.{verb}" for kind in KINDS for verb in verbs}
    codes = sorted(set(ACTIONS) | composed, key=lambda code: (action_label(code), code))
    return [(code, action_label(code)) for code in codes]


class TrailFilter(filters.FilterSet):
    who = filters.CharFilter(method="by_who", label=_("操作人"), help_text=_("用户名或名称"))
    object_type = filters.ChoiceFilter(
        choices=list(OBJECT_TYPES.items()), label=_("对象类型"), empty_label=_("全部")
    )
    object_id = filters.CharFilter(label=_("对象编号"))
    action = filters.ChoiceFilter(
        choices=action_choices, method="by_action", label=_("操作"), empty_label=_("全部")
    )
    since = filters.DateFilter(
        method="from_day", label=_("起始日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    until = filters.DateFilter(
        method="to_day", label=_("截止日期"), widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = AuditLogEntry
        fields = ["who", "object_type", "object_id", "action", "since", "until"]

    def by_who(self, qs: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return qs.filter(Q(actor_label__icontains=value) | Q(actor_user__username__icontains=value))

    def by_action(self, qs: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return qs.filter(Q(action=value) | Q(action__startswith=f"{value}."))

    # Days are local (Asia/Shanghai) days, turned into a range on the indexed ``at`` column.
    def from_day(self, qs: QuerySet[Any], name: str, value: date) -> QuerySet[Any]:
        return qs.filter(at__gte=day_bounds(value, value)[0])

    def to_day(self, qs: QuerySet[Any], name: str, value: date) -> QuerySet[Any]:
        return qs.filter(at__lt=day_bounds(value, value)[1])


class ActionColumn(tables.Column):
    def render(self, value: str) -> str:
        return action_label(value)

    def value(self, value: str) -> str:
        return action_label(value)


class ObjectTypeColumn(tables.Column):
    def render(self, value: str) -> str:
        return str(OBJECT_TYPES.get(value, value))

    def value(self, value: str) -> str:
        return str(OBJECT_TYPES.get(value, value))


class ObjectColumn(tables.Column):
    def render(self, value: str, record: AuditLogEntry) -> Any:
        url = object_url(record.object_type, value)
        return format_html('<a href="{}">{}</a>', url, value) if url else value

    def value(self, value: str) -> str:
        return value


class RegionColumn(tables.Column):
    """The region's name beside its code (the names are read once per table, not per row)."""

    def render(self, value: str, table: TrailTable) -> str:
        return f"{value} {table.region_names().get(value, '')}".strip()


class TrailTable(BaseTable):
    caption = _("操作日志")
    at = DateTimeColumn(verbose_name=_("时间"), attrs={"td": {"class": "nowrap"}})
    actor_label = tables.Column(verbose_name=_("操作人"), order_by=("actor_label", "at"))
    action = ActionColumn(verbose_name=_("操作"))
    object_type = ObjectTypeColumn(verbose_name=_("对象类型"))
    object_id = ObjectColumn(verbose_name=_("对象编号"), orderable=False)
    region_code = RegionColumn(verbose_name=_("行政区划"), default="—")
    reason = tables.Column(verbose_name=_("理由"), default="—", orderable=False)

    class Meta(BaseTable.Meta):
        model = AuditLogEntry
        fields = (
            "at",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "region_code",
            "reason",
        )
        order_by = ("-at",)

    def region_names(self) -> dict[str, str]:
        if not hasattr(self, "_region_names"):
            self._region_names = dict(Region.objects.values_list("code", "name"))
        return self._region_names


class Trail(ConsoleList):
    title = _("操作日志")
    intro = _(
        "本辖区内对象的每一次写入：谁、何时、做了什么、理由。"
        "无所属辖区的记录（计时平台、批量上传）只有省级可见。"
    )
    table_class = TrailTable
    filterset_class = TrailFilter
    export_name = "audit-trail"

    def scoped_queryset(self) -> QuerySet[AuditLogEntry]:
        return accounts.trail_for(self.user)


urlpatterns = [path("trail/", Trail.as_view(), name="trail")]
