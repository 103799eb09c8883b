"""Scanning stored training data with the detectors and storing what they find.

A scan loads the facts (:mod:`jiapei.fraud.loading`), runs the detectors and upserts each draft
as a :class:`Finding` by its key, in one transaction with one audit-log row. Scanning the same
data again therefore updates findings (severity, explanation, evidence, logs) without adding a
second row and without touching what a regulator decided (the status). A finding seen for the
first time is handed to the handlers registered with :func:`on_new_finding`: the work-order
service, which opens a work order if the finding warrants one. The composition root
(``jiapei.cli``) registers it, since fraud sits below workorders and must not import it.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q

from jiapei.accounts import access
from jiapei.core import services as trail
from jiapei.core.actors import Actor
from jiapei.core.errors import Conflict, FieldError, NotFound
from jiapei.fraud import detectors as registry
from jiapei.fraud import loading, params
from jiapei.fraud.detectors.base import Draft, ScanContext
from jiapei.fraud.models import Finding, FindingStatus
from jiapei.registry.models import Institution, Personnel, Student, TrainingCar
from jiapei.training.models import TeachingLog

logger = logging.getLogger(__name__)

Detector = Callable[[ScanContext], list[Draft]]
# handler(finding, actor=actor) -> what it opened for the finding (e.g. a work order), or None.
NewFindingHandler = Callable[..., object | None]

_new_finding_handlers: list[NewFindingHandler] = []


def on_new_finding(handler: NewFindingHandler) -> None:
    """Call ``handler(finding, actor=actor)`` for every finding a scan stores for the first time,
    inside the scan's transaction (a handler that raises rolls the scan back). A handler that
    returns something other than None has taken the finding on, and an open finding becomes
    "ordered". Handlers must be idempotent; registering the same one again changes nothing."""
    if handler not in _new_finding_handlers:
        _new_finding_handlers.append(handler)


@dataclass
class ScanResult:
    """What one scan stored: every finding it produced and which of them are new."""

    findings: list[Finding] = field(default_factory=list)
    created: list[Finding] = field(default_factory=list)
    skipped: int = 0  # drafts naming no school we know (nothing to scope them by)

    @property
    def by_detector(self) -> dict[str, int]:
        return dict(sorted(Counter(f.detector for f in self.findings).items()))

    def extend(self, other: ScanResult) -> None:
        self.findings += other.findings
        self.created += other.created
        self.skipped += other.skipped


def scan_day(
    *, actor: Actor, day: date, detectors: Sequence[Detector] | None = None
) -> list[Finding]:
    """Run every day detector over the sessions of local ``day``; store and return findings."""
    return scan_day_result(actor=actor, day=day, detectors=detectors).findings


def scan_period(
    *, actor: Actor, first: date, last: date, detectors: Sequence[Detector] | None = None
) -> list[Finding]:
    """Run the school-level detectors over [first, last]; store and return findings."""
    return scan_period_result(actor=actor, first=first, last=last, detectors=detectors).findings


def scan_day_result(
    *, actor: Actor, day: date, detectors: Sequence[Detector] | None = None
) -> ScanResult:
    """:func:`scan_day` with the split between new and updated findings.

    The day is scanned city by city (:func:`loading.day_context` says why that loses nothing),
    so the memory a scan needs is bounded by the busiest city rather than by the province.
    Drafts are merged by key before anything is stored, still in one transaction.
    """
    chosen = registry.DAY_DETECTORS if detectors is None else detectors
    settings_now = params.current()
    with transaction.atomic():
        merged: dict[str, tuple[Draft, str]] = {}
        for city in loading.cities_of_day(day):
            context = loading.day_context(day, settings_now, city)
            merged.update((draft.key, (draft, version)) for draft, version in _run(chosen, context))
        drafts = [merged[key] for key in sorted(merged)]
        result = _store(drafts, actor=actor, period_end=None)
        _record(actor, f"day:{day.isoformat()}", {"day": day.isoformat()}, drafts, result)
    return result


def scan_period_result(
    *, actor: Actor, first: date, last: date, detectors: Sequence[Detector] | None = None
) -> ScanResult:
    """:func:`scan_period` with the split between new and updated findings."""
    if last < first:
        raise FieldError("until", last.isoformat(), "结束日早于开始日 (ends before it starts)")
    chosen = registry.PERIOD_DETECTORS if detectors is None else detectors
    with transaction.atomic():
        context = loading.period_context(first, last, params.current())
        drafts = _run(chosen, context)
        result = _store(drafts, actor=actor, period_end=last)
        period = {"first": first.isoformat(), "last": last.isoformat()}
        _record(actor, f"period:{first.isoformat()}..{last.isoformat()}", period, drafts, result)
    return result


def _run(detectors: Sequence[Detector], context: ScanContext) -> list[tuple[Draft, str]]:
    """Every detector's drafts with the detector module's ``VERSION`` (if it declares one).

    One finding per key: a detector that reports the same thing twice keeps the last report.
    """
    unique: dict[str, tuple[Draft, str]] = {}
    for detect in detectors:
        module = sys.modules.get(getattr(detect, "__module__", "") or "")
        version = str(getattr(module, "VERSION", ""))[:32]
        for draft in detect(context):
            unique[draft.key] = (draft, version)
    return list(unique.values())


def _record(
    actor: Actor,
    object_id: str,
    scope: dict[str, str],
    drafts: list[tuple[Draft, str]],
    result: ScanResult,
) -> None:
    trail.record_event(
        actor=actor,
        action="fraud.scan",
        object_type="fraud.scan",
        object_id=object_id,
        after={
            **scope,
            "drafts": len(drafts),
            "stored": len(result.findings),
            "created": len(result.created),
            "updated": len(result.findings) - len(result.created),
            "skipped": result.skipped,
            "by_detector": result.by_detector,
        },
    )


@dataclass
class _Refs:
    """The rows drafts name, read in one query per kind."""

    logs: dict[str, tuple[int, int, int]]  # rnum -> (log id, institution id, platform id)
    schools: dict[Any, Institution]  # inscode and id -> institution
    students: dict[str, int]
    coaches: dict[str, int]
    cars: dict[str, int]


def _refs(drafts: list[Draft]) -> _Refs:
    rnums = {r for d in drafts for r in d.logs}
    logs = {
        rnum: (pk, ins, plat)
        for rnum, pk, ins, plat in TeachingLog.objects.filter(rnum__in=rnums).values_list(
            "rnum", "id", "institution_id", "platform_id"
        )
    }
    inscodes = {d.inscode for d in drafts if d.inscode}
    ids = {ins for _, ins, _ in logs.values()}
    schools: dict[Any, Institution] = {}
    for school in Institution.objects.filter(_in("inscode", inscodes) | _in("id", ids)).only(
        "id", "inscode", "district_id", "platform_id"
    ):
        schools[school.inscode] = school
        schools[school.pk] = school

    def numbers(model: Any, column: str, values: set[str]) -> dict[str, int]:
        if not values:
            return {}
        return dict(model.objects.filter(**{f"{column}__in": values}).values_list(column, "id"))

    return _Refs(
        logs=logs,
        schools=schools,
        students=numbers(Student, "stunum", {d.stunum for d in drafts if d.stunum}),
        coaches=numbers(Personnel, "number", {d.coach for d in drafts if d.coach}),
        cars=numbers(TrainingCar, "carnum", {d.car for d in drafts if d.car}),
    )


def _in(column: str, values: set[Any]) -> Q:
    return Q(**{f"{column}__in": values}) if values else Q(pk__in=[])


def _store(drafts: list[tuple[Draft, str]], *, actor: Actor, period_end: date | None) -> ScanResult:
    """Upsert the drafts by key; call inside the scan's transaction. ``period_end`` is the last
    day of a period scan (a school finding's period, if its detector left it empty)."""
    result = ScanResult()
    if not drafts:
        return result
    refs = _refs([d for d, _ in drafts])
    keys = [d.key for d, _ in drafts]
    existing = {f.key: f for f in Finding.objects.select_for_update().filter(key__in=keys)}
    for draft, version in drafts:
        log_refs = [refs.logs[r] for r in draft.logs if r in refs.logs]
        school = refs.schools.get(draft.inscode) if draft.inscode else None
        if school is None and log_refs:
            school = refs.schools.get(log_refs[0][1])
        if school is None:
            logger.warning("fraud finding %s names no known school; not stored", draft.key)
            result.skipped += 1
            continue
        platform_id = log_refs[0][2] if log_refs else school.platform_id
        values: dict[str, Any] = {
            "detector": draft.detector,
            "severity": draft.severity,
            "region_id": school.district_id,
            "institution_id": school.pk,
            "platform_id": platform_id,
            "student_id": refs.students.get(draft.stunum) if draft.stunum else None,
            "coach_id": refs.coaches.get(draft.coach) if draft.coach else None,
            "car_id": refs.cars.get(draft.car) if draft.car else None,
            "day": draft.day,
            "period_end": draft.period_end or period_end,
            "score": draft.score,
            "summary": draft.summary,
            "summary_en": draft.summary_en,
            "evidence": draft.evidence,
            "detector_version": version,
        }
        finding = existing.get(draft.key)
        created = finding is None
        if finding is None:
            # get_or_create, not create: a scan of the same day running in another worker may
            # have stored the key meanwhile (it waits for that transaction, then updates).
            finding, created = Finding.objects.get_or_create(key=draft.key, defaults=values)
        if not created:
            for name, value in values.items():
                setattr(finding, name, value)
            finding.save()
        finding.logs.set([pk for pk, _, _ in log_refs])
        result.findings.append(finding)
        if created:
            result.created.append(finding)
            _hand_on(finding, actor)
    return result


def _hand_on(finding: Finding, actor: Actor) -> None:
    """Give a new finding to the :func:`on_new_finding` handlers."""
    for handler in _new_finding_handlers:
        taken = handler(finding, actor=actor)
        if taken is not None and finding.status == FindingStatus.OPEN:
            finding.status = FindingStatus.ORDERED
            finding.save(update_fields=["status", "updated_at"])


def dismiss(*, actor: Actor, finding_id: int, reason: str) -> Finding:
    """A regulator whose region covers the finding's school dismisses it as not fraud, with a
    reason (kept in the audit log). A finding outside the region is not admitted to exist; one
    already dismissed, or handed to a work order (decided there), is refused with Conflict."""
    user = access.require(actor, access.Action.DISMISS_FINDINGS)
    reason = (reason or "").strip()
    if not reason:
        raise FieldError("reason", reason, "须说明排除原因 (a reason is required)")
    with transaction.atomic():
        finding = Finding.objects.select_for_update().filter(pk=finding_id).first()
        if finding is None or not access.covers(user, finding.region_id):
            raise NotFound(
                f"finding {finding_id}: 不存在 (no such finding)", field="id", value=finding_id
            )
        if finding.status != FindingStatus.OPEN:
            raise Conflict(
                f"finding {finding_id}: 状态为{finding.get_status_display()}，不能排除 "
                f"(status is {finding.status}; only open findings can be dismissed)",
                field="id",
                value=finding_id,
            )
        before = trail.snapshot(finding)
        finding.status = FindingStatus.DISMISSED
        finding.save(update_fields=["status", "updated_at"])
        trail.record(
            actor=actor,
            action="fraud.dismiss",
            obj=finding,
            before=before,
            after=trail.snapshot(finding),
            reason=reason,
        )
    return finding


def mark_ordered(*, actor: Actor, finding: Finding, order_number: str) -> Finding:
    """Record that work order ``order_number`` now handles ``finding``: its status becomes
    "ordered", with one audit-log row (``fraud.order``, the order's number as the reason), in
    one transaction (the caller's, if any). A finding already ordered is left as it is; a
    dismissed one is a :class:`Conflict` (a regulator decided it is not fraud)."""
    with transaction.atomic():
        row = Finding.objects.select_for_update().get(pk=finding.pk)
        if row.status == FindingStatus.ORDERED:
            return row
        if row.status == FindingStatus.DISMISSED:
            raise Conflict(
                f"finding {row.pk}: 已排除，不能转为工单 (dismissed; no work order for it)",
                field="id",
                value=row.pk,
            )
        before = trail.snapshot(row)
        row.status = FindingStatus.ORDERED
        row.save(update_fields=["status", "updated_at"])
        trail.record(
            actor=actor,
            action="fraud.order",
            obj=row,
            before=before,
            after=trail.snapshot(row),
            reason=order_number,
        )
        return row
