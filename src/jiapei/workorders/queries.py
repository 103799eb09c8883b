"""Reads of work orders: region-scoped lists and details, and the clearance rate (工单处置率).

Visibility follows the school, not the current owner: a regulator sees every order about a
school in their region, including one escalated above them (read-only; acting on it is refused
by the services). The clearance figures are likewise counted by the school's county, so an order
a county escalated still counts for that county (and for its city and province by prefix):
escalating does not make a county's backlog disappear from its figures.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from jiapei.accounts import access
from jiapei.accounts.models import Region, RegionLevel, User
from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.core.models import AuditLogEntry
from jiapei.fraud.models import Finding
from jiapei.outbox.models import Destination, OutboxMessage
from jiapei.training.models import TeachingLog
from jiapei.workorders import preview
from jiapei.workorders.models import OrderState, WorkOrder
from jiapei.workorders.preview import VoidPreview


def orders_for(user: User) -> QuerySet[WorkOrder]:
    """Orders about schools in the user's region (raises :class:`Forbidden` for non-regulators)."""
    return access.scope(
        user,
        WorkOrder.objects.select_related("region", "institution", "assignee"),
        region_field="institution__district__code",
    )


def with_findings(qs: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    """``qs`` with each order's findings fetched in one more query (for :func:`order_wire` on
    a list)."""
    return qs.prefetch_related(Prefetch("findings", queryset=Finding.objects.order_by("pk")))


def overdue(qs: QuerySet[WorkOrder], now: datetime | None = None) -> QuerySet[WorkOrder]:
    """Orders not resolved whose deadline has passed."""
    return qs.exclude(state=OrderState.RESOLVED).filter(deadline__lt=now or clock.now())


def _time(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def order_wire(row: WorkOrder, now: datetime | None = None) -> dict[str, Any]:
    """One order as the list shows it."""
    now = now or clock.now()
    ids = [finding.pk for finding in order_findings(row)]
    return {
        "id": row.pk,
        "number": row.number,
        "source": row.source,
        # "finding" is the first of the order's findings, as when an order had only one;
        # "findings" lists them all (ids, ascending).
        "finding": ids[0] if ids else None,
        "findings": ids,
        "review": row.review_id,
        "region": row.region_id,
        "regionname": row.region.name,
        "county": row.institution.district_id,
        "inscode": row.institution.inscode,
        "insname": row.institution.name,
        "title": row.title,
        "state": row.state,
        "decision": row.decision,
        "reason": row.decision_reason,
        "assignee": row.assignee.get_username() if row.assignee else None,
        "deadline": _time(row.deadline),
        "overdue": row.state != OrderState.RESOLVED and row.deadline < now,
        "opened_at": _time(row.opened_at),
        "started_at": _time(row.started_at),
        "resolved_at": _time(row.resolved_at),
        "escalated_at": _time(row.escalated_at),
    }


def _log_wire(log: TeachingLog) -> dict[str, Any]:
    return {
        "rnum": log.rnum,
        "stunum": log.student.stunum,
        "part": log.part,
        "starttime": _time(log.starttime),
        "endtime": _time(log.endtime),
        "duration": log.duration,
        "audit_status": log.audit_status,
        "credited_minutes": log.credited_minutes,
        "codes": log.codes,
        "voided_at": _time(log.voided_at),
        "void_reason": log.void_reason,
    }


def order_findings(row: WorkOrder) -> list[Finding]:
    """The order's findings, ascending (from the prefetch of :func:`with_findings` if any)."""
    return sorted(row.findings.all(), key=lambda finding: finding.pk)


def _finding_wire(finding: Finding) -> dict[str, Any]:
    evidence = finding.evidence or {}
    return {
        "id": finding.pk,
        "detector": finding.detector,
        "severity": finding.severity,
        "status": finding.status,
        "day": finding.day.isoformat(),
        "period_end": finding.period_end.isoformat() if finding.period_end else None,
        "score": finding.score,
        "summary": finding.summary,
        "summary_en": finding.summary_en,
        # A summary of the evidence: the figures whole, the lists by size (the finding's own
        # endpoint has them in full).
        "figures": evidence.get("figures", {}),
        "minutes": len(evidence.get("minutes", [])),
        "photos": len(evidence.get("photos", [])),
        "points": len(evidence.get("points", [])),
    }


def timeline(row: WorkOrder) -> list[dict[str, Any]]:
    """The order's audit-log rows, oldest first."""
    entries = AuditLogEntry.objects.filter(
        object_type=WorkOrder._meta.label_lower, object_id=str(row.pk)
    ).order_by("at", "id")
    return [
        {
            "at": _time(e.at),
            "action": e.action,
            "actor": e.actor_label,
            "state": (e.after or {}).get("state"),
            "region": (e.after or {}).get("region_id"),
            "reason": e.reason,
            "voided": (e.after or {}).get("voided"),
            "revoked": (e.after or {}).get("revoked"),
        }
        for e in entries
    ]


def order_detail(row: WorkOrder) -> dict[str, Any]:
    """One order with its logs (and their current audit status), its findings' evidence
    summaries and the timeline from the audit log."""
    findings = order_findings(row)
    logs = row.logs.select_related("student").order_by("starttime", "rnum")
    events = timeline(row)
    outcome = next((e for e in reversed(events) if e["action"] == "workorders.resolve"), None)
    return {
        **order_wire(row),
        "description": row.description,
        "logs": [_log_wire(log) for log in logs],
        # "finding" (the first finding) stays for clients written when an order had one.
        "finding": _finding_wire(findings[0]) if findings else None,
        "findings": [_finding_wire(finding) for finding in findings],
        "voided": (outcome or {}).get("voided") or [],
        "revoked": (outcome or {}).get("revoked") or [],
        "timeline": events,
    }


@dataclass(frozen=True)
class Clearance:
    """Work-order clearance (工单处置率) of the orders opened in a period.

    ``resolved`` and ``overdue_open`` are as of the moment asked (``as_of``); ``rate`` is
    resolved / opened, ``None`` when nothing was opened.
    """

    opened: int
    resolved: int
    resolved_on_time: int
    overdue_open: int
    rate: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return datetime.combine(first, time.min, zone), datetime.combine(
        last + timedelta(days=1), time.min, zone
    )


def clearance(prefix: str, first: date, last: date, as_of: datetime | None = None) -> Clearance:
    """Clearance of the orders about schools whose county code starts with ``prefix`` (the
    school's county, whoever holds the order now) opened on local days ``first``..``last``.

    An order counts as resolved if it was resolved by ``as_of`` (default now), and on time if
    that was no later than its deadline; overdue_open counts the others whose deadline passed
    before ``as_of``.
    """
    as_of = as_of or clock.now()
    start, end = day_bounds(first, last)
    qs = WorkOrder.objects.filter(
        institution__district__code__startswith=prefix, opened_at__gte=start, opened_at__lt=end
    )
    done = Q(state=OrderState.RESOLVED, resolved_at__lte=as_of)
    opened = qs.count()
    resolved = qs.filter(done).count()
    on_time = qs.filter(done, resolved_at__lte=F("deadline")).count()
    overdue_open = qs.exclude(done).filter(deadline__lt=as_of).count()
    return Clearance(
        opened=opened,
        resolved=resolved,
        resolved_on_time=on_time,
        overdue_open=overdue_open,
        rate=round(resolved / opened, 4) if opened else None,
    )


def month_bounds(month: date) -> tuple[date, date]:
    """The first and last day of ``month``'s calendar month."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def clearance_by_child(
    region: Region, month: date, as_of: datetime | None = None
) -> list[dict[str, Any]]:
    """Per-child-region clearance of a month: the cities of a province, the counties of a city;
    a county has only its own row. Each row is ``{code, name, level, **Clearance}``."""
    first, last = month_bounds(month)
    if region.level == RegionLevel.COUNTY:
        children = [region]
    else:
        children = list(Region.objects.filter(parent=region).order_by("code"))
    rows = []
    for child in children:
        figures = clearance(child.scope_prefix, first, last, as_of)
        row = {"code": child.code, "name": child.name, "level": child.level}
        rows.append({**row, **figures.as_dict()})
    return rows


# The tabs of a regulator's queue (the console's "my queue"), each a filter of
# :func:`orders_for`: what the user's own region holds and has not resolved, by state, what
# falls due within ``DUE_SOON`` days, what is overdue, what was escalated to the user's region,
# and everything in scope.
QUEUE_TABS = ("mine", "open", "in_progress", "due", "overdue", "escalated", "all")
DUE_SOON = timedelta(days=2)


def queue_q(user: User, tab: str, now: datetime | None = None) -> Q:
    """The condition of one queue tab for ``user`` (see :data:`QUEUE_TABS`; an unknown tab is
    "all")."""
    now = now or clock.now()
    unresolved = ~Q(state=OrderState.RESOLVED)
    assert user.region is not None
    held = Q(region_id=user.region.code)
    return {
        "mine": held & unresolved,
        "open": Q(state=OrderState.OPEN),
        "in_progress": Q(state=OrderState.IN_PROGRESS),
        "due": unresolved & Q(deadline__gte=now, deadline__lt=now + DUE_SOON),
        "overdue": unresolved & Q(deadline__lt=now),
        "escalated": held & Q(state=OrderState.ESCALATED),
    }.get(tab, Q())


def queue_counts(user: User, now: datetime | None = None) -> dict[str, int]:
    """How many of the user's orders each queue tab holds, in one query."""
    now = now or clock.now()
    return orders_for(user).aggregate(
        **{tab: Count("pk", filter=queue_q(user, tab, now)) for tab in QUEUE_TABS}
    )


def void_preview(
    *, actor: Actor, order_id: int, rnums: list[str] | None = None, reason: str = ""
) -> VoidPreview:
    """What deciding the order "voided" would do, without doing it
    (:func:`jiapei.workorders.preview.void_preview`)."""
    return preview.void_preview(actor=actor, order_id=order_id, rnums=rnums, reason=reason)


def clearance_by_month(
    prefix: str, months: list[date], as_of: datetime | None = None
) -> list[Clearance]:
    """:func:`clearance` of each calendar month in ``months`` (first days, ascending) for the
    schools whose county code starts with ``prefix``, in one query grouped by local month."""
    as_of = as_of or clock.now()
    if not months:
        return []
    start, _ = day_bounds(months[0], months[0])
    _, end = day_bounds(*month_bounds(months[-1]))
    done = Q(state=OrderState.RESOLVED, resolved_at__lte=as_of)
    rows = (
        WorkOrder.objects.filter(
            institution__district__code__startswith=prefix, opened_at__gte=start, opened_at__lt=end
        )
        .annotate(month=TruncMonth("opened_at", tzinfo=timezone.get_current_timezone()))
        .values("month")
        .annotate(
            opened=Count("pk"),
            resolved=Count("pk", filter=done),
            on_time=Count("pk", filter=done & Q(resolved_at__lte=F("deadline"))),
            overdue_open=Count("pk", filter=~done & Q(deadline__lt=as_of)),
        )
    )
    by_month: dict[date, dict[str, Any]] = {_month_of(row["month"]): dict(row) for row in rows}
    out = []
    for month in months:
        row = by_month.get(month) or {}
        opened = row.get("opened", 0)
        resolved = row.get("resolved", 0)
        out.append(
            Clearance(
                opened=opened,
                resolved=resolved,
                resolved_on_time=row.get("on_time", 0),
                overdue_open=row.get("overdue_open", 0),
                rate=round(resolved / opened, 4) if opened else None,
            )
        )
    return out


def _month_of(value: date | datetime) -> date:
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def order_logs(row: WorkOrder) -> QuerySet[TeachingLog]:
    """The order's teaching logs with their students, by start time."""
    return row.logs.select_related("student").order_by("starttime", "rnum")


def region_names(codes: list[str]) -> dict[str, Region]:
    """The regions named by ``codes`` (e.g. those an order passed through), by code."""
    return {r.code: r for r in Region.objects.filter(code__in=codes)}


def withdrawals(review_ids: list[int]) -> list[OutboxMessage]:
    """The police platform's withdrawals queued for these stage reviews, oldest first."""
    return list(
        OutboxMessage.objects.filter(
            destination=Destination.POLICE,
            path=preview.WITHDRAW_PATH,
            payload__stageid__in=[str(pk) for pk in review_ids],
        ).order_by("pk")
    )
