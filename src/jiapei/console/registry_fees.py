"""Fee standards (收费标准, ``charstandard``) filed by the schools of the user's region."""

from __future__ import annotations

from decimal import Decimal

import django_filters as filters
import django_tables2 as tables
from django.db.models import QuerySet
from django.urls import path
from django.utils.translation import gettext_lazy as _

from jiapei.console.base import ConsoleList
from jiapei.console.registry_common import FiledFilter
from jiapei.console.registry_vehicles import institution_column
from jiapei.registry import queries as registry
from jiapei.registry.models import FeeStandard
from jiapei.web.tables import BaseTable

NUM = {"td": {"class": "num"}, "th": {"class": "num"}}


class FeeFilter(FiledFilter):
    search_fields = ("classcurr", "service", "institution__name", "institution__inscode")
    q = filters.CharFilter(method="search", label=_("搜索"), help_text=_("课程、服务内容或机构"))
    vehicletype = filters.CharFilter(label=_("培训车型"), lookup_expr="iexact")

    class Meta:
        model = FeeStandard
        fields = ["q", "district", "school", "filing_status", "vehicletype"]


class PriceColumn(tables.Column):
    """¥4,800.00 on screen (reference/ui.md §5); the number itself in the export."""

    def render(self, value: Decimal) -> str:
        return f"¥{value:,.2f}"

    def value(self, value: Decimal) -> float:
        return float(value)


class FeeTable(BaseTable):
    caption = _("收费标准")
    institution = institution_column()
    seq = tables.Column(verbose_name=_("编号"))
    vehicletype = tables.Column(verbose_name=_("培训车型"))
    subject = tables.Column(verbose_name=_("培训部分"))
    trainningmode = tables.Column(verbose_name=_("培训模式"))
    chargemode = tables.Column(verbose_name=_("收费模式"))
    classcurr = tables.Column(verbose_name=_("课程"))
    price = PriceColumn(verbose_name=_("价格（元）"), attrs=NUM)
    uptime = tables.DateColumn(verbose_name=_("更新日期"), format="Y-m-d")
    filing_status = tables.Column(verbose_name=_("备案状态"))

    class Meta(BaseTable.Meta):
        model = FeeStandard
        fields = (
            "institution",
            "seq",
            "vehicletype",
            "subject",
            "trainningmode",
            "chargemode",
            "classcurr",
            "price",
            "uptime",
            "filing_status",
        )


class FeeList(ConsoleList):
    title = _("收费标准")
    table_class = FeeTable
    filterset_class = FeeFilter
    export_name = "fee-standards"

    def scoped_queryset(self) -> QuerySet[FeeStandard]:
        return registry.fees_for(self.user).order_by("institution__inscode", "seq")


urlpatterns = [path("fees/", FeeList.as_view(), name="fees")]
