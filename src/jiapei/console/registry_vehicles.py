"""Training cars (教练车), timing terminals (计时终端) and their bindings (终端绑定).

Cars filter by 无绑定终端 (seed 001 应装尽装: every training car carries a terminal); each car
and terminal page lists its bindings, current and past. Regulators revoke and restore a car's
filing through :func:`jiapei.registry.services.revocation.set_filing_revoked`.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import django_filters as filters
import django_tables2 as tables
from django.db.models import F, Q, QuerySet
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from jiapei.accounts import access
from jiapei.console.base import ConsoleDetail, ConsoleList
from jiapei.console.registry_common import (
    FiledFilter,
    LocalDateTimeColumn,
    flag_filter,
    masked_history,
    school_choices,
)
from jiapei.console.registry_people import RESTORE_EXPLAIN, REVOKE_EXPLAIN, FilingAction
from jiapei.core.models import AuditLogEntry
from jiapei.registry import queries as registry
from jiapei.registry.models import Device, DeviceBinding, FilingStatus, TrainingCar
from jiapei.web.tables import BaseTable


def institution_column(accessor: str = "institution") -> tables.Column:
    return tables.Column(
        verbose_name=_("培训机构"),
        accessor=f"{accessor}__name",
        order_by=f"{accessor}__inscode",
        linkify=lambda record: _school_url(record, accessor),
    )


def _school_url(record: Any, accessor: str) -> str | None:
    """The detail page of the school at ``accessor`` (``institution`` on the record,
    ``car__institution`` on its car); None for a terminal filed without a school."""
    for part in accessor.split("__")[:-1]:
        record = getattr(record, part)
    pk = record.institution_id
    return reverse("console:institution", args=[pk]) if pk else None


# Training cars.


class CarFilter(FiledFilter):
    search_fields = ("carnum", "licnum", "institution__name", "institution__inscode")
    q = filters.CharFilter(method="search", label=_("搜索"), help_text=_("车辆编号、车牌号或机构"))
    perdritype = filters.CharFilter(label=_("培训车型"), lookup_expr="iexact")
    unbound = flag_filter(
        _("无绑定终端"), "no_terminal", _("当前没有绑定计时终端的教练车（应装尽装）")
    )

    class Meta:
        model = TrainingCar
        fields = ["q", "district", "school", "filing_status", "perdritype", "unbound"]

    def no_terminal(
        self, qs: QuerySet[TrainingCar], name: str, value: bool
    ) -> QuerySet[TrainingCar]:
        return registry.without_bound_terminal(qs) if value else qs


class CarTable(BaseTable):
    caption = _("教练车")
    carnum = tables.Column(
        verbose_name=_("车辆编号"), linkify=("console:car", {"pk": tables.A("pk")})
    )
    licnum = tables.Column(verbose_name=_("车牌号"))
    institution = institution_column()
    perdritype = tables.Column(verbose_name=_("培训车型"))
    brand = tables.Column(verbose_name=_("品牌"))
    current_devnum = tables.Column(
        verbose_name=_("当前绑定终端"), orderable=False, default="—", empty_values=(None, "")
    )
    filing_status = tables.Column(verbose_name=_("备案状态"))

    class Meta(BaseTable.Meta):
        model = TrainingCar
        fields = (
            "carnum",
            "licnum",
            "institution",
            "perdritype",
            "brand",
            "current_devnum",
            "filing_status",
        )


class CarList(ConsoleList):
    title = _("教练车")
    table_class = CarTable
    filterset_class = CarFilter
    export_name = "training-cars"

    def scoped_queryset(self) -> QuerySet[TrainingCar]:
        return registry.with_current_terminal(registry.cars_for(self.user))


class BindingsMixin:
    """Detail pages listing an object's terminal bindings, current first, then past; the
    history adds the bindings' own audit rows (绑定计时终端, 解除终端绑定)."""

    object: Any
    history_limit: int

    @cached_property
    def bindings(self) -> list[DeviceBinding]:
        return list(
            self.object.bindings.select_related("device", "car").order_by(
                F("unbound_at").desc(nulls_first=True), "-bound_at", "-pk"
            )
        )

    @property
    def current(self) -> DeviceBinding | None:
        return next((b for b in self.bindings if b.unbound_at is None), None)

    def history(self) -> Any:
        own = Q(object_type=self.object._meta.label_lower, object_id=str(self.object.pk))
        binding = Q(
            object_type=DeviceBinding._meta.label_lower,
            object_id__in=[str(b.pk) for b in self.bindings],
        )
        rows = (
            AuditLogEntry.objects.filter(own | binding)
            .select_related("actor_user")
            .order_by("-at", "-pk")
        )
        return masked_history(rows[: self.history_limit])


class CarDetail(BindingsMixin, ConsoleDetail):
    template_name = "console/registry/car.html"

    def scoped_queryset(self) -> QuerySet[TrainingCar]:
        return registry.cars_for(self.user).select_related("institution__district", "platform")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        car = self.object
        may = access.allowed(self.user, access.Action.REVOKE_FILINGS)
        context.update(
            bindings=self.bindings,
            current=self.current,
            revoke_url=reverse("console:car_revoke", args=[car.pk]),
            restore_url=reverse("console:car_restore", args=[car.pk]),
            can_revoke=may and car.filing_status == FilingStatus.ACTIVE,
            can_restore=may and car.filing_status == FilingStatus.REVOKED,
        )
        return context


