"""``jiapei doctor``: find the rows whose stored values their columns cannot hold, and repair
them.

The scan (:func:`jiapei.core.integrity.scan`) covers every model of the project. A repair
(:func:`repair`) writes :func:`jiapei.core.integrity.fix_for`'s value through
``core.services.repair_field`` (one ``core.repair`` audit-log row per value), and then:

* a repaired **teaching log** is voided (``training.void``, reason :data:`VOID_REASON`): the
  figures it reported were impossible, so its hours must not count as the clamped value would
  make them; its student's days are queued for a re-audit so the void takes effect;
* a repaired **outbox message** that was still pending is given up (status ``dead``) and its
  alert closed: what it would send is not what was decided, so it must never go out; the
  operators see it among the dead messages;
* every unit of background work that was backing off after a failure is made due at once
  (``core.alerts.retry_now``), so the next worker pass retries it and closes its alert.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from django.apps import apps
from django.db import models, transaction

from jiapei.core import alerts, clock, integrity
from jiapei.core import services as trail
from jiapei.core.actors import Actor
from jiapei.core.models import AuditLogEntry
from jiapei.outbox.models import MessageStatus, OutboxMessage
from jiapei.outbox.services import TASK as OUTBOX
from jiapei.training.models import TeachingLog
from jiapei.training.queries import local_days
from jiapei.training.services.requests import request_audit
from jiapei.training.services.voiding import void_logs

VOID_REASON = "数据损坏，经 jiapei doctor 修复后作废 (impossible stored values; voided on repair)"
REPAIR_REASON = "jiapei doctor --repair"


def project_models() -> Iterator[type[models.Model]]:
    """The models to scan: the project's own, stored, non-proxy ones. The audit trail is left
    out: its writers cut every value to fit, and it is never rewritten."""
    for model in apps.get_models():
        meta = model._meta
        if not model.__module__.startswith("jiapei.") or meta.proxy or not meta.managed:
            continue
        if model is AuditLogEntry:
            continue
        yield model


def find() -> list[integrity.Poisoned]:
    """Every poisoned value in the project's tables."""
    return list(integrity.scan(project_models()))


def repair(*, actor: Actor, items: Iterable[integrity.Poisoned]) -> int:
    """Repair ``items`` (see the module's docstring), each row in its own transaction. Returns
    how many values were repaired."""
    by_row: dict[tuple[type[models.Model], Any], list[integrity.Poisoned]] = {}
    for item in items:
        by_row.setdefault((item.model, item.pk), []).append(item)
    count = 0
    for (model, pk), row_items in by_row.items():
        with transaction.atomic():
            for item in row_items:
                trail.repair_field(
                    actor=actor,
                    model=model,
                    pk=pk,
                    field=item.field.attname,
                    value=integrity.fix_for(item),
                    shown=item.shown(200),
                    reason=f"{REPAIR_REASON}: {item.problem}",
                )
                count += 1
            if model is TeachingLog:
                _void(actor, TeachingLog.objects.get(pk=pk))
            elif model is OutboxMessage:
                _give_up(actor, pk)
    if count:
        alerts.retry_now()
    return count


def _give_up(actor: Actor, pk: Any) -> None:
    if OutboxMessage.objects.filter(pk=pk, status=MessageStatus.PENDING).exists():
        trail.repair_field(
            actor=actor,
            model=OutboxMessage,
            pk=pk,
            field="status",
            value=MessageStatus.DEAD,
            shown=MessageStatus.PENDING,
            reason=f"{REPAIR_REASON}: the stored message was corrupt; never sent",
        )
    alerts.resolve(OUTBOX, f"message {pk}")


def _void(actor: Actor, log: TeachingLog) -> None:
    void_logs(actor=actor, logs=[log], reason=VOID_REASON, at=clock.now())
    days: set[date] = local_days(log.starttime, log.endtime)
    request_audit(student_id=log.student_id, days=days, reason="doctor")
