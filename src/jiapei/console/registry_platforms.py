"""Timing platforms (计时平台) in the console: the list, the detail page, and the province's
actions on them (suspend, revoke, restore).

A platform serves the whole province, so every regulator reads its name and status; its
certificate and callback address are the province's (READ_PLATFORM_CREDENTIALS), and the
schools it serves are counted and named only within the user's region.
"""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters as filters
import django_tables2 as tables
from django import forms
from django.db.models import Q, QuerySet
from django.urls import path
from django.utils.translation import gettext_lazy as _

from jiapei.accounts import access
from jiapei.console.base import ConsoleDetail, ConsoleList
from jiapei.console.registry_common import (
    GuardedAction,
    LocalDateTimeColumn,
    RequiredReasonForm,
    masked_history,
)
from jiapei.core.actors import Actor
from jiapei.registry import queries as registry
from jiapei.registry.models import PlatformStatus, TimingPlatform
from jiapei.registry.services.platforms import set_platform_status
from jiapei.web.aggregates import subcount
from jiapei.web.tables import BaseTable


class PlatformFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label=_("搜索"), help_text=_("平台编号或名称"))
    status = filters.ChoiceFilter(
        choices=PlatformStatus.choices, label=_("状态"), empty_label=_("全部")
    )

    class Meta:
        model = TimingPlatform
        fields = ["q", "status"]

    def search(
        self, qs: QuerySet[TimingPlatform], name: str, value: str
    ) -> QuerySet[TimingPlatform]:
        return qs.filter(Q(platnum__icontains=value) | Q(name__icontains=value))


class PlatformTable(BaseTable):
    caption = _("计时平台")
    platnum = tables.Column(
        verbose_name=_("平台编号"), linkify=("console:platform", {"pk": tables.A("pk")})
    )
    name = tables.Column(verbose_name=_("名称"))
    n_schools = tables.Column(
        verbose_name=_("辖区内服务机构"), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    status = tables.Column(verbose_name=_("状态"))
    status_reason = tables.Column(verbose_name=_("原因"), orderable=False)
    created_at = LocalDateTimeColumn(verbose_name=_("登记时间"))

    class Meta(BaseTable.Meta):
        model = TimingPlatform
        fields = ("platnum", "name", "n_schools", "status", "status_reason", "created_at")


class PlatformList(ConsoleList):
    title = _("计时平台")
    table_class = PlatformTable
    filterset_class = PlatformFilter
    export_name = "platforms"
    intro = _("计时平台服务全省；“辖区内服务机构”只计本辖区内由该平台服务的培训机构。")

    def scoped_queryset(self) -> QuerySet[TimingPlatform]:
        schools = registry.institutions_for(self.user)
        return registry.platforms_for(self.user).annotate(n_schools=subcount(schools, "platform"))


class PlatformDetail(ConsoleDetail):
    template_name = "console/registry/platform.html"
    schools_shown = 20

    def scoped_queryset(self) -> QuerySet[TimingPlatform]:
        return registry.platforms_for(self.user)

    def history(self) -> Any:
        return masked_history(super().history())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        platform = self.object
        schools = registry.platform_institutions_for(self.user, platform).order_by("inscode")
        status = platform.status
        manage = access.allowed(self.user, access.Action.MANAGE_PLATFORMS)
        context.update(
            credentials=access.allowed(self.user, access.Action.READ_PLATFORM_CREDENTIALS),
            schools=schools[: self.schools_shown],
            n_schools=schools.count(),
            can_suspend=manage and status == PlatformStatus.ACTIVE,
            can_revoke=manage and status != PlatformStatus.REVOKED,
            can_restore=manage and status != PlatformStatus.ACTIVE,
        )
        return context


class PlatformStatusAction(GuardedAction):
    required = access.Action.MANAGE_PLATFORMS
    status: ClassVar[str]
    verb: ClassVar[Any]

    def scoped_queryset(self) -> QuerySet[TimingPlatform]:
        return registry.platforms_for(self.user)

    def get_title(self) -> Any:
        return f"{self.verb}：{self.object}"

    def perform(self, actor: Actor, form: forms.Form) -> Any:
        return set_platform_status(
            actor=actor,
            platnum=self.object.platnum,
            status=self.status,
            reason=form.cleaned_data["reason"],
        )


class SuspendPlatform(PlatformStatusAction):
    status = PlatformStatus.SUSPENDED
    verb = _("暂停计时平台")
    form_class = RequiredReasonForm
    danger = True
    done_message = _("计时平台已暂停")
    explain = _("暂停后，该平台的接口调用将被拒绝，其服务的培训机构将收到备案变更通知。")


class RevokePlatform(PlatformStatusAction):
    status = PlatformStatus.REVOKED
    verb = _("吊销计时平台")
    form_class = RequiredReasonForm
    danger = True
    done_message = _("计时平台已吊销")
    explain = _("吊销后，该平台的接口调用将被拒绝，其服务的培训机构将收到备案变更通知。")


class RestorePlatform(PlatformStatusAction):
    status = PlatformStatus.ACTIVE
    verb = _("恢复计时平台")
    done_message = _("计时平台已恢复")
    explain = _("恢复后，该平台可以重新调用接口，其服务的培训机构将收到恢复通知。")


urlpatterns = [
    path("platforms/", PlatformList.as_view(), name="platforms"),
    path("platforms/<int:pk>/", PlatformDetail.as_view(), name="platform"),
    path("platforms/<int:pk>/suspend/", SuspendPlatform.as_view(), name="platform_suspend"),
    path("platforms/<int:pk>/revoke/", RevokePlatform.as_view(), name="platform_revoke"),
    path("platforms/<int:pk>/restore/", RestorePlatform.as_view(), name="platform_restore"),
]
