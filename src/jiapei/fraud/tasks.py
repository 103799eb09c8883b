"""Background work of fraud detection, run by ``jiapei worker``."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date
from functools import partial

from django.db import connection, transaction

from jiapei.core import alerts, clock
from jiapei.core.actors import Actor
from jiapei.fraud import services
from jiapei.training.models import ScanRequest

# The operational-alert task name of the fraud scan.
TASK = "fraud"


def month_to_date(day: date, today: date | None = None) -> tuple[date, date]:
    """The month holding ``day``, from its first day to its last day or ``today``, whichever
    comes first (a month in progress is judged on what happened so far)."""
    today = today or clock.today()
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return day.replace(day=1), max(day, min(last, today))


def scan_due(*, actor: Actor, limit: int = 5) -> int:
    """Scan the days named by pending :class:`~jiapei.training.models.ScanRequest` rows (filed
    by the audit and the stage review through ``training.services.requests.request_scans``).
    Returns how many were handled, scanned or failed.

    Each request is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` (on PostgreSQL) and deleted
    in the transaction of its scan, so several workers share the queue without scanning one day
    twice at once; an audit that names the day meanwhile waits and then files a fresh request.
    Afterwards the school-level detectors run once for the month-to-date of each month touched,
    since the day's findings and verdicts feed those figures.

    Each day, and each month's school-level run, is one unit (:func:`jiapei.core.alerts.
    run_unit`, units ``YYYY-MM-DD`` and ``month YYYY-MM``): a scan that raises is rolled back
    and recorded as an operational alert, its request stays queued and is skipped until the
    alert's retry time, and the other days go on.
    """
    done = 0
    months: dict[tuple[int, int], date] = {}
    while done < limit:
        with transaction.atomic():
            pending = ScanRequest.objects.exclude(
                day__in=[date.fromisoformat(u) for u in _days(alerts.backing_off(TASK))]
            ).order_by("requested_at", "day")
            if connection.features.has_select_for_update_skip_locked:
                pending = pending.select_for_update(skip_locked=True)
            request = pending.first()
            if request is None:
                break
            if alerts.run_unit(TASK, request.day.isoformat(), partial(_scan, actor, request)):
                months.setdefault((request.day.year, request.day.month), request.day)
        done += 1
    for day in months.values():
        first, last = month_to_date(day)
        alerts.run_unit(
            TASK,
            f"month {day:%Y-%m}",
            partial(services.scan_period, actor=actor, first=first, last=last),
        )
    return done


def _days(units: Iterable[dict[str, str]]) -> list[str]:
    """The day units among the backing-off ones (not the months')."""
    return [row["unit"] for row in units if not row["unit"].startswith("month")]


def _scan(actor: Actor, request: ScanRequest) -> None:
    services.scan_day(actor=actor, day=request.day)
    request.delete()
