"""The Django admin, for superusers only (operators' break-glass view, not the regulators' UI).

Domain writes go through services, so filed records and the audit trail are read-only here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class SuperuserAdminSite(admin.AdminSite):
    site_header = "jiapei 驾培监管平台"
    site_title = "jiapei"

    def has_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(user.is_active and user.is_superuser)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shows rows; refuses to add, change or delete them (writes belong to services)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


site = SuperuserAdminSite(name="admin")


def register_models() -> None:
    from jiapei.accounts.models import Region, User
    from jiapei.core.models import AuditLogEntry, OperationalAlert
    from jiapei.outbox.models import OutboxMessage
    from jiapei.registry import models as r

    listings: dict[Any, tuple[str, ...]] = {
        AuditLogEntry: ("at", "actor_label", "action", "object_type", "object_id"),
        OperationalAlert: ("task", "unit", "exc_type", "count", "last_seen", "resolved_at"),
        OutboxMessage: ("id", "destination", "path", "status", "attempts", "next_attempt_at"),
        Region: ("code", "name", "level", "parent"),
        User: ("username", "role", "region", "is_active"),
        r.TimingPlatform: ("platnum", "name", "cert_serial", "status"),
        r.Institution: ("inscode", "name", "district", "filing_status"),
        r.Personnel: ("number", "role", "name", "institution", "filing_status"),
        r.TrainingCar: ("carnum", "licnum", "perdritype", "institution", "filing_status"),
        r.Device: ("devnum", "vender", "sn", "filing_status"),
        r.DeviceBinding: ("device", "car", "bound_at", "unbound_at"),
        r.Student: ("stunum", "name", "traintype", "institution", "filing_status"),
        r.TeachingArea: ("id", "region", "institution", "seq", "type", "status"),
        r.FeeStandard: ("institution", "seq", "vehicletype", "price"),
        r.UploadedFile: ("id", "kind", "platform", "size", "created_at"),
    }
    for model, columns in listings.items():
        site.register(
            model, type(f"{model.__name__}Admin", (ReadOnlyAdmin,), {"list_display": columns})
        )
