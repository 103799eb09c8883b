"""A stand-in for the national platform that issues well-formed, unique unified numbers and
records what is forwarded to it.

Numbers are 16 digits: the province's 4-digit prefix (e.g. ``4300``), a 2-digit kind code and
10 random digits. They are recorded in :class:`IssuedNumber`, so the fake never repeats itself,
even across restarts and processes. Forwards are kept in :data:`FORWARDED` (this process only).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from jiapei.integrations.national.models import IssuedNumber

KIND_CODES = {
    "institution": "10",
    "coach": "20",
    "examiner": "21",
    "securityguard": "22",
    "trainingcar": "30",
    "device": "40",
    "student": "50",
}

# What the fake "received" as forwards: (resource, payload); tests and demos read it.
FORWARDED: list[tuple[str, dict[str, Any]]] = []


class FakeNationalPlatform:
    def issue_number(self, kind: str, record: dict[str, Any]) -> str:
        prefix = settings.JIAPEI_PROVINCE[:4] + KIND_CODES[kind]
        for _attempt in range(20):
            number = prefix + f"{secrets.randbelow(10**10):010d}"
            try:
                with transaction.atomic():
                    IssuedNumber.objects.create(number=number, kind=kind)
            except IntegrityError:
                continue
            return number
        raise RuntimeError("could not issue a unique number")  # pragma: no cover

    def forward(self, resource: str, payload: dict[str, Any], idempotency_key: str) -> None:
        FORWARDED.append((resource, payload))
