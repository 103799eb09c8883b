"""HTTP client for the timing platforms' callback interface (standards.md §2.3).

``POST {callback_url}{path}`` with the JSON payload and ``X-Idempotency-Key``; acknowledged only
by HTTP < 400 and a JSON body whose ``errorcode`` is 0.
"""

from __future__ import annotations

import httpx
from django.conf import settings

from jiapei.integrations.message import Message
from jiapei.integrations.timingplatform import CallbackRefused


class HttpCallbacks:
    def send(self, *, platnum: str, callback_url: str, message: Message) -> None:
        if not callback_url:
            raise CallbackRefused(f"timing platform {platnum} has no callback URL")
        url = callback_url.rstrip("/") + message.path
        reply = httpx.post(
            url,
            json=message.payload,
            headers={"X-Idempotency-Key": message.key},
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
