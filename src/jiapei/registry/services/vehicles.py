"""Filing training cars and timing terminals, and binding terminals to cars."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from jiapei.core import clock, columns
from jiapei.core import services as trail
from jiapei.core import wire as v
from jiapei.core.actors import Actor
from jiapei.core.errors import Conflict, FieldError, NotFound
from jiapei.core.wire import Fields, unified_number
from jiapei.registry.models import (
    Device,
    DeviceBinding,
    FilingStatus,
    TimingPlatform,
    TrainingCar,
)
from jiapei.registry.services.common import (
    resolve_number,
    served_institution,
    shown,
    today,
    uploaded,
    upsert,
)


def file_trainingcar(
    *, actor: Actor, platform: TimingPlatform, data: Mapping[str, Any]
) -> tuple[TrainingCar, bool]:
    """File a training car. Natural key: its plate (``licnum``)."""
    f = Fields(data)
    institution = served_institution(platform, f.get("inscode"))
    carnum = f.get("carnum", unified_number, required=False)
    values: dict[str, Any] = {
        "institution": institution,
        "franum": f.get("franum", required=False, default=""),
        "engnum": f.get("engnum", required=False, default=""),
        "licnum": f.get("licnum", v.plate),
        "platecolor": f.get("platecolor"),
        "photo": f.get("photo", uploaded(platform, "vehimg"), required=False),
        "manufacture": f.get("manufacture"),
        "brand": f.get("brand"),
        "model": f.get("model", required=False, default=""),
        "perdritype": f.get("perdritype", v.licence_class),
        "buydate": f.get("buydate", v.wire_date, required=False),
    }
    if values["buydate"] and values["buydate"] > today():
        f.add(FieldError("buydate", data.get("buydate"), "购买日期不能晚于今天 (in the future)"))
    if values["perdritype"]:
        try:
            v.within(
                "perdritype",
                data.get("perdritype", ""),
                [values["perdritype"]],
                institution.classes,
                "机构经营范围",
            )
        except FieldError as exc:
            f.add(exc)
    f.check()
    values["platform"] = platform
    values["filing_status"] = FilingStatus.ACTIVE
    by_plate = TrainingCar.objects.filter(licnum=values["licnum"]).first()
    existing = TrainingCar.objects.filter(carnum=carnum).first() if carnum else by_plate
    if by_plate is not None and (existing is None or by_plate.pk != existing.pk):
        raise Conflict(
            f"licnum={values['licnum']!r}: 该车牌已备案为 "
            f"{shown(by_plate, platform.pk, by_plate.carnum)} (plate filed "
            "under another number)",
            field="licnum",
            value=values["licnum"],
        )
    if existing is not None and existing.platform_id != platform.pk and existing.is_active:
        raise Conflict(
            f"licnum={values['licnum']!r}: 该车辆由其他计时平台备案 (filed by another platform)",
            field="licnum",
            value=values["licnum"],
        )
    columns.fit(TrainingCar, values)  # before a number is issued
    number = resolve_number("trainingcar", carnum, existing, "carnum", dict(data))
    return upsert(
        TrainingCar,
        actor=actor,
        action="trainingcar.file",
        lookup={"carnum": number},
        values=values,
        existing=existing,
    )


def file_device(
    *, actor: Actor, platform: TimingPlatform, data: Mapping[str, Any]
) -> tuple[Device, bool]:
    """File a timing terminal. Natural key: (vender, sn)."""
    f = Fields(data)
    devnum = f.get("devnum", unified_number, required=False)
    inscode = f.get("inscode", required=False)
    values: dict[str, Any] = {
        "institution": served_institution(platform, inscode) if inscode else None,
        "termtype": f.get("termtype"),
        "vender": f.get("vender"),
        "model": f.get("model"),
        "imei": f.get("imei"),
        "sn": f.get("sn"),
        "cerbase64": f.get("cerbase64", required=False, default=""),
    }
    f.check()
    values["platform"] = platform
    values["filing_status"] = FilingStatus.ACTIVE
    by_sn = Device.objects.filter(vender=values["vender"], sn=values["sn"]).first()
    existing = Device.objects.filter(devnum=devnum).first() if devnum else by_sn
    if by_sn is not None and (existing is None or by_sn.pk != existing.pk):
        raise Conflict(
            f"sn={values['sn']!r}: 该终端已备案为 {shown(by_sn, platform.pk, by_sn.devnum)} "
            "(filed under another number)",
            field="sn",
            value=values["sn"],
        )
    if existing is not None and (existing.vender, existing.sn) != (values["vender"], values["sn"]):
        raise Conflict(
            f"devnum={devnum!r}: 该编号属于另一台终端 "
            f"{shown(existing, platform.pk, f'{existing.vender}/{existing.sn}')} (number "
            "belongs to another terminal)",
            field="devnum",
            value=devnum,
        )
    if existing is not None and existing.platform_id != platform.pk:
        raise Conflict(
            f"sn={values['sn']!r}: 该终端由其他计时平台备案 (filed by another platform)",
            field="sn",
            value=values["sn"],
        )
    columns.fit(Device, values)  # before a number is issued
    number = resolve_number("device", devnum, existing, "devnum", dict(data))
    return upsert(
        Device,
        actor=actor,
        action="device.file",
        lookup={"devnum": number},
        values=values,
        existing=existing,
    )


def _device_and_car(platform: TimingPlatform, f: Fields) -> tuple[Device, TrainingCar]:
    devnum = f.get("devnum", unified_number)
    carnum = f.get("carnum", unified_number)
    f.check()
    device = Device.objects.filter(devnum=devnum, platform=platform).first()
    if device is None or not device.is_active:
        raise NotFound(
            f"devnum={devnum!r}: 终端未备案 (device not filed)", field="devnum", value=devnum
        )
    car = TrainingCar.objects.filter(carnum=carnum, platform=platform).first()
    if car is None or not car.is_active:
        raise NotFound(
            f"carnum={carnum!r}: 教练车未备案 (car not filed)", field="carnum", value=carnum
        )
    return device, car


def bind_device(
    *, actor: Actor, platform: TimingPlatform, data: Mapping[str, Any]
) -> tuple[DeviceBinding, bool]:
    """devassign: install a terminal in a car. Binding the same pair again is a no-op."""
    f = Fields(data)
    sim = f.get("sim")
    device, car = _device_and_car(platform, f)
    with transaction.atomic():
        current = (
            DeviceBinding.objects.select_for_update()
            .filter(device=device, unbound_at__isnull=True)
            .first()
        )
        if current is not None and current.car_id == car.pk:
            if current.sim != sim:
                before = trail.snapshot(current)
                current.sim = sim
                current.save(update_fields=["sim"])
                trail.record(
                    actor=actor,
                    action="devassign.update",
                    obj=current,
                    before=before,
                    after=trail.snapshot(current),
                )
            return current, False
        if current is not None:
            raise Conflict(
                f"devnum={device.devnum!r}: 终端已绑定教练车 {current.car.carnum}，请先解绑 "
                "(bound to another car; unbind first)",
                field="devnum",
                value=device.devnum,
            )
        other = DeviceBinding.objects.filter(car=car, unbound_at__isnull=True).first()
        if other is not None:
            raise Conflict(
                f"carnum={car.carnum!r}: 教练车已绑定终端 {other.device.devnum}，请先解绑 "
                "(car has another terminal; unbind first)",
                field="carnum",
                value=car.carnum,
            )
        binding = DeviceBinding.objects.create(device=device, car=car, sim=sim)
        trail.record(
            actor=actor, action="devassign.create", obj=binding, after=trail.snapshot(binding)
        )
        return binding, True


def unbind_device(
    *, actor: Actor, platform: TimingPlatform, data: Mapping[str, Any]
) -> DeviceBinding | None:
    """devrembinding: remove a terminal from a car. Unbinding twice is a no-op (returns None)."""
    f = Fields(data)
    device, car = _device_and_car(platform, f)
    with transaction.atomic():
        binding = (
            DeviceBinding.objects.select_for_update()
            .filter(device=device, car=car, unbound_at__isnull=True)
            .first()
        )
        if binding is None:
            return None
        before = trail.snapshot(binding)
        binding.unbound_at = clock.now()
        binding.save(update_fields=["unbound_at"])
        trail.record(
            actor=actor,
            action="devrembinding",
            obj=binding,
            before=before,
            after=trail.snapshot(binding),
        )
        return binding