class CarAction(FilingAction):
    def scoped_queryset(self) -> QuerySet[TrainingCar]:
        return registry.cars_for(self.user)

    def kind(self) -> str:
        return "trainingcar"

    def number(self) -> str:
        return str(self.object.carnum)


class RevokeCar(CarAction):
    revoked = True
    danger = True
    verb = _("撤销备案")
    done_message = _("备案已撤销")
    explain = REVOKE_EXPLAIN


class RestoreCar(CarAction):
    revoked = False
    verb = _("恢复备案")
    done_message = _("备案已恢复")
    explain = RESTORE_EXPLAIN


# Timing terminals.


class DeviceFilter(FiledFilter):
    search_fields = ("devnum", "sn", "imei", "vender", "institution__name")
    q = filters.CharFilter(
        method="search", label=_("搜索"), help_text=_("终端编号、出厂序列号、IMEI或厂商")
    )
    unbound = flag_filter(_("未安装"), "no_car", _("当前没有绑定教练车的计时终端"))

    class Meta:
        model = Device
        fields = ["q", "district", "school", "filing_status", "unbound"]

    def no_car(self, qs: QuerySet[Device], name: str, value: bool) -> QuerySet[Device]:
        return registry.not_installed(qs) if value else qs


class DeviceTable(BaseTable):
    caption = _("计时终端")
    devnum = tables.Column(
        verbose_name=_("终端编号"), linkify=("console:terminal", {"pk": tables.A("pk")})
    )
    vender = tables.Column(verbose_name=_("生产厂家"))
    model = tables.Column(verbose_name=_("终端型号"))
    sn = tables.Column(verbose_name=_("出厂序列号"))
    institution = institution_column()
    current_licnum = tables.Column(
        verbose_name=_("当前安装车辆"), orderable=False, default="—", empty_values=(None, "")
    )
    filing_status = tables.Column(verbose_name=_("备案状态"))

    class Meta(BaseTable.Meta):
        model = Device
        fields = (
            "devnum",
            "vender",
            "model",
            "sn",
            "institution",
            "current_licnum",
            "filing_status",
        )


class DeviceList(ConsoleList):
    title = _("计时终端")
    table_class = DeviceTable
    filterset_class = DeviceFilter
    export_name = "terminals"

    def scoped_queryset(self) -> QuerySet[Device]:
        return registry.with_current_car(registry.devices_for(self.user))


class DeviceDetail(BindingsMixin, ConsoleDetail):
    template_name = "console/registry/device.html"

    def scoped_queryset(self) -> QuerySet[Device]:
        return registry.devices_for(self.user).select_related("institution__district", "platform")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(bindings=self.bindings, current=self.current)
        return context


# Bindings.


class BindingFilter(FiledFilter):
    region_path = "car__institution__district__code"
    search_fields = ("device__devnum", "car__carnum", "car__licnum", "sim")
    q = filters.CharFilter(
        method="search", label=_("搜索"), help_text=_("终端编号、车辆编号、车牌号或SIM卡号")
    )
    school = filters.ModelChoiceFilter(
        queryset=school_choices,
        label=_("培训机构"),
        field_name="car__institution",
        empty_label=_("全部"),
    )
    state = filters.ChoiceFilter(
        label=_("绑定状态"),
        choices=[("current", _("当前绑定")), ("past", _("已解绑"))],
        method="in_state",
        empty_label=_("全部"),
    )

    class Meta:
        model = DeviceBinding
        fields = ["q", "district", "school", "state"]

    def in_state(
        self, qs: QuerySet[DeviceBinding], name: str, value: str
    ) -> QuerySet[DeviceBinding]:
        return qs.filter(unbound_at__isnull=value == "current")


class BindingTable(BaseTable):
    caption = _("终端绑定")
    device = tables.Column(
        verbose_name=_("终端编号"),
        accessor="device__devnum",
        linkify=lambda record: reverse("console:terminal", args=[record.device_id]),
    )
    car = tables.Column(
        verbose_name=_("车辆编号"),
        accessor="car__carnum",
        linkify=lambda record: reverse("console:car", args=[record.car_id]),
    )
    licnum = tables.Column(verbose_name=_("车牌号"), accessor="car__licnum")
    institution = institution_column("car__institution")
    sim = tables.Column(verbose_name=_("SIM卡号"))
    bound_at = LocalDateTimeColumn(verbose_name=_("绑定时间"))
    unbound_at = LocalDateTimeColumn(
        verbose_name=_("解绑时间"), default=_("当前绑定"), empty_values=(None,)
    )

    class Meta(BaseTable.Meta):
        model = DeviceBinding
        fields = ("device", "car", "licnum", "institution", "sim", "bound_at", "unbound_at")


class BindingList(ConsoleList):
    title = _("终端绑定")
    table_class = BindingTable
    filterset_class = BindingFilter
    export_name = "bindings"
    intro = _("计时终端与教练车的绑定记录，含当前绑定与已解绑的历史。")

    def scoped_queryset(self) -> QuerySet[DeviceBinding]:
        return registry.bindings_for(self.user).order_by("-bound_at")


urlpatterns = [
    path("cars/", CarList.as_view(), name="cars"),
    path("cars/<int:pk>/", CarDetail.as_view(), name="car"),
    path("cars/<int:pk>/revoke/", RevokeCar.as_view(), name="car_revoke"),
    path("cars/<int:pk>/restore/", RestoreCar.as_view(), name="car_restore"),
    path("terminals/", DeviceList.as_view(), name="terminals"),
    path("terminals/<int:pk>/", DeviceDetail.as_view(), name="terminal"),
    path("bindings/", BindingList.as_view(), name="bindings"),
]
