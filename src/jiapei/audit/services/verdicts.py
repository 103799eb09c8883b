"""Running the hours audit and storing its verdicts.

``audit_student`` loads one student's facts, runs the pure engine and writes the verdicts on
the minute records, teaching logs (both training's rows, written through
:mod:`jiapei.training.services.verdicts`) and part results, in one transaction with an
audit-log row.
Re-running it gives the same verdicts (the engine is deterministic); what changed is reported,
which is how a threshold change is reviewed before anyone relies on it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jiapei.audit import engine, syllabus
from jiapei.audit.facts import Interval, SessionFact, StudentAudit
from jiapei.audit.loading import other_intervals, sessions_of, student_fact
from jiapei.audit.models import PartResult, ThresholdSetting
from jiapei.audit.rules.part import part_progress
from jiapei.audit.thresholds import ThresholdOverride, Thresholds, resolve
from jiapei.core import clock, progress
from jiapei.core import services as trail
from jiapei.core.actors import Actor
from jiapei.registry.models import Student
from jiapei.training.models import TeachingLog
from jiapei.training.services.verdicts import store_minute_verdicts, store_session_verdicts


@dataclass
class StudentChange:
    """What one audit run changed for one student."""

    stunum: str
    minutes: int = 0
    minutes_changed: int = 0
    sessions_changed: int = 0
    credited_before: int = 0
    credited_after: int = 0
    codes_gained: dict[str, int] = field(default_factory=dict)


@dataclass
class AuditSummary:
    students: int = 0
    minutes: int = 0
    sessions: int = 0
    changes: list[StudentChange] = field(default_factory=list)


@cache
def syllabus_overrides() -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The province's syllabus adoption dates and data overrides (JIAPEI_SYLLABUS_FILE)."""
    path = settings.JIAPEI_SYLLABUS_FILE
    if not path:
        return None, {}
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data.get("adopted"), data.get("overrides", {})


def syllabus_for(student: Student) -> syllabus.Syllabus:
    adopted, overrides = syllabus_overrides()
    version = syllabus.version_for(student.applydate, adopted)
    return syllabus.load(version, overrides.get(version))


def _overrides() -> list[ThresholdOverride]:
    return [
        ThresholdOverride(
            s.scope_kind, s.scope_code, s.field, s.value, s.effective_from, s.effective_to
        )
        for s in ThresholdSetting.objects.order_by("id")
    ]


def run_engine(
    student: Student,
    sessions: list[SessionFact],
    others: list[Interval],
    *,
    overrides: list[ThresholdOverride] | None = None,
) -> StudentAudit:
    """Run the engine with the thresholds in force on each day.

    Day, session and minute rules never look across days, so days that share thresholds are
    audited together. Part totals are not taken from here: they are summed over every stored
    session afterwards (:func:`_store_parts`), because a run may cover only some days.
    ``overrides`` replaces the stored threshold settings (a dry run of a proposed one).
    """
    fact = student_fact(student)
    plan = syllabus_for(student)
    overrides = _overrides() if overrides is None else overrides
    institution = student.institution
    by_thresholds: dict[Thresholds, list[SessionFact]] = defaultdict(list)
    for session in sessions:
        day = timezone.localtime(session.start).date()
        thresholds = resolve(
            overrides,
            province=settings.JIAPEI_PROVINCE,
            city=institution.district_id[:4] + "00",
            inscode=institution.inscode,
            on=day,
        )
        by_thresholds[thresholds].append(session)
    if not by_thresholds:
        by_thresholds[Thresholds()] = []
    runs = [
        engine.audit_student(fact, group, thresholds=t, syllabus=plan, others=others)
        for t, group in by_thresholds.items()
    ]
    minutes = [v for run in runs for v in run.minutes]
    verdicts = [v for run in runs for v in run.sessions]
    version = "+".join(sorted({run.rule_version for run in runs}))
    return StudentAudit(student.stunum, version, minutes, verdicts, [])


def audit_student(
    *, student: Student, actor: Actor, days: set[date] | None = None
) -> StudentChange:
    """Audit one student's hours and store the verdicts. Returns what changed.

    ``days`` limits the run to the sessions of those local days (what a newly closed session
    can affect); ``None`` audits the whole history. Part totals always cover every session.
    """
    sessions, orphans, stored = sessions_of(student, days)
    others = [Interval(*row) for row in other_intervals(student, sessions)]
    result = run_engine(student, sessions, others)
    change = StudentChange(student.stunum, minutes=len(result.minutes) + len(orphans))
    now = clock.now()
    with transaction.atomic():
        _store_minutes(result, orphans, stored, change)
        _store_sessions(result, now, change)
        _store_parts(student, result.rule_version, now)
        trail.record(
            actor=actor,
            action="audit.run",
            obj=student,
            after={
                "rule_version": result.rule_version,
                "days": sorted(d.isoformat() for d in days) if days is not None else "all",
                "credited": change.credited_after,
                "minutes_changed": change.minutes_changed,
                "sessions_changed": change.sessions_changed,
            },
        )
    return change


