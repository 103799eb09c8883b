"""The one value every integration's message builders return.

Standard library only: the police-platform simulator imports the police integration, and it
runs without Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Message:
    """One message for another system: where it goes in that system (``path``), what it says
    (``payload``, JSON-ready) and the idempotency key that makes a resend harmless (``key``).

    The outbox stores the three fields; the relay rebuilds the message and gives it to the
    integration's ``send()``."""

    path: str
    payload: dict[str, Any]
    key: str


def stamp(at: datetime) -> str:
    """``at`` in local time (``TIME_ZONE``), ISO 8601 with its offset: how messages date a
    decision."""
    from django.utils import timezone

    return timezone.localtime(at).isoformat()
