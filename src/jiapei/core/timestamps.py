"""Model timestamps stamped by the platform's clock (:mod:`jiapei.core.clock`).

Django's ``auto_now`` / ``auto_now_add`` read Django's own ``timezone.now``. Rows the
platform compares with the clock (a work order's ``opened_at`` against its deadline, a minute's
``received_at`` against its record time, an institution's ``created_at`` against a report's
month) must be stamped by the same clock that product code and frozen tests read, so every
timestamp field of the project is a :class:`ClockDateTimeField`.

The field stores and migrates exactly as Django's: it deconstructs as
``django.db.models.DateTimeField``, so migrations (and the historical models they build) see the
plain field, and swapping one for the other needs no migration; on SQLite an ``AlterField`` to a
new field class would rebuild every table concerned for nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from jiapei.core import clock


class ClockDateTimeField(models.DateTimeField):
    """``models.DateTimeField`` whose ``auto_now`` and ``auto_now_add`` take :func:`clock.now`.

    Everything else (the column, lookups, forms, ``editable=False`` for the automatic ones) is
    Django's; like Django's, the stamp is set by ``save()`` and ``bulk_create()``, not by
    ``QuerySet.update()``.
    """

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateTimeField", args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if self.auto_now or (self.auto_now_add and add):
            value = clock.now()
            setattr(model_instance, self.attname, value)
            return value
        return getattr(model_instance, self.attname)
