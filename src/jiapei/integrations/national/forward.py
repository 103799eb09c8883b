"""Forwarding approved hours and completions to the national platform through the outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from jiapei.outbox.models import Destination
from jiapei.outbox.services import enqueue

if TYPE_CHECKING:
    from jiapei.outbox.models import OutboxMessage

# What the fake backend "sent" (tests and demos read it).
FORWARDED: list[tuple[str, dict[str, Any]]] = []


def enqueue_forward(*, resource: str, payload: dict[str, Any], key: str) -> None:
    """Queue ``payload`` for the national platform. Call inside the decision's transaction."""
    enqueue(idempotency_key=key, destination=Destination.NATIONAL, path=resource, payload=payload)


def national_transport(message: OutboxMessage) -> None:
    """Outbox transport for destination ``national``: raises unless acknowledged."""
    if settings.JIAPEI_NATIONAL_BACKEND == "fake":
        FORWARDED.append((message.path, message.payload))
        return
    from jiapei.integrations.national.client import HttpNationalPlatform

    HttpNationalPlatform.from_settings().forward(
        message.path, message.payload, message.idempotency_key
    )
