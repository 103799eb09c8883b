"""Writing the audit trail. Every domain service calls :func:`record` inside its transaction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
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


def region_of(obj: models.Model) -> str | None:
    """The region code of ``obj``: its model's ``REGION_PATH`` (e.g.
    ``"institution__district_id"``) walked attribute by attribute. None when the model declares
    no path or a step is missing, so that writing the audit trail never fails on it."""
    path = getattr(type(obj), "REGION_PATH", None)
    if not path:
        return None
    value: Any = obj
    try:
        for step in path.split("__"):
            value = getattr(value, step)
            if value is None:
                return None
    except (ObjectDoesNotExist, AttributeError):
        return None
    return str(value)[:6] or None


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
        region_code=region_of(obj),
    )


def record_event(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str,
    after: dict[str, Any] | None = None,
    reason: str = "",
    region_code: str | None = None,
) -> AuditLogEntry:
    """Append one audit-log row for a write that is not one model row (e.g. a bulk ingest).
    ``region_code`` names the region the write belongs to, when it belongs to one; without it
    only the province reads the row."""
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
        region_code=region_code,
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
