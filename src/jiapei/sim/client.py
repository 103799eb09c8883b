"""A signing HTTP client for the timing-platform interface, used by the simulator, the demo and
vendors' joint debugging. It talks to a real server (``base_url``) or, in-process, to the WSGI
application through ``httpx.WSGITransport`` — the same bytes either way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from jiapei.signing import Signer


class ApiRefused(Exception):
    def __init__(self, resource: str, status: int, envelope: dict[str, Any]) -> None:
        super().__init__(
            f"{resource}: HTTP {status} errorcode={envelope.get('errorcode')} "
            f"{envelope.get('message')}"
        )
        self.status = status
        self.envelope = envelope


@dataclass
class TimingPlatformClient:
    signer: Signer
    # In-process calls name the loopback: a host the default ALLOWED_HOSTS accepts.
    base_url: str = "http://localhost"
    transport: httpx.BaseTransport | None = None
    _http: httpx.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._http = httpx.Client(base_url=self.base_url, transport=self.transport, timeout=30)

    @classmethod
    def in_process(cls, signer: Signer) -> TimingPlatformClient:
        from django.core.wsgi import get_wsgi_application

        return cls(signer, transport=httpx.WSGITransport(app=get_wsgi_application()))

    def call(self, resource: str, payload: Any) -> tuple[int, dict[str, Any]]:
        """POST a signed request; return (HTTP status, envelope) without raising."""
        path, body = self.signer.request(resource, payload)
        reply = self._http.post(path, content=body, headers={"Content-Type": "application/json"})
        return reply.status_code, reply.json()

    def post(self, resource: str, payload: Any) -> dict[str, Any]:
        """POST a signed request and return ``data``; raise :class:`ApiRefused` on errors."""
        status, envelope = self.call(resource, payload)
        if status != 200 or envelope.get("errorcode") != 0:
            raise ApiRefused(resource, status, envelope)
        data: dict[str, Any] = envelope.get("data") or {}
        return data

    def upload(self, kind: str, content: bytes, filename: str = "file.jpg") -> str:
        """``imageup/{kind}``: the signature covers the raw file bytes; returns the file id."""
        query = self.signer.query(content, resource=f"imageup/{kind}")
        reply = self._http.post(f"/imageup/{kind}?{query}", files={"file": (filename, content)})
        envelope = reply.json()
        if reply.status_code != 200 or envelope.get("errorcode") != 0:
            raise ApiRefused(f"imageup/{kind}", reply.status_code, envelope)
        return str(envelope["data"]["id"])

    def close(self) -> None:
        self._http.close()
