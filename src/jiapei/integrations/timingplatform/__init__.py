"""Callbacks into timing platforms (standards.md §2.3): ``/reviewmsg`` and ``/recordchangemsg``.

The outbox relay calls :func:`send_callback` with a claimed message. ``JIAPEI_CALLBACK_BACKEND``
may be ``http`` (default) or ``record``, which keeps the messages in memory for tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
from django.conf import settings

if TYPE_CHECKING:
    from jiapei.outbox.models import OutboxMessage

# Messages "sent" while the record backend is active (tests read and clear this list).
RECORDED: list[tuple[str, str, dict]] = []


class CallbackRefused(Exception):
    """The timing platform answered but did not acknowledge (errorcode ≠ 0 or HTTP error)."""


def send_callback(message: OutboxMessage) -> None:
    """POST the message to its timing platform's callback URL; raise unless acknowledged."""
    platform = message.platform
    if platform is None:
        raise CallbackRefused("message has no timing platform")
    if settings.JIAPEI_CALLBACK_BACKEND == "record":
        RECORDED.append((platform.platnum, message.path, message.payload))
        return
    if not platform.callback_url:
        raise CallbackRefused(f"timing platform {platform.platnum} has no callback URL")
    url = platform.callback_url.rstrip("/") + message.path
    reply = httpx.post(
        url,
        json=message.payload,
        headers={"X-Idempotency-Key": message.idempotency_key},
        timeout=settings.JIAPEI_OUTBOX_HTTP_TIMEOUT_SECONDS,
    )
    if reply.status_code >= 400:
        raise CallbackRefused(f"HTTP {reply.status_code} from {url}")
    try:
        errorcode = reply.json().get("errorcode")
    except ValueError:
        raise CallbackRefused(f"reply from {url} is not JSON") from None
    if errorcode not in (0, "0"):
        raise CallbackRefused(f"errorcode {errorcode!r} from {url}")
