"""A threshold change before and after it is made: which students a re-audit would change
(:func:`preview_threshold`, a dry run that writes nothing), then the change with the re-audit
queued for the worker (:func:`apply_threshold`).

A threshold in force from a day can only change the verdicts of sessions on or after that day
(the engine never looks across days), so both look at the students of the scope who trained
since then, and only at those days. The dry run runs the same engine as the audit with the
stored settings plus the proposed one and compares its verdicts with the stored verdicts: what
it lists is what the re-audit applying queues (of the same days) will write.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from jiapei.accounts import access
from jiapei.audit.facts import Interval
from jiapei.audit.loading import other_intervals, sessions_of
from jiapei.audit.models import ThresholdSetting
from jiapei.audit.services.thresholds import _check_scope, set_threshold
from jiapei.audit.services.verdicts import _overrides, run_engine
from jiapei.audit.thresholds import ThresholdOverride, coerce
from jiapei.core import wire as v
from jiapei.core.actors import Actor
from jiapei.core.errors import FieldError
from jiapei.core.wire import Fields, one_of
from jiapei.registry.models import Student
from jiapei.training.models import TeachingLog
from jiapei.training.services.requests import request_audit

# A dry run re-computes every student it lists; beyond this many the page says how many more
# there are rather than keep the regulator waiting (applying re-audits them all).
PREVIEW_LIMIT = 100


@dataclass
class StudentDiff:
    """What re-auditing one student under the proposed setting would change."""

    student: Student
    sessions_changed: int = 0
    minutes_changed: int = 0
    credited_before: int = 0
    credited_after: int = 0
    codes_gained: dict[str, int] = field(default_factory=dict)
    codes_lost: dict[str, int] = field(default_factory=dict)


@dataclass
class Preview:
    """The dry run's answer: the students whose verdicts would change (``changed``), out of
    ``examined`` students re-computed; ``candidates`` trained in the scope since the date
    (more than ``examined`` when the preview stopped at :data:`PREVIEW_LIMIT`)."""

    override: ThresholdOverride
    changed: list[StudentDiff]
    examined: int
    candidates: int

    @property
    def truncated(self) -> bool:
        return self.examined < self.candidates


def _proposal(actor: Actor, data: Mapping[str, Any]) -> ThresholdOverride:
    """The proposed setting, checked as :func:`set_threshold` checks it (fields, then the
    caller's right to set that scope)."""
    access.regulator(actor)
    f = Fields(data)
    kind = f.get("scope_kind", one_of("province", "city", "institution"))
    code = f.get("scope_code")
    name = f.get("field")
    start = f.get("effective_from", v.wire_date)
    value = None
    if name is not None:
        try:
            value = coerce(name, data.get("value"))
        except ValueError as exc:
            f.add(FieldError("value", data.get("value"), str(exc)))
    f.check()
    _check_scope(actor, kind, code)
    return ThresholdOverride(kind, code, name, value, start)


def _candidates(actor: Actor, override: ThresholdOverride) -> QuerySet[Student]:
    """Students of the setting's scope (and the caller's region) who trained on or after its
    first day, in a stable order."""
    students = access.scope(
        actor, Student.objects.all(), region_field="institution__district__code"
    )
    if override.scope_kind == "institution":
        students = students.filter(institution__inscode=override.scope_code)
    else:
        prefix = override.scope_code[:2] if override.scope_kind == "province" else None
        prefix = prefix or override.scope_code[:4]
        students = students.filter(institution__district__code__startswith=prefix)
    since = datetime.combine(override.effective_from, time(), timezone.get_current_timezone())
    trained = TeachingLog.objects.filter(starttime__gte=since).values("student_id")
    return students.filter(pk__in=trained).select_related("institution").order_by("pk")


def _days_since(student_ids: list[int], first: date) -> dict[int, set[date]]:
    """The local days since ``first`` on which each student trained (one row per student and
    day from the database)."""
    zone = timezone.get_current_timezone()
    since = datetime.combine(first, time(), zone)
    days: dict[int, set[date]] = defaultdict(set)
    rows = (
        TeachingLog.objects.filter(student_id__in=student_ids, starttime__gte=since)
        .annotate(day=TruncDate("starttime", tzinfo=zone))
        .values_list("student_id", "day")
        .distinct()
    )
    for student_id, day in rows:
        days[student_id].add(day)
    return days


def _diff(student: Student, days: set[date], overrides: list[ThresholdOverride]) -> StudentDiff:
    sessions, _orphans, stored = sessions_of(student, days)
    others = [Interval(*row) for row in other_intervals(student, sessions)]
    result = run_engine(student, sessions, others, overrides=overrides)
    diff = StudentDiff(student)
    gained: dict[str, int] = defaultdict(int)
    lost: dict[str, int] = defaultdict(int)
    for minute in result.minutes:
        valid, codes = stored.get(minute.id, (None, []))
        if valid != minute.valid or list(codes) != list(minute.codes):
            diff.minutes_changed += 1
            for code in set(minute.codes) - set(codes):
                gained[code] += 1
            for code in set(codes) - set(minute.codes):
                lost[code] += 1
    logs = TeachingLog.objects.in_bulk([s.id for s in result.sessions])
    for verdict in result.sessions:
        log = logs[verdict.id]
        diff.credited_before += log.credited_minutes
        diff.credited_after += verdict.credited_minutes
        old = (log.audit_status, log.credited_minutes, list(log.codes))
        diff.sessions_changed += old != (verdict.status, verdict.credited_minutes, verdict.codes)
    diff.codes_gained, diff.codes_lost = dict(gained), dict(lost)
    return diff


def preview_threshold(
    *, actor: Actor, data: Mapping[str, Any], limit: int = PREVIEW_LIMIT
) -> Preview:
    """Which students re-auditing under the proposed setting (``data`` as for
    :func:`~jiapei.audit.services.thresholds.set_threshold`, without ``effective_to``) would
    change, and how. Raises the same errors as setting it; writes nothing."""
    override = _proposal(actor, data)
    candidates = _candidates(actor, override)
    total = candidates.count()
    students = list(candidates[:limit])
    overrides = [*_overrides(), override]
    days = _days_since([s.pk for s in students], override.effective_from)
    changed = []
    for student in students:
        diff = _diff(student, days[student.pk], overrides)
        if diff.minutes_changed or diff.sessions_changed:
            changed.append(diff)
    return Preview(override, changed, examined=len(students), candidates=total)


def apply_threshold(*, actor: Actor, data: Mapping[str, Any]) -> tuple[ThresholdSetting, int]:
    """Store the setting (:func:`set_threshold`, with its audit-log row) and, in the same
    transaction, queue a re-audit of the days since it takes effect for every student of its
    scope who trained then (``training.AuditRequest``, drained by the worker as every audit
    is, which then re-scans those days for fraud). Returns the setting and the number of
    students queued; a province's change can concern tens of thousands of students, more than
    one request should audit."""
    with transaction.atomic():
        row = set_threshold(actor=actor, data=data)
        override = ThresholdOverride(
            row.scope_kind, row.scope_code, row.field, row.value, row.effective_from
        )
        students = list(_candidates(actor, override).values_list("pk", flat=True))
        days = _days_since(students, row.effective_from)
        for student_id in students:
            request_audit(
                student_id=student_id, days=days[student_id], reason=f"threshold {row.pk}"
            )
    return row, len(students)


def province_code() -> str:
    """The code of the province served: the scope of the province's own settings."""
    return str(settings.JIAPEI_PROVINCE)
