"""Reads over the outbox for operators and tests."""

from __future__ import annotations

from django.db.models import Count

from jiapei.outbox.models import OutboxMessage


def status_counts() -> dict[str, int]:
    rows = OutboxMessage.objects.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}
