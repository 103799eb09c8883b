"""The append-only audit trail every service writes to."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiapei.core.timestamps import ClockDateTimeField


class AuditLogEntry(models.Model):
    """One write made through a service: who did what to which object, with before and after.

    Rows are never updated or deleted; ``save`` refuses updates and ``delete`` refuses always.
    """

    at = ClockDateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor_kind = models.CharField(_("actor type"), max_length=16)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_platform = models.ForeignKey(
        "registry.TimingPlatform",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=100)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object ID"), max_length=64, db_index=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    # The GB/T 2260 code of the region the object belongs to (its school's county, its own
    # region), taken from the model's ``REGION_PATH`` when the row is written; it scopes the
    # audit trail for regulators. Null for objects of no region (timing platforms, bulk
    # ingests, rows written before the column existed): only the province reads those. Null, not
    # "", so that "no region" can never match a prefix filter by accident.
    region_code = models.CharField(  # noqa: DJ001
        _("region code"), max_length=6, null=True, blank=True, db_index=True
    )

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log entries")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("audit log entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("audit log entries are append-only")


class OperationalAlert(models.Model):
    """A unit of background work that failed: one row per (task, unit), kept while it fails.

    Written by :mod:`jiapei.core.alerts` only. A repeat failure bumps ``count``, ``last_seen``
    and ``retry_at`` (the unit's backoff); the unit's next success sets ``resolved_at``. A
    resolved alert that fails again is reopened with a fresh count. The province's regulators
    read them through the API, operators through the admin.
    """

    task = models.CharField(_("task"), max_length=32)
    unit = models.CharField(_("unit"), max_length=128)
    exc_type = models.CharField(_("exception type"), max_length=200)
    message = models.TextField(_("message"), blank=True)
    traceback = models.TextField(_("traceback"), blank=True)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"), db_index=True)
    count = models.PositiveIntegerField(_("failures"), default=1)
    retry_at = models.DateTimeField(_("next retry at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("operational alert")
        verbose_name_plural = _("operational alerts")
        ordering = ["-last_seen", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "unit"], name="core_alert_one_per_unit")
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.unit}: {self.exc_type}"