def _store_minutes(
    result: StudentAudit,
    orphans: list[int],
    stored: dict[int, tuple[bool | None, list[str]]],
    change: StudentChange,
) -> None:
    """Write changed minute verdicts, one UPDATE per distinct verdict (most minutes share
    the same one, so this is a handful of statements rather than one per minute)."""
    verdicts = {v.id: (v.valid, v.codes) for v in result.minutes}
    verdicts.update({pk: (False, ["NO_TEACHING_LOG"]) for pk in orphans})
    current = [(pk, *stored[pk]) for pk in verdicts if pk in stored]
    groups: dict[tuple[bool, tuple[str, ...]], list[int]] = defaultdict(list)
    for pk, valid, codes in current:
        new_valid, new_codes = verdicts[pk]
        if valid != new_valid or (codes or []) != new_codes:
            for code in set(new_codes) - set(codes or []):
                change.codes_gained[code] = change.codes_gained.get(code, 0) + 1
            groups[(new_valid, tuple(new_codes))].append(pk)
    for (verdict, reasons), ids in groups.items():
        store_minute_verdicts(ids=ids, valid=verdict, codes=list(reasons))
    change.minutes_changed = sum(len(ids) for ids in groups.values())


def _store_sessions(result: StudentAudit, now: Any, change: StudentChange) -> None:
    logs = TeachingLog.objects.in_bulk([v.id for v in result.sessions])
    dirty = []
    for verdict in result.sessions:
        log = logs[verdict.id]
        change.credited_before += log.credited_minutes
        change.credited_after += verdict.credited_minutes
        new = (
            verdict.status,
            verdict.total_minutes,
            verdict.valid_minutes,
            verdict.credited_minutes,
            round(verdict.mileage, 2),
            verdict.codes,
        )
        old = (
            log.audit_status,
            log.total_minutes,
            log.valid_minutes,
            log.credited_minutes,
            round(float(log.credited_mileage), 2),
            log.codes,
        )
        if new != old or log.rule_version != result.rule_version:
            change.sessions_changed += new != old
            (
                log.audit_status,
                log.total_minutes,
                log.valid_minutes,
                log.credited_minutes,
                log.credited_mileage,
                log.codes,
            ) = new
            log.rule_version, log.audited_at = result.rule_version, now
            dirty.append(log)
    store_session_verdicts(logs=dirty)


def _store_parts(student: Student, rule_version: str, now: Any) -> None:
    """Sum every stored session of the student into per-part progress against the syllabus."""
    plan = syllabus_for(student)
    class_plan = plan.plan(student.traintype)
    if class_plan is None:
        return
    credited: dict[tuple[int, int], int] = defaultdict(int)
    mileage: dict[int, float] = defaultdict(float)
    rows = TeachingLog.objects.filter(student=student).values_list(
        "part", "mode", "credited_minutes", "credited_mileage"
    )
    for part, mode, minutes, km in rows:
        credited[(part, mode)] += minutes
        mileage[part] += float(km)
    results = [
        PartResult(
            student=student,
            part=progress.part,
            required={str(k): v for k, v in progress.required.items()},
            credited={str(k): v for k, v in progress.credited.items()},
            mileage_required=progress.mileage_required,
            mileage=round(progress.mileage, 3),
            complete=progress.complete,
            remaining=progress.remaining,
            syllabus=plan.version,
            rule_version=rule_version,
            audited_at=now,
        )
        for progress in part_progress(class_plan, credited, mileage)
    ]
    # Replaced whole, in two statements: nothing refers to these rows by id, and the ORM's
    # bulk_update of JSON columns costs more than rewriting four rows.
    PartResult.objects.filter(student=student).delete()
    PartResult.objects.bulk_create(results)


def audit_students(
    *, student_ids: Iterable[int], actor: Actor, days: dict[int, set[date]] | None = None
) -> AuditSummary:
    """Audit several students, one transaction each; ``days`` limits some to certain days."""
    summary = AuditSummary()
    ids = list(student_ids)
    students = Student.objects.filter(pk__in=ids).select_related("institution")
    for student in progress.bar(students, desc="students audited", total=len(ids), unit="student"):
        change = audit_student(student=student, actor=actor, days=(days or {}).get(student.pk))
        summary.students += 1
        summary.minutes += change.minutes
        summary.changes.append(change)
    summary.sessions = sum(c.sessions_changed for c in summary.changes)
    return summary
