"""Ending terminal bindings when a car or terminal leaves the registry."""

from __future__ import annotations

from jiapei.core import clock
from jiapei.registry.models import Device, DeviceBinding, TrainingCar


def end_bindings(row: TrainingCar | Device) -> int:
    """Close every open binding of ``row``. Call inside the caller's transaction."""
    field = "car" if isinstance(row, TrainingCar) else "device"
    return DeviceBinding.objects.filter(**{field: row}, unbound_at__isnull=True).update(
        unbound_at=clock.now()
    )
