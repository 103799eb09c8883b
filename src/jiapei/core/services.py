"""Writing the audit trail. Every domain service calls :func:`record` inside its transaction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models, transaction

from jiapei.core.actors import Actor
from jiapei.core.models import AuditLogEntry


def snapshot(
    instance: models.Model | None, *, exclude: tuple[str, ...] = ()
) -> dict[str, Any] | None:
    """Return a JSON-safe dict of a model instance's concrete fields (foreign keys as ids)."""
    if instance is None:
        return None
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude:
            continue
        value = getattr(instance, field.attname)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        elif hasattr(value, "name") and isinstance(field, models.FileField):
            value = value.name
        data[field.attname] = value
    return data


def record(
    *,
    actor: Actor,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditLogEntry:
    """Append one audit-log row. Call it inside the service's transaction."""
    return AuditLogEntry.objects.create(
        actor_kind=actor.kind,
        actor_user=actor.user,
        actor_platform=actor.platform,
        actor_label=actor.label[:100],
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        before=before,
        after=after,
        reason=reason,
    )


def record_event(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditLogEntry:
    """Append one audit-log row for a write that is not one model row (e.g. a bulk ingest)."""
    return AuditLogEntry.objects.create(
        actor_kind=actor.kind,
        actor_user=actor.user,
        actor_platform=actor.platform,
        actor_label=actor.label[:100],
        action=action,
        object_type=object_type,
        object_id=object_id[:64],
        after=after,
        reason=reason,
    )


def repair_field(
    *,
    actor: Actor,
    model: type[models.Model],
    pk: Any,
    field: str,
    value: Any,
    shown: str,
    reason: str,
) -> AuditLogEntry:
    """Overwrite one stored value its column cannot hold (found by :mod:`jiapei.core.integrity`)
    with ``value``, without loading the row (loading is what fails), and append an audit-log row
    (``core.repair``) naming the field, the old value as ``shown`` and the new one."""
    with transaction.atomic():
        model._default_manager.filter(pk=pk).update(**{field: value})
        return record_event(
            actor=actor,
            action="core.repair",
            object_type=model._meta.label_lower,
            object_id=str(pk),
            after={"field": field, "before": shown, "after": str(value)},
            reason=reason,
        )
