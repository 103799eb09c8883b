"""Voiding teaching logs: a regulator's decision that a session's hours do not count.

A voided log stays stored with the instant and the reason; the audit then marks the session
MANUAL_VOID (wholly invalid). Training sits below the audit in DESIGN §4, so re-auditing the
affected days is the caller's part (``workorders`` does it in the same transaction).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from jiapei.core import services as trail
from jiapei.core.actors import Actor
from jiapei.training.models import TeachingLog

REASON_LENGTH = TeachingLog._meta.get_field("void_reason").max_length or 200


def void_logs(
    *, actor: Actor, logs: Iterable[TeachingLog], reason: str, at: datetime
) -> list[TeachingLog]:
    """Void each of ``logs`` from ``at`` with ``reason`` (cut to the column's length).

    A log already voided is left as it is: the first decision and its reason stand. Each log
    voided here gets one audit-log row (``training.void``); all in one transaction, the
    caller's when there is one. Returns the logs voided now, in the order given, with their
    ``voided_at`` and ``void_reason`` set.
    """
    reason = reason[:REASON_LENGTH]
    voided = []
    with transaction.atomic():
        for log in logs:
            if log.voided_at is not None:
                continue
            changed = TeachingLog.objects.filter(pk=log.pk, voided_at__isnull=True).update(
                voided_at=at, void_reason=reason
            )
            if not changed:
                continue
            before = {"voided_at": None, "void_reason": log.void_reason}
            log.voided_at, log.void_reason = at, reason
            trail.record(
                actor=actor,
                action="training.void",
                obj=log,
                before=before,
                after={"voided_at": at.isoformat(), "void_reason": reason},
                reason=reason,
            )
            voided.append(log)
    return voided
