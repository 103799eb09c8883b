"""Operational alerts: isolating one unit of background work and recording its failure.

Every background task (the audit drain, the stage assembly, the fraud scan, the outbox relay,
work-order escalation) runs each of its units (one student, one day, one message …) through
:func:`run_unit`: the unit's writes share one savepoint, so a failure undoes only that unit,
is recorded here as an :class:`~jiapei.core.models.OperationalAlert` with its traceback, and
the task goes on with the next unit. The alert doubles as the unit's backoff: the task skips
units :func:`backing_off` names until ``retry_at`` (``JIAPEI_RETRY_BASE_SECONDS`` doubling up
to ``JIAPEI_RETRY_MAX_SECONDS``), so a poisoned row is neither retried in a hot loop nor
dropped. The unit's next success closes its alert.

Alerts are operational records, not domain decisions: they are written without an actor and
without an audit-log row (the failing unit's own writes were rolled back).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from jiapei.core import clock
from jiapei.core.models import OperationalAlert

logger = logging.getLogger(__name__)

# Unit name of a failure of a task as a whole (e.g. its query of due work raised).
WHOLE_TASK = "*"


def retry_delay(count: int) -> timedelta:
    """Wait after the ``count``-th consecutive failure: base, 2 × base, 4 × base … up to the cap."""
    base = settings.JIAPEI_RETRY_BASE_SECONDS
    seconds = min(base * 2 ** min(max(count - 1, 0), 30), settings.JIAPEI_RETRY_MAX_SECONDS)
    return timedelta(seconds=seconds)


def report_failure(task: str, unit: str, exc: BaseException) -> OperationalAlert:
    """Record that ``unit`` of ``task`` raised ``exc``: open its alert, or bump the open one.
    Call it outside the failed unit's savepoint (in the caller's transaction or none)."""
    now = clock.now()
    unit = unit[:128]
    text = "".join(traceback.format_exception(exc))[-20000:]
    with transaction.atomic():
        alert = OperationalAlert.objects.select_for_update().filter(task=task, unit=unit).first()
        if alert is None:
            alert = OperationalAlert(task=task, unit=unit, first_seen=now, count=0)
        elif alert.resolved_at is not None:  # failing again after it was fixed: a new episode
            alert.first_seen, alert.count, alert.resolved_at = now, 0, None
        alert.count += 1
        alert.exc_type = f"{type(exc).__module__}.{type(exc).__qualname__}"[:200]
        alert.message = str(exc)[:2000]
        alert.traceback = text
        alert.last_seen = now
        alert.retry_at = now + retry_delay(alert.count)
        alert.save()
    return alert


def resolve(task: str, unit: str) -> int:
    """Close the open alert of ``unit`` of ``task`` (it just succeeded). Returns 0 or 1."""
    return OperationalAlert.objects.filter(
        task=task, unit=unit[:128], resolved_at__isnull=True
    ).update(resolved_at=clock.now())


def backing_off(task: str) -> QuerySet[OperationalAlert, Any]:
    """Units of ``task`` whose retry time has not come (a subquery of ``unit`` values)."""
    return OperationalAlert.objects.filter(
        task=task, resolved_at__isnull=True, retry_at__gt=clock.now()
    ).values("unit")


def retry_now() -> int:
    """Make every open alert's unit due at once (after an operator repaired data). Returns how
    many."""
    return OperationalAlert.objects.filter(resolved_at__isnull=True).update(retry_at=clock.now())


def run_unit(task: str, unit: str, work: Callable[[], object]) -> bool:
    """Run ``work`` in its own savepoint; on an exception roll back only its writes, record the
    failure (:func:`report_failure`) and return False; on success close the unit's alert and
    return True."""
    try:
        with transaction.atomic():
            work()
    except Exception as exc:
        logger.exception("%s: unit %s failed", task, unit)
        report_failure(task, unit, exc)
        return False
    resolve(task, unit)
    return True
