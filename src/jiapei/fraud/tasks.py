"""Background work of fraud detection, run by ``jiapei worker``."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date

from django.db import connection, transaction

from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.fraud import services
from jiapei.fraud.models import ScanRequest


def month_to_date(day: date, today: date | None = None) -> tuple[date, date]:
    """The month holding ``day``, from its first day to its last day or ``today``, whichever
    comes first (a month in progress is judged on what happened so far)."""
    today = today or clock.today()
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return day.replace(day=1), max(day, min(last, today))


def request_scans(days: Iterable[date]) -> int:
    """File a scan request for each local day (or touch the pending one). Returns how many days.

    Call inside the transaction that changed the days' data, so the worker that drains the
    request sees the change. Concurrent callers may file the same day: the unique ``day`` makes
    the second insert a no-op.
    """
    wanted = set(days)
    if not wanted:
        return 0
    now = clock.now()
    pending = set(ScanRequest.objects.filter(day__in=wanted).values_list("day", flat=True))
    if pending:
        ScanRequest.objects.filter(day__in=pending).update(requested_at=now)
    ScanRequest.objects.bulk_create(
        [ScanRequest(day=d) for d in sorted(wanted - pending)], ignore_conflicts=True
    )
    return len(wanted)


def scan_due(*, actor: Actor, limit: int = 5) -> int:
    """Scan the days named by pending :class:`ScanRequest` rows. Returns how many.

    Each request is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` (on PostgreSQL) and deleted
    in the transaction of its scan, so several workers share the queue without scanning one day
    twice at once; an audit that names the day meanwhile waits and then files a fresh request.
    Afterwards the school-level detectors run once for the month-to-date of each month touched,
    since the day's findings and verdicts feed those figures.
    """
    done = 0
    months: dict[tuple[int, int], date] = {}
    while done < limit:
        with transaction.atomic():
            pending = ScanRequest.objects.order_by("requested_at", "day")
            if connection.features.has_select_for_update_skip_locked:
                pending = pending.select_for_update(skip_locked=True)
            request = pending.first()
            if request is None:
                break
            services.scan_day(request.day, actor=actor)
            months.setdefault((request.day.year, request.day.month), request.day)
            request.delete()
        done += 1
    for day in months.values():
        first, last = month_to_date(day)
        services.scan_period(first, last, actor=actor)
    return done
