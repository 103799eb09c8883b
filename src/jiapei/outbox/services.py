"""Writing to the outbox and relaying it.

``enqueue`` (or ``enqueue_message``, for a message an integration built) must be called inside
the transaction of the decision it reports. ``relay_due`` is what ``jiapei worker`` runs in a
loop, with the transports the worker's composition (:mod:`jiapei.cli.worker`) injects: the
outbox knows destinations by name only, never the systems behind them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from jiapei.core import alerts, clock
from jiapei.outbox.models import MessageStatus, OutboxMessage

logger = logging.getLogger(__name__)

# After this many failed attempts a message is given up as dead and shown to operators.
MAX_ATTEMPTS = 30

# The operational-alert task name of the relay (the unit is ``message <id>``).
TASK = "outbox"


class DeliveryError(Exception):
    """The receiver did not acknowledge; the message will be retried."""


Transport = Callable[[OutboxMessage], None]


class Outgoing(Protocol):
    """A message ready to queue (what the integrations' builders return)."""

    @property
    def path(self) -> str: ...

    @property
    def payload(self) -> dict[str, Any]: ...

    @property
    def key(self) -> str: ...


def enqueue(
    *,
    idempotency_key: str,
    destination: str,
    path: str,
    payload: dict[str, Any],
    platform: Any = None,
) -> OutboxMessage:
    """Add a message, or return the existing one with the same key (a retried decision)."""
    if not connection.in_atomic_block:
        raise RuntimeError("outbox.enqueue must run inside the decision's transaction")
    message, _created = OutboxMessage.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "destination": destination,
            "path": path,
            "payload": payload,
            "platform": platform,
            "next_attempt_at": clock.now(),
        },
    )
    return message


def enqueue_message(message: Outgoing, *, destination: str, platform: Any = None) -> OutboxMessage:
    """:func:`enqueue` a built message under its own key, for ``destination`` (and, for a
    timing-platform callback, the ``platform`` to call back)."""
    return enqueue(
        idempotency_key=message.key,
        destination=destination,
        path=message.path,
        payload=message.payload,
        platform=platform,
    )


def backoff(attempts: int) -> timedelta:
    """Exponential backoff: 5 s, 10 s, 20 s … capped by JIAPEI_OUTBOX_MAX_BACKOFF_SECONDS."""
    seconds = min(5 * 2 ** max(attempts - 1, 0), settings.JIAPEI_OUTBOX_MAX_BACKOFF_SECONDS)
    return timedelta(seconds=seconds)


def claim(*, limit: int = 50) -> list[OutboxMessage]:
    """Lease up to ``limit`` due messages to this relay and load them (see :func:`claim_ids`)."""
    ids, lease = claim_ids(limit=limit)
    rows = list(OutboxMessage.objects.filter(pk__in=ids).order_by("id"))
    for row in rows:
        row.locked_until = lease
    return rows


def claim_ids(*, limit: int = 50) -> tuple[list[int], datetime]:
    """Lease up to ``limit`` due messages to this relay: their ids and the lease's end.
    Concurrent relays never share a row. Only ids are read here, so a row that fails to load
    stops its own delivery, not the batch's."""
    now = clock.now()
    lease = now + timedelta(seconds=settings.JIAPEI_OUTBOX_LEASE_SECONDS)
    with transaction.atomic():
        due = OutboxMessage.objects.filter(
            Q(locked_until__isnull=True) | Q(locked_until__lt=now),
            status=MessageStatus.PENDING,
            next_attempt_at__lte=now,
        ).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        OutboxMessage.objects.filter(pk__in=ids).update(locked_until=lease)
    return ids, lease


def _failed(pk: int, lease: datetime, attempts: int, exc: BaseException) -> None:
    """Record a failed attempt while this relay holds the lease: back off, or give up as dead
    after MAX_ATTEMPTS; and raise (or bump) the message's operational alert."""
    attempts += 1
    dead = attempts >= MAX_ATTEMPTS
    OutboxMessage.objects.filter(pk=pk, status=MessageStatus.PENDING, locked_until=lease).update(
        attempts=attempts,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        next_attempt_at=clock.now() + backoff(attempts),
        locked_until=None,
        status=MessageStatus.DEAD if dead else MessageStatus.PENDING,
    )
    logger.warning("outbox message %s failed (attempt %s): %s", pk, attempts, exc)
    alerts.report_failure(TASK, f"message {pk}", exc)


def deliver(message: OutboxMessage, transport: Transport) -> bool:
    """Send one claimed message and record the outcome. Returns True when acknowledged.

    Outcomes are written only while this relay still holds its lease: if the lease expired and
    another relay took the message over, a late result from this one must not undo theirs.
    A failure is also an operational alert (unit ``message <id>``), closed on delivery.
    """
    assert message.locked_until is not None
    try:
        transport(message)
    except Exception as exc:
        _failed(message.pk, message.locked_until, message.attempts, exc)
        return False
    OutboxMessage.objects.filter(pk=message.pk, status=MessageStatus.PENDING).update(
        attempts=message.attempts + 1,
        status=MessageStatus.DELIVERED,
        delivered_at=clock.now(),
        locked_until=None,
        last_error="",
    )
    alerts.resolve(TASK, f"message {message.pk}")
    return True


def _no_transport(message: OutboxMessage) -> None:
    raise DeliveryError(f"no transport configured for destination {message.destination!r}")


def relay_due(transports: dict[str, Transport], *, limit: int = 20) -> tuple[int, int]:
    """Claim and send due messages. Returns (delivered, failed)."""
    delivered = failed = 0
    ids, lease = claim_ids(limit=limit)
    for pk in ids:
        try:
            message = OutboxMessage.objects.get(pk=pk)
        except Exception as exc:  # a row that no longer loads (e.g. a corrupt payload)
            attempts = OutboxMessage.objects.values_list("attempts", flat=True).get(pk=pk)
            _failed(pk, lease, attempts, exc)
            failed += 1
            continue
        message.locked_until = lease
        if deliver(message, transports.get(message.destination, _no_transport)):
            delivered += 1
        else:
            failed += 1
    return delivered, failed
