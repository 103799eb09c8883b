"""HTTP client for the national platform's numbering interface (standards.md §2.1, §2.4).

The province files the record with ``country/{kind}`` without a number, signed with the
province's own certificate, and reads the unified number from the reply's ``data``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from jiapei.core.errors import DomainError, ErrorCode
from jiapei.signing import Signer

NUMBER_FIELDS = {
    "institution": "inscode",
    "coach": "coachnum",
    "examiner": "examnum",
    "securityguard": "secunum",
    "trainingcar": "carnum",
    "device": "devnum",
    "student": "stunum",
}


class NationalPlatformError(DomainError):
    code = ErrorCode.UPSTREAM
    status = 502


@dataclass
class HttpNationalPlatform:
    base_url: str
    signer: Signer
    timeout: float = 10.0
    transport: httpx.BaseTransport | None = None

    @classmethod
    def from_settings(cls) -> HttpNationalPlatform:
        key = serialization.load_pem_private_key(
            Path(settings.JIAPEI_NATIONAL_KEY_FILE).read_bytes(), password=None
        )
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("JIAPEI_NATIONAL_KEY_FILE must hold an RSA private key")
        return cls(
            base_url=settings.JIAPEI_NATIONAL_URL.rstrip("/"),
            signer=Signer(key, settings.JIAPEI_NATIONAL_CERT_SERIAL),
        )

    def issue_number(self, kind: str, record: dict[str, Any]) -> str:
        path, body = self.signer.request(f"country/{kind}", record)
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                reply = client.post(
                    self.base_url + path,
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
            envelope = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise NationalPlatformError(
                f"全国驾培平台不可用 (national platform unavailable): {exc}"
            ) from exc
        if envelope.get("errorcode") != 0:
            raise NationalPlatformError(
                f"全国驾培平台拒绝 (national platform refused): {envelope.get('message')}"
            )
        number = (envelope.get("data") or {}).get(NUMBER_FIELDS[kind])
        if not isinstance(number, str) or len(number) != 16:
            raise NationalPlatformError(f"全国驾培平台返回的编号无效 (bad number): {number!r}")
        return number

    def forward(self, resource: str, payload: dict[str, Any], idempotency_key: str) -> None:
        """Forward approved hours or a completion (``resource`` such as ``stagetrainningtime``)
        to the national platform; raises :class:`NationalPlatformError` unless acknowledged."""
        path, body = self.signer.request(f"province/{resource}", payload)
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                reply = client.post(
                    self.base_url + path,
                    content=body,
                    headers={
                        "Content-Type": "application/json",
                        "X-Idempotency-Key": idempotency_key,
                    },
                )
            envelope = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise NationalPlatformError(
                f"全国驾培平台不可用 (national platform unavailable): {exc}"
            ) from exc
        if envelope.get("errorcode") != 0:
            raise NationalPlatformError(
                f"全国驾培平台拒绝 (national platform refused): {envelope.get('message')}"
            )
