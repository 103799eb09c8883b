"""Background work of the stage review, run by ``jiapei worker`` after the hours audit."""

from __future__ import annotations

import logging
from datetime import date
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery

from jiapei.audit.models import PartResult
from jiapei.core import alerts, clock
from jiapei.core.actors import Actor
from jiapei.core.errors import DomainError
from jiapei.registry.models import Student
from jiapei.stages.models import OPEN_STATUSES, StageReview
from jiapei.stages.services import assemble
from jiapei.training.models import StageRecord, TeachingLog
from jiapei.training.services.requests import request_scans

logger = logging.getLogger(__name__)

# The operational-alert task name of the stage assembly.
TASK = "stages"


def due(limit: int = 100) -> list[tuple[int, int]]:
    """(student id, part) pairs to assemble, oldest first within each kind:

    * parts the audit found complete that have no review yet;
    * stage records with no review, or submitted after their review last looked;
    * open reviews whose part was re-audited since they were assembled (fresh figures);
    * for transition students (enrolled before the cut-over), parts with some credited minutes
      and no review: they are pushed without the syllabus minimums (seed 000 §三(四)), so
      ``PartResult.complete`` is not waited for.
    """
    review = StageReview.objects.filter(student=OuterRef("student"), part=OuterRef("part"))
    completed = (
        PartResult.objects.filter(complete=True)
        .exclude(Exists(review))
        .order_by("audited_at")
        .values_list("student_id", "part")[:limit]
    )
    by_subject = StageReview.objects.filter(
        student=OuterRef("student"), part=OuterRef("subject")
    ).values("stage_seen_at")[:1]
    submitted = (
        StageRecord.objects.annotate(
            has_review=Exists(
                StageReview.objects.filter(student=OuterRef("student"), part=OuterRef("subject"))
            ),
            seen=Subquery(by_subject),
        )
        .filter(Q(has_review=False) | Q(seen__isnull=True) | Q(seen__lt=F("submitted_at")))
        .order_by("submitted_at")
        .values_list("student_id", "subject")[:limit]
    )
    audited = PartResult.objects.filter(student=OuterRef("student"), part=OuterRef("part")).values(
        "audited_at"
    )[:1]
    refreshed = (
        StageReview.objects.filter(status__in=OPEN_STATUSES)
        .annotate(audited=Subquery(audited))
        .filter(
            Q(audit_seen_at__isnull=True, audited__isnull=False) | Q(audited__gt=F("audit_seen_at"))
        )
        .order_by("id")
        .values_list("student_id", "part")[:limit]
    )
    pairs: dict[tuple[int, int], None] = {}
    for rows in (completed, submitted, refreshed, _transition_trained(review, limit)):
        for student_id, part in rows:
            pairs.setdefault((student_id, part), None)
    return list(pairs)[:limit]


def _transition_trained(review: Any, limit: int) -> Any:
    """Incomplete parts of transition students in which some minutes were credited. The
    credited figures live in JSON, so "trained in" is asked of the teaching logs instead,
    which reads the same on SQLite and PostgreSQL."""
    cutover = settings.JIAPEI_STAGE_TRANSITION_BEFORE
    if not cutover:
        return []
    credited = TeachingLog.objects.filter(
        student=OuterRef("student"), part=OuterRef("part"), credited_minutes__gt=0
    )
    return (
        PartResult.objects.filter(
            complete=False, student__applydate__lt=date.fromisoformat(cutover)
        )
        .filter(Exists(credited))
        .exclude(Exists(review))
        .order_by("audited_at")
        .values_list("student_id", "part")[:limit]
    )


def assemble_due(*, actor: Actor, limit: int = 100) -> int:
    """Assemble every due review (see :func:`due`), each one unit in its own savepoint
    (:func:`jiapei.core.alerts.run_unit`, unit ``<stunum> part <n>``). Returns how many were
    looked at. A review the rules refuse (a :class:`DomainError`) is logged and retried on the
    next pass; one that raises anything else is rolled back, recorded as an operational alert
    and skipped until the alert's retry time, so one bad record never stops the others."""
    count = 0
    pairs = due(limit)
    stunums = dict(Student.objects.filter(pk__in=[s for s, _ in pairs]).values_list("pk", "stunum"))
    waiting = {row["unit"] for row in alerts.backing_off(TASK)}
    for student_id, part in pairs:
        unit = f"{stunums[student_id]} part {part}"
        if unit in waiting:
            continue
        alerts.run_unit(TASK, unit, partial(_assemble, actor, student_id, part))
        count += 1
    if pairs:
        # Reviews assembled today are what STAGE_BURST compares the student's last days with:
        # scan today, whether or not any session was uploaded today.
        with transaction.atomic():
            request_scans({clock.today()})
    return count


def _assemble(actor: Actor, student_id: int, part: int) -> None:
    student = Student.objects.select_related("institution").get(pk=student_id)
    try:
        assemble(actor=actor, student=student, part=part)
    except DomainError as exc:
        logger.warning("stage review of student %s part %s: %s", student_id, part, exc)
