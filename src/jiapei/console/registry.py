"""The registry in the console: training institutions (the other records have their own
modules: registry_platforms, registry_people, registry_vehicles, registry_fees).

Lists filter and export exactly what :mod:`jiapei.registry.queries` scopes to the user; a
detail page shows the filing, its related records and its history.
"""

from __future__ import annotations

from typing import Any

import django_filters as filters
import django_tables2 as tables
from django.db.models import Count, Q, QuerySet
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from jiapei.console.base import ConsoleDetail, ConsoleList
from jiapei.console.registry_common import masked_history, region_choices, url_if_exists
from jiapei.registry import queries as registry
from jiapei.registry.models import (
    FilingStatus,
    Institution,
    Personnel,
    PersonnelRole,
    Student,
    TimingPlatform,
    TrainingCar,
)
from jiapei.web.aggregates import subcount
from jiapei.web.tables import BaseTable

__all__ = ["region_choices", "urlpatterns"]


class InstitutionFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label=_("搜索"), help_text=_("编号、名称或简称"))
    district = filters.ModelChoiceFilter(
        queryset=region_choices, label=_("行政区划"), method="in_region", empty_label=_("全部")
    )
    filing_status = filters.ChoiceFilter(
        choices=FilingStatus.choices, label=_("备案状态"), empty_label=_("全部")
    )
    platform = filters.ModelChoiceFilter(
        queryset=TimingPlatform.objects.order_by("platnum"),
        label=_("计时平台"),
        empty_label=_("全部"),
    )

    class Meta:
        model = Institution
        fields = ["q", "district", "filing_status", "platform"]

    def search(self, qs: QuerySet[Institution], name: str, value: str) -> QuerySet[Institution]:
        return qs.filter(
            Q(inscode__icontains=value) | Q(name__icontains=value) | Q(shortname__icontains=value)
        )

    def in_region(self, qs: QuerySet[Institution], name: str, value: Any) -> QuerySet[Institution]:
        return qs.filter(district__code__startswith=value.scope_prefix)


NUM = {"td": {"class": "num"}, "th": {"class": "num"}}


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
    n_coaches = tables.Column(verbose_name=_("教练员"), attrs=NUM)
    n_cars = tables.Column(verbose_name=_("教练车"), attrs=NUM)
    n_students = tables.Column(verbose_name=_("学员"), attrs=NUM)
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

    def history(self) -> Any:
        return masked_history(super().history())

    def related(self) -> list[tuple[Any, int, str | None]]:
        """Each kind of record filed under the school: its label, count, and the list page
        filtered to the school (None while that page does not exist)."""
        school = self.object
        staff = dict(
            Personnel.objects.filter(institution=school)
            .order_by()
            .values_list("role")
            .annotate(n=Count("*"))
        )
        query = f"?school={school.pk}"
        rows: list[tuple[Any, int, str | None]] = [
            (_("教练员"), staff.get(PersonnelRole.COACH, 0), reverse("console:coaches") + query),
            (
                _("考核员"),
                staff.get(PersonnelRole.EXAMINER, 0),
                reverse("console:examiners") + query,
            ),
            (
                _("安全员"),
                staff.get(PersonnelRole.SECURITYGUARD, 0),
                reverse("console:safety_officers") + query,
            ),
            (_("教练车"), school.cars.count(), reverse("console:cars") + query),
            (_("计时终端"), school.devices.count(), reverse("console:terminals") + query),
            (_("收费标准"), school.fees.count(), reverse("console:fees") + query),
            # The students' list (another module) filters its school by number or name.
            (
                _("学员"),
                school.students.count(),
                url_if_exists("console:students", f"?school={school.inscode}"),
            ),
        ]
        return rows

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["related"] = self.related()
        context["areas"] = self.object.areas.order_by("seq")
        return context


urlpatterns = [
    path("institutions/", InstitutionList.as_view(), name="institutions"),
    path("institutions/<int:pk>/", InstitutionDetail.as_view(), name="institution"),
]
