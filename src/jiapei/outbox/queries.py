"""Reads over the outbox for operators and tests."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q

from jiapei.outbox.models import OutboxMessage


def status_counts() -> dict[str, int]:
    rows = OutboxMessage.objects.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def matching(keys: Iterable[str] = (), prefixes: Iterable[str] = ()) -> list[OutboxMessage]:
    """The messages queued under one of ``keys`` (idempotency keys) or under a key starting
    with one of ``prefixes`` (such as ``police:hours:<review id>:``, whose tail is the moment of
    the decision), oldest first. The caller derives the keys from rows it was allowed to read:
    the outbox itself belongs to no region."""
    condition = Q()
    wanted = [k for k in keys if k]
    if wanted:
        condition |= Q(idempotency_key__in=wanted)
    for prefix in prefixes:
        condition |= Q(idempotency_key__startswith=prefix)
    if not condition:
        return []
    return list(OutboxMessage.objects.filter(condition).order_by("id"))
