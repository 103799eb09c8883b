"""The figures of the regulators' home page (工作台), for one region, in aggregate queries.

Two parts, both scoped to the user's region by :mod:`jiapei.accounts.access`:

* :func:`todo` — what waits for the user: stage reviews and teaching areas to review, work
  orders by deadline, open fraud findings by detector. Small tables, read live on each visit.
* :func:`figures` — the region's state: minute records of today and this month accepted and
  rejected at ingest (by the first reason), teaching logs by audit verdict, the void rate of
  the last 30 days, the audit and scan queues, stage reviews waiting, findings by detector, work
  orders due and overdue, and upload health (schools and terminals silent for 24 hours, upload
  delay per timing platform). These read the big tables (minute records, teaching logs), so
  every filter is a time range on an indexed column, every count is one grouped query, and the
  result is cached for :data:`FIGURES_SECONDS` per region (the page says when it was counted).

The query count of both is fixed: it does not grow with the rows or the region's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import TruncDate
from django.utils import timezone

from jiapei.accounts import access
from jiapei.accounts.models import User
from jiapei.core import clock
from jiapei.fraud.detectors.base import DETECTORS
from jiapei.fraud.models import Finding, FindingStatus
from jiapei.registry.models import (
    AreaStatus,
    Device,
    FilingStatus,
    Institution,
    TeachingArea,
    TimingPlatform,
)
from jiapei.reports.ranking import _delays, percentile
from jiapei.stages.models import ReviewStatus, StageReview
from jiapei.stages.queries import reviews_for
from jiapei.training.models import (
    AuditRequest,
    AuditStatus,
    IngestResult,
    MinuteRecord,
    ScanRequest,
    TeachingLog,
)
from jiapei.workorders.models import OrderState, WorkOrder
from jiapei.workorders.queries import day_bounds, orders_for

FIGURES_SECONDS = 300  # how long a region's figures are served from the cache
SILENT_HOURS = 24  # a filed school or terminal with no session for this long is listed
LOOKBACK_DAYS = 30  # how far back a silent school's or terminal's last session is looked up
DUE_DAYS = 3  # a work order due within this many days is "due soon"
TREND_DAYS = 30
SHOWN = 10  # rows of each to-do and silent list shown on the page (the count gives the rest)


def _within(qs: QuerySet[Any], field_path: str, prefix: str | None) -> QuerySet[Any]:
    """``qs`` narrowed to the region ``prefix`` at ``field_path`` (no filter for the province,
    so its figures spare the joins)."""
    return qs if prefix is None else qs.filter(**{f"{field_path}__startswith": prefix})


# What waits for the user.


@dataclass
class Todo:
    stage_reviews: int = 0
    stage_rows: list[StageReview] = field(default_factory=list)
    areas: int = 0
    area_rows: list[TeachingArea] = field(default_factory=list)
    orders: int = 0
    orders_overdue: int = 0
    orders_due: int = 0
    order_rows: list[WorkOrder] = field(default_factory=list)
    findings_open: list[tuple[str, str, int]] = field(default_factory=list)  # code, name, n


def todo(user: User) -> Todo:
    """The user's to-do list (six queries whatever the region's size)."""
    now = clock.now()
    prefix = access.region_prefix(user)
    out = Todo()
    waiting = reviews_for(user).filter(status=ReviewStatus.PENDING_MANUAL)
    out.stage_reviews = waiting.count()
    out.stage_rows = list(waiting.order_by("id")[:SHOWN])
    areas = access.scope(
        user,
        TeachingArea.objects.select_related("institution", "region"),
        region_field="region__code",
    ).filter(status=AreaStatus.PENDING)
    out.area_rows = list(areas.order_by("created_at", "id")[:SHOWN])
    out.areas = len(out.area_rows) if len(out.area_rows) < SHOWN else areas.count()
    orders = orders_for(user).exclude(state=OrderState.RESOLVED)
    counts = orders.aggregate(
        n=Count("id"),
        overdue=Count("id", filter=Q(deadline__lt=now)),
        due=Count("id", filter=Q(deadline__gte=now, deadline__lt=now + timedelta(days=DUE_DAYS))),
    )
    out.orders, out.orders_overdue, out.orders_due = counts["n"], counts["overdue"], counts["due"]
    out.order_rows = list(orders.order_by("deadline", "id")[:SHOWN])
    for row in out.order_rows:
        row.days_left = (row.deadline - now).total_seconds() / 86400  # type: ignore[attr-defined]
    found = dict(
        Finding.objects.filter(region__code__startswith=prefix, status=FindingStatus.OPEN)
        .values("detector")
        .annotate(n=Count("id"))
        .values_list("detector", "n")
        .order_by()
    )
    out.findings_open = [
        (code, DETECTORS[code][0] if code in DETECTORS else code, n)
        for code, n in sorted(found.items(), key=lambda item: (-item[1], item[0]))
    ]
    return out


# The region's figures.


@dataclass
class Silent:
    """A filed school or terminal without a session for :data:`SILENT_HOURS`; ``school`` is
    the primary key of the school (itself, or the terminal's)."""

    school: int
    number: str
    name: str
    last: datetime | None


@dataclass
class Figures:
    counted_at: datetime
    today: date
    minutes: dict[str, int]  # today_accepted, today_rejected, month_accepted, month_rejected
    rejected_by_reason: list[tuple[str, int, int]]  # reason, today, month
    logs_by_verdict: list[tuple[str, int, int]]  # audit status, today, month
    trend: list[tuple[date, int, int]]  # day, audited minutes, void minutes
    audit_queue: int
    audit_oldest: datetime | None
    scan_queue: int
    scan_oldest: date | None
    stages: dict[str, int]  # status -> reviews
    findings_month: list[tuple[str, str, int]]  # code, name, n
    orders: dict[str, int]  # open, overdue, due
    silent_schools: int
    silent_school_rows: list[Silent]
    silent_devices: int
    silent_device_rows: list[Silent]
    delays: list[tuple[str, str, int, int | None, int | None]]  # platnum, name, n, median, p95


def figures(user: User) -> Figures:
    """The region's figures, from the cache when counted in the last :data:`FIGURES_SECONDS`."""
    prefix = access.figures_prefix(user)
    today = clock.today()
    key = f"jiapei:dashboard:{prefix or 'all'}:{today.isoformat()}"
    found = cache.get(key)
    if isinstance(found, Figures):
        return found
    computed = compute(prefix, today)
    if FIGURES_SECONDS:
        cache.set(key, computed, FIGURES_SECONDS)
    return computed


def compute(prefix: str | None, today: date) -> Figures:
    """Every figure of the region ``prefix`` (None: the province) as of now."""
    now = clock.now()
    day_start, day_end = day_bounds(today, today)
    month_start, _ = day_bounds(today.replace(day=1), today)
    trend_start, _ = day_bounds(today - timedelta(days=TREND_DAYS - 1), today)
    minutes = _within(
        MinuteRecord.objects.filter(at__gte=month_start, at__lt=day_end),
        "student__institution__district__code",
        prefix,
    )
    in_day = Q(at__gte=day_start)
    # One pass over the month's minutes: counts by result and by the first reason of refusal.
    groups = list(
        minutes.annotate(reason=KT("reject_codes__0"))
        .values("result", "reason")
        .annotate(today=Count("id", filter=in_day), month=Count("id"))
        .order_by()
    )
    minute_counts = {
        f"{period}_{result}": sum(g[period] for g in groups if g["result"] == result)
        for period in ("today", "month")
        for result in (IngestResult.ACCEPTED.value, IngestResult.REJECTED.value)
    }
    reasons = sorted(
        (
            (g["reason"] or "—", g["today"], g["month"])
            for g in groups
            if g["result"] == IngestResult.REJECTED
        ),
        key=lambda row: (-row[2], row[0]),
    )
    logs = _within(TeachingLog.objects.all(), "institution__district__code", prefix)
    verdicts = {
        row["audit_status"]: (row["today"], row["month"])
        for row in logs.filter(starttime__gte=month_start, starttime__lt=day_end)
        .values("audit_status")
        .annotate(today=Count("id", filter=Q(starttime__gte=day_start)), month=Count("id"))
        .order_by()
    }
    trend_rows = {
        row["day"]: (row["total"] or 0, (row["total"] or 0) - (row["valid"] or 0))
        for row in logs.filter(starttime__gte=trend_start, starttime__lt=day_end)
        .exclude(audit_status=AuditStatus.PENDING)
        .annotate(day=TruncDate("starttime", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(total=Sum("total_minutes"), valid=Sum("valid_minutes"))
        .order_by()
    }
    days = [today - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1)]
    audit = _within(
        AuditRequest.objects.all(), "student__institution__district__code", prefix
    ).aggregate(n=Count("id"), oldest=Min("requested_at"))
    # The scan queue holds days, not regions: every level sees the province's.
    scans = ScanRequest.objects.aggregate(n=Count("id"), oldest=Min("day"))
    stages = dict(
        _within(StageReview.objects.all(), "student__institution__district__code", prefix)
        .filter(status__in=[ReviewStatus.PENDING_CHECK, ReviewStatus.PENDING_MANUAL])
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
        .order_by()
    )
    findings = dict(
        _within(Finding.objects.all(), "region__code", prefix)
        .filter(day__gte=today.replace(day=1), day__lte=today)
        .exclude(status=FindingStatus.DISMISSED)
        .values("detector")
        .annotate(n=Count("id"))
        .values_list("detector", "n")
        .order_by()
    )
    orders = (
        _within(WorkOrder.objects.all(), "institution__district__code", prefix)
        .exclude(state=OrderState.RESOLVED)
        .aggregate(
            open=Count("id"),
            overdue=Count("id", filter=Q(deadline__lt=now)),
            due=Count(
                "id",
                filter=Q(deadline__gte=now, deadline__lt=now + timedelta(days=DUE_DAYS)),
            ),
        )
    )
    schools, school_rows = _silent_schools(prefix, now)
    devices, device_rows = _silent_devices(prefix, now)
    return Figures(
        counted_at=now,
        today=today,
        minutes=minute_counts,
        rejected_by_reason=reasons,
        logs_by_verdict=[(status, *verdicts.get(status, (0, 0))) for status in AuditStatus.values],
        trend=[(day, *trend_rows.get(day, (0, 0))) for day in days],
        audit_queue=audit["n"],
        audit_oldest=audit["oldest"],
        scan_queue=scans["n"],
        scan_oldest=scans["oldest"],
        stages={
            s: stages.get(s, 0) for s in (ReviewStatus.PENDING_MANUAL, ReviewStatus.PENDING_CHECK)
        },
        findings_month=[
            (code, names[0], findings.get(code, 0)) for code, names in DETECTORS.items()
        ],
        orders={k: v or 0 for k, v in orders.items()},
        silent_schools=schools,
        silent_school_rows=school_rows,
        silent_devices=devices,
        silent_device_rows=device_rows,
        delays=_upload_delays(prefix, now),
    )


def _recent_logs(prefix: str | None, since: datetime) -> QuerySet[TeachingLog]:
    return _within(
        TeachingLog.objects.filter(starttime__gte=since), "institution__district__code", prefix
    )


def _silent_schools(prefix: str | None, now: datetime) -> tuple[int, list[Silent]]:
    """Schools filed more than a day ago with no session starting in the last day: how many,
    and the first :data:`SHOWN` (longest silent first) with their last session's start."""
    silent_since = now - timedelta(hours=SILENT_HOURS)
    active = _recent_logs(prefix, silent_since).values("institution_id")
    silent = _within(
        Institution.objects.filter(
            filing_status=FilingStatus.ACTIVE, created_at__lt=silent_since
        ).exclude(pk__in=active),
        "district__code",
        prefix,
    )
    last = (
        TeachingLog.objects.filter(
            institution=OuterRef("pk"), starttime__gte=now - timedelta(days=LOOKBACK_DAYS)
        )
        .order_by("-starttime")
        .values("starttime")[:1]
    )
    rows = list(silent.annotate(last=Subquery(last)).order_by("last", "inscode")[:SHOWN])
    count = len(rows) if len(rows) < SHOWN else silent.count()
    return count, [Silent(r.pk, r.inscode, r.name, r.last) for r in rows]


def _silent_devices(prefix: str | None, now: datetime) -> tuple[int, list[Silent]]:
    """Terminals filed more than a day ago (and still filed) with no session in the last day."""
    silent_since = now - timedelta(hours=SILENT_HOURS)
    active = _recent_logs(prefix, silent_since).filter(device__isnull=False).values("device_id")
    silent = _within(
        Device.objects.filter(
            filing_status=FilingStatus.ACTIVE, created_at__lt=silent_since
        ).exclude(pk__in=active),
        "institution__district__code",
        prefix,
    )
    last = (
        TeachingLog.objects.filter(
            device=OuterRef("pk"), starttime__gte=now - timedelta(days=LOOKBACK_DAYS)
        )
        .order_by("-starttime")
        .values("starttime")[:1]
    )
    rows = list(
        silent.select_related("institution")
        .annotate(last=Subquery(last))
        .order_by("last", "devnum")[:SHOWN]
    )
    count = len(rows) if len(rows) < SHOWN else silent.count()
    return count, [Silent(r.institution_id, r.devnum, r.institution.name, r.last) for r in rows]


def _upload_delays(
    prefix: str | None, now: datetime
) -> list[tuple[str, str, int, int | None, int | None]]:
    """Per timing platform, over the minute records of the last day: how many, and the median
    and 95th percentile of ``received_at − at`` in seconds (the ranking's definition,
    :mod:`jiapei.reports.ranking`)."""
    minutes = _within(
        MinuteRecord.objects.filter(at__gte=now - timedelta(hours=SILENT_HOURS), at__lt=now),
        "student__institution__district__code",
        prefix,
    )
    histograms = _delays(minutes)
    names = {
        pk: (platnum, name)
        for pk, platnum, name in TimingPlatform.objects.filter(pk__in=list(histograms))
        .values_list("pk", "platnum", "name")
        .order_by()
    }
    out = []
    for pid, histogram in histograms.items():
        platnum, name = names.get(pid, ("?", "?"))
        total = sum(n for _, n in histogram)
        out.append((platnum, name, total, percentile(histogram, 0.5), percentile(histogram, 0.95)))
    return sorted(out)
