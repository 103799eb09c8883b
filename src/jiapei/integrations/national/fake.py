"""A stand-in for the national platform that issues well-formed, unique unified numbers and
records what is forwarded to it.

Numbers are 16 digits: the province's 4-digit prefix (e.g. ``4300``), a 2-digit kind code and
10 digits derived from a hash of the record, so the same record filed into a fresh database gets
the same number (a demo or an evaluation with the same seed prints the same figures: the manual
review draw hashes these numbers). They are recorded in :class:`IssuedNumber`, so the fake never
repeats itself, even across restarts and processes: a collision (two processes filing at once)
re-hashes with the attempt. Forwards are kept in :data:`FORWARDED` (this process only).
"""

from __future__ import annotations

import hashlib
import json
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
        # The count of numbers already issued makes identical records (tests file many) differ
        # while keeping a run's sequence of numbers the same from one fresh database to another.
        issued = IssuedNumber.objects.filter(kind=kind).count()
        digest = json.dumps([kind, issued, record], sort_keys=True, ensure_ascii=False, default=str)
        for attempt in range(20):
            seed = hashlib.sha256(f"{attempt}:{digest}".encode()).digest()
            number = prefix + f"{int.from_bytes(seed[:8], 'big') % 10**10:010d}"
            try:
                with transaction.atomic():
                    IssuedNumber.objects.create(number=number, kind=kind)
            except IntegrityError:
                continue
            return number
        raise RuntimeError("could not issue a unique number")  # pragma: no cover

    def forward(self, resource: str, payload: dict[str, Any], idempotency_key: str) -> None:
        FORWARDED.append((resource, payload))
