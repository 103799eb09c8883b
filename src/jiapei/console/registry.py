"""The registry in the console: timing platforms and training institutions.

Lists filter and export exactly what :mod:`jiapei.registry.queries` scopes to the user; a
detail page shows the filing, its related records and its history.
"""

from __future__ import annotations

from typing import Any

import django_filters as filters
import django_tables2 as tables
from django.db.models import Q, QuerySet
from django.urls import path
from django.utils.translation import gettext_lazy as _

from jiapei.accounts import access
from jiapei.accounts.models import Region
from jiapei.console.base import ConsoleDetail, ConsoleList
from jiapei.registry import queries as registry
from jiapei.registry.models import (
    FilingStatus,
    Institution,
    Personnel,
    PlatformStatus,
    Student,
    TimingPlatform,
    TrainingCar,
)
from jiapei.web.aggregates import subcount
from jiapei.web.tables import BaseTable


def region_choices(request: Any) -> QuerySet[Any]:
    """The regions a filter may offer: the user's own and those below it."""
    return access.visible_regions(request.user) if request else Region.objects.none()


class InstitutionFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label=_("搜索"), help_text=_("编号、名称或简称"))
    district = filters.ModelChoiceFilter(
        queryset=region_choices, label=_("行政区划"), method="in_region"
    )
    filing_status = filters.ChoiceFilter(choices=FilingStatus.choices, label=_("备案状态"))

    class Meta:
        model = Institution
        fields = ["q", "district", "filing_status"]

    def search(self, qs: QuerySet[Institution], name: str, value: str) -> QuerySet[Institution]:
        return qs.filter(
            Q(inscode__icontains=value) | Q(name__icontains=value) | Q(shortname__icontains=value)
        )

    def in_region(self, qs: QuerySet[Institution], name: str, value: Any) -> QuerySet[Institution]:
        return qs.filter(district__code__startswith=value.scope_prefix)


class InstitutionTable(BaseTable):
    caption = _("培训机构")
    inscode = tables.Column(
        verbose_name=_("机构编号"), linkify=("console:institution", {"pk": tables.A("pk")})
    )
    name = tables.Column(verbose_name=_("名称"))
    district = tables.Column(
        verbose_name=_("行政区划"), accessor="district__name", order_by="district_id"
    )
    level = tables.Column(verbose_name=_("分类等级"))
    n_coaches = tables.Column(verbose_name=_("教练员"), attrs={"td": {"class": "num"}})
    n_cars = tables.Column(verbose_name=_("教练车"), attrs={"td": {"class": "num"}})
    n_students = tables.Column(verbose_name=_("学员"), attrs={"td": {"class": "num"}})
    filing_status = tables.Column(verbose_name=_("备案状态"))

    class Meta(BaseTable.Meta):
        model = Institution
        fields = (
            "inscode",
            "name",
            "district",
            "level",
            "n_coaches",
            "n_cars",
            "n_students",
            "filing_status",
        )


class InstitutionList(ConsoleList):
    title = _("培训机构")
    table_class = InstitutionTable
    filterset_class = InstitutionFilter
    export_name = "institutions"

    def scoped_queryset(self) -> QuerySet[Institution]:
        return registry.institutions_for(self.user).annotate(
            n_coaches=subcount(Personnel.objects.filter(role="coach"), "institution"),
            n_cars=subcount(TrainingCar.objects.all(), "institution"),
            n_students=subcount(Student.objects.all(), "institution"),
        )


class InstitutionDetail(ConsoleDetail):
    template_name = "console/registry/institution.html"

    def scoped_queryset(self) -> QuerySet[Institution]:
        return registry.institutions_for(self.user).select_related("platform")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        school = self.object
        context["counts"] = {
            "coaches": school.staff.filter(role="coach").count(),
            "cars": school.cars.count(),
            "devices": school.devices.count(),
            "students": school.students.count(),
        }
        context["areas"] = school.areas.order_by("seq")
        return context


class PlatformFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label=_("搜索"), help_text=_("平台编号或名称"))
    status = filters.ChoiceFilter(choices=PlatformStatus.choices, label=_("状态"))

    class Meta:
        model = TimingPlatform
        fields = ["q", "status"]

    def search(
        self, qs: QuerySet[TimingPlatform], name: str, value: str
    ) -> QuerySet[TimingPlatform]:
        return qs.filter(Q(platnum__icontains=value) | Q(name__icontains=value))


class PlatformTable(BaseTable):
    caption = _("计时平台")
    platnum = tables.Column(verbose_name=_("平台编号"))
    name = tables.Column(verbose_name=_("名称"))
    status = tables.Column(verbose_name=_("状态"))
    created_at = tables.DateTimeColumn(verbose_name=_("登记时间"), format="Y-m-d H:i")

    class Meta(BaseTable.Meta):
        model = TimingPlatform
        fields = ("platnum", "name", "status", "created_at")


class PlatformList(ConsoleList):
    title = _("计时平台")
    table_class = PlatformTable
    filterset_class = PlatformFilter
    export_name = "platforms"

    def scoped_queryset(self) -> QuerySet[TimingPlatform]:
        return registry.platforms_for(self.user)


urlpatterns = [
    path("platforms/", PlatformList.as_view(), name="platforms"),
    path("institutions/", InstitutionList.as_view(), name="institutions"),
    path("institutions/<int:pk>/", InstitutionDetail.as_view(), name="institution"),
]
