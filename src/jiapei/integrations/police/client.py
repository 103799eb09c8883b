"""HTTP client for the police platform: JSON over HTTP with the ``errorcode`` envelope.

Requests: ``POST {JIAPEI_POLICE_URL}{path}`` with a JSON body and ``X-Idempotency-Key``; replies:
``{"errorcode": 0, "message": "", "data": {...}}``. Anything else raises a
:class:`~jiapei.integrations.police.PolicePlatformError`, which the outbox turns into a retry.

The real provincial gateway will add its own authentication (public code shows an RSA key pair
plus an AES token issued by the police platform, anchors.md §1a); ``headers`` is where it goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from jiapei.integrations.police import (
    PoliceRefused,
    PoliceUnavailable,
    check_hours,
    check_withdraw,
)
from jiapei.integrations.police.wire import PATH_HOURS, PATH_WITHDRAW, hours_key, withdraw_key


@dataclass
class HttpPolicePlatform:
    """The police platform at ``base_url``. ``transport`` is injectable for tests."""

    base_url: str
    timeout: float = 10.0
    transport: httpx.BaseTransport | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls) -> HttpPolicePlatform:
        from django.conf import settings

        url = settings.JIAPEI_POLICE_URL
        if not url:
            raise PoliceUnavailable("JIAPEI_POLICE_URL is not set (公安平台地址未配置)")
        timeout = settings.JIAPEI_OUTBOX_HTTP_TIMEOUT_SECONDS
        return cls(base_url=url.rstrip("/"), timeout=float(timeout))

    def push_hours(
        self, message: dict[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        check_hours(message)
        return self._call("POST", PATH_HOURS, message, idempotency_key or hours_key(message))

    def withdraw_hours(
        self, message: dict[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        check_withdraw(message)
        return self._call("POST", PATH_WITHDRAW, message, idempotency_key or withdraw_key(message))

    def query_student(self, idcard: str) -> dict[str, Any]:
        return self._call("GET", f"/students/{quote(idcard, safe='')}", None, None)

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None, key: str | None
    ) -> dict[str, Any]:
        url = self.base_url + path
        headers = dict(self.headers)
        if key is not None:
            headers["X-Idempotency-Key"] = key
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                reply = client.request(method, url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise PoliceUnavailable(
                f"公安平台不可用 (police platform unreachable) {method} {url}: {exc}"
            ) from exc
        envelope = _envelope(reply)
        if reply.status_code >= 400:
            raise PoliceUnavailable(
                f"公安平台返回 HTTP {reply.status_code} (police platform error) {method} {url}: "
                f"{(envelope or {}).get('message') or reply.text[:200]}"
            )
        if envelope is None:
            raise PoliceUnavailable(f"公安平台答复不是 JSON 信封 (reply is not an envelope): {url}")
        errorcode = envelope.get("errorcode")
        if errorcode not in (0, "0"):
            raise PoliceRefused(
                f"公安平台拒绝 (police platform refused) {path}: errorcode {errorcode!r}: "
                f"{envelope.get('message')}",
                errorcode=errorcode,
            )
        data = envelope.get("data")
        return data if isinstance(data, dict) else {}


def _envelope(reply: httpx.Response) -> dict[str, Any] | None:
    """The reply's JSON object, or None if the body is not one (an HTML error page, say)."""
    try:
        body = reply.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
