"""Reads of fraud findings for regulators, the console and the monthly report.

Every list is scoped by the finding's region (the school's county): a county regulator sees its
county, a city regulator its city, the province everything. A finding outside one's region is
not admitted to exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from jiapei.accounts import access
from jiapei.accounts.models import Region, User
from jiapei.core.errors import NotFound
from jiapei.core.models import AuditLogEntry
from jiapei.fraud import loading, params
from jiapei.fraud.detectors.base import DETECTORS
from jiapei.fraud.detectors.schools import MEASURES
from jiapei.fraud.models import Finding, FindingStatus


def findings_for(user: User) -> QuerySet[Finding]:
    """Findings whose school lies in the user's region (raises for non-regulators)."""
    qs = Finding.objects.select_related(
        "institution", "student", "coach", "car", "platform"
    ).prefetch_related("logs")
    return access.scope(user, qs, region_field="region__code")


def filtered(
    qs: QuerySet[Finding],
    *,
    detector: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    since: date | None = None,
    until: date | None = None,
    inscode: str | None = None,
    stunum: str | None = None,
    rnum: str | None = None,
    region: str | None = None,
) -> QuerySet[Finding]:
    """Narrow a finding list. ``since``/``until`` compare with the finding's day (a period
    finding's first day); ``region`` is a GB/T 2260 code prefix; ``rnum`` a teaching log the
    evidence comes from."""
    if detector:
        qs = qs.filter(detector=detector)
    if severity:
        qs = qs.filter(severity=severity)
    if status:
        qs = qs.filter(status=status)
    if since:
        qs = qs.filter(day__gte=since)
    if until:
        qs = qs.filter(day__lte=until)
    if inscode:
        qs = qs.filter(institution__inscode=inscode)
    if stunum:
        qs = qs.filter(student__stunum=stunum)
    if rnum:
        qs = qs.filter(logs__rnum=rnum).distinct()
    if region:
        qs = qs.filter(region__code__startswith=region)
    return qs


def get_for(user: User, finding_id: int) -> Finding:
    row = findings_for(user).filter(pk=finding_id).first()
    if row is None:
        raise NotFound(
            f"finding {finding_id}: 不存在 (no such finding)", field="id", value=finding_id
        )
    return row


def detector_wire(code: str) -> dict[str, str]:
    zh, en, pattern = DETECTORS.get(code, (code, code, ""))
    return {"code": code, "name": zh, "name_en": en, "pattern": pattern}


def finding_wire(row: Finding) -> dict[str, Any]:
    """A finding as listed: no evidence, but the rnums of its teaching logs (so that a list can
    be matched against sessions without a request per finding)."""
    return {
        "id": row.pk,
        "detector": row.detector,
        "detector_name": DETECTORS.get(row.detector, (row.detector,))[0],
        "key": row.key,
        "severity": row.severity,
        "status": row.status,
        "region": row.region_id,
        "inscode": row.institution.inscode if row.institution else None,
        "platnum": row.platform.platnum if row.platform else None,
        "stunum": row.student.stunum if row.student else None,
        "coachnum": row.coach.number if row.coach else None,
        "carnum": row.car.carnum if row.car else None,
        "day": row.day.isoformat(),
        "period_end": row.period_end.isoformat() if row.period_end else None,
        "score": row.score,
        "rnums": sorted(log.rnum for log in row.logs.all()),
        "summary": row.summary,
        "summary_en": row.summary_en,
        "detected_at": timezone.localtime(row.detected_at).isoformat(),
        "updated_at": timezone.localtime(row.updated_at).isoformat(),
    }


def finding_detail(row: Finding) -> dict[str, Any]:
    """One finding with what a reviewer needs to check it: the evidence, the teaching logs with
    their audit verdicts, the explanation, the work order (if any) and the dismissal (if any)."""
    logs = [
        {
            "rnum": log.rnum,
            "stunum": log.student.stunum,
            "mode": log.mode,
            "part": log.part,
            "starttime": timezone.localtime(log.starttime).isoformat(),
            "endtime": timezone.localtime(log.endtime).isoformat(),
            "audit_status": log.audit_status,
            "credited_minutes": log.credited_minutes,
            "codes": log.codes,
            "voided": log.voided_at is not None,
        }
        for log in row.logs.select_related("student").order_by("starttime", "id")
    ]
    # A finding is in at most one work order (the work-order app's one-to-one link row).
    link = getattr(row, "work_order_link", None)
    order = link.order if link is not None else None
    dismissal = (
        AuditLogEntry.objects.filter(
            action="fraud.dismiss", object_type="fraud.finding", object_id=str(row.pk)
        )
        .order_by("-at", "-id")
        .first()
    )
    return {
        **finding_wire(row),
        "explanation": {
            **detector_wire(row.detector),
            "summary": row.summary,
            "summary_en": row.summary_en,
        },
        "evidence": row.evidence,
        "detector_version": row.detector_version,
        "logs": logs,
        "work_order": {"number": order.number, "state": order.state} if order else None,
        "dismissal": (
            {
                "reason": dismissal.reason,
                "by": dismissal.actor_label,
                "at": timezone.localtime(dismissal.at).isoformat(),
            }
            if dismissal
            else None
        ),
    }


def counts_by_detector(
    region: Region | str, first: date, last: date, *, include_dismissed: bool = False
) -> dict[str, int]:
    """How many findings each detector made about schools in ``region`` (a Region, or a code
    prefix) whose day falls in [first, last]; every detector code is present (0 if none).
    Dismissed findings (judged not to be fraud) are left out unless asked for."""
    prefix = region.scope_prefix if isinstance(region, Region) else region
    qs = Finding.objects.filter(region__code__startswith=prefix, day__gte=first, day__lte=last)
    if not include_dismissed:
        qs = qs.exclude(status=FindingStatus.DISMISSED)
    found = dict(qs.values("detector").annotate(n=Count("id")).values_list("detector", "n"))
    return {code: found.get(code, 0) for code in DETECTORS}


def counts_by_status(region: Region | str, first: date, last: date) -> dict[str, int]:
    """Findings in the region and period by status (open, ordered, dismissed)."""
    prefix = region.scope_prefix if isinstance(region, Region) else region
    qs = Finding.objects.filter(Q(region__code__startswith=prefix), day__gte=first, day__lte=last)
    found = dict(qs.values("status").annotate(n=Count("id")).values_list("status", "n"))
    return {status: found.get(status, 0) for status in FindingStatus.values}


def logs_of(row: Finding) -> QuerySet[Any]:
    """The teaching logs a finding's evidence comes from, in time order, with the student,
    coach, car and terminal they name (one query for a page listing them)."""
    return row.logs.select_related("student", "coach", "car", "device").order_by("starttime", "id")


def dismissal_of(row: Finding) -> AuditLogEntry | None:
    """The audit-log row of the finding's dismissal (reason, who, when), if it was dismissed."""
    return (
        AuditLogEntry.objects.filter(
            action="fraud.dismiss", object_type="fraud.finding", object_id=str(row.pk)
        )
        .select_related("actor_user")
        .order_by("-at", "-id")
        .first()
    )


def school_rates(detector: str, first: date, last: date) -> dict[str, float]:
    """Every judged school's rate for a school-level ``detector`` over [first, last], by
    inscode, computed as the detector does (same eligibility, same rate): the province's
    distribution a school's finding is measured against. Empty for another detector code."""
    measure = next((m for m in MEASURES if m.detector == detector), None)
    if measure is None:
        return {}
    thresholds = params.current().schools
    return {
        school.inscode: measure.rate(school)
        for school in loading.schools(first, last)
        if measure.eligible(school, thresholds)
    }
