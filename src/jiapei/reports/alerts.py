"""What needs a regulator today (今日提醒): the console's home page shows it and the daily digest
e-mail (:mod:`jiapei.reports.digest`) sends it, so both say the same.

Four kinds, each scoped to the user's region by :mod:`jiapei.accounts.access` (through the
domain apps' ``queries``):

* new high-severity fraud findings — not dismissed, detected since the start of yesterday
  (local), whether or not they opened a work order at once;
* work orders not resolved whose deadline has passed, or falls within :data:`DUE_DAYS` days;
* stage records waiting for a regulator's manual review;
* schools that stopped uploading — :func:`jiapei.training.queries.silent_schools` with
  ``settings.JIAPEI_SILENT_SCHOOL_DAYS``.

These are not the operational alerts of :mod:`jiapei.core.alerts` (failures of background work,
for the province's operators). Each kind costs a fixed number of queries: a count and the first
:data:`SHOWN` rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from jiapei.accounts.models import User
from jiapei.core import clock
from jiapei.fraud.models import Finding, FindingStatus, Severity
from jiapei.fraud.queries import findings_for
from jiapei.registry.models import Institution
from jiapei.stages.models import ReviewStatus, StageReview
from jiapei.stages.queries import reviews_for
from jiapei.training.queries import SILENT_LOOKBACK_DAYS, silent_schools
from jiapei.workorders.models import OrderState, WorkOrder
from jiapei.workorders.queries import orders_for

DUE_DAYS = 2  # a work order due within this many days is listed
SHOWN = 5  # rows of each kind listed (the count gives the rest)


@dataclass
class Kind:
    """One kind of alert: how many, and the first :data:`SHOWN` rows."""

    count: int = 0
    rows: list[Any] = field(default_factory=list)


@dataclass
class Alerts:
    day: date
    now: datetime
    since: datetime  # new findings are those detected from this instant
    silent_days: int
    lookback_days: int  # a silent school's last session is looked up this far back
    findings: Kind
    overdue: Kind
    due: Kind
    stages: Kind
    silent: Kind

    @property
    def total(self) -> int:
        return sum(
            k.count for k in (self.findings, self.overdue, self.due, self.stages, self.silent)
        )


def _kind(qs: QuerySet[Any]) -> Kind:
    # Always counted, so the page's query count is the same however many rows there are.
    return Kind(qs.count(), list(qs[:SHOWN]))


def new_findings(user: User, since: datetime) -> QuerySet[Finding]:
    return (
        findings_for(user)
        .filter(severity=Severity.HIGH, detected_at__gte=since)
        # A finding that opened its work order at once is still news to the officer.
        .exclude(status=FindingStatus.DISMISSED)
        # The logs are not shown: no prefetch, so the query count does not depend on the rows.
        .prefetch_related(None)
        .order_by("-detected_at", "-id")
    )


def open_orders(user: User) -> QuerySet[WorkOrder]:
    return orders_for(user).exclude(state=OrderState.RESOLVED).order_by("deadline", "id")


def waiting_stages(user: User) -> QuerySet[StageReview]:
    return reviews_for(user).filter(status=ReviewStatus.PENDING_MANUAL).order_by("created_at", "id")


def stopped_uploading(user: User, now: datetime) -> QuerySet[Institution]:
    return silent_schools(user, now, settings.JIAPEI_SILENT_SCHOOL_DAYS)


def alerts_for(user: User) -> Alerts:
    """Today's alerts of ``user`` (a regulator; raises like ``access.regulator`` otherwise)."""
    now = clock.now()
    today = clock.today()
    since = datetime.combine(today - timedelta(days=1), time.min, tzinfo=clock.zone())
    orders = open_orders(user)
    overdue = _kind(orders.filter(deadline__lt=now))
    due = _kind(orders.filter(deadline__gte=now, deadline__lt=now + timedelta(days=DUE_DAYS)))
    for row in [*overdue.rows, *due.rows]:
        row.days_left = (row.deadline - now).total_seconds() / 86400
    silent = _kind(stopped_uploading(user, now))
    for school in silent.rows:
        school.silent_days = (now - school.last_log).days if school.last_log else None
    return Alerts(
        day=today,
        now=now,
        since=since,
        silent_days=settings.JIAPEI_SILENT_SCHOOL_DAYS,
        lookback_days=SILENT_LOOKBACK_DAYS,
        findings=_kind(new_findings(user, since)),
        overdue=overdue,
        due=due,
        stages=_kind(waiting_stages(user)),
        silent=silent,
    )
