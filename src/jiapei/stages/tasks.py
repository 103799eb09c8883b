"""Background work of the stage review, run by ``jiapei worker`` after the hours audit."""

from __future__ import annotations

import logging

from django.db.models import Exists, F, OuterRef, Q, Subquery

from jiapei.audit.models import PartResult
from jiapei.core.actors import Actor
from jiapei.core.errors import DomainError
from jiapei.registry.models import Student
from jiapei.stages.models import OPEN_STATUSES, StageReview
from jiapei.stages.services import assemble
from jiapei.training.models import StageRecord

logger = logging.getLogger(__name__)


def due(limit: int = 100) -> list[tuple[int, int]]:
    """(student id, part) pairs to assemble, oldest first within each kind:

    * parts the audit found complete that have no review yet;
    * stage records with no review, or submitted after their review last looked;
    * open reviews whose part was re-audited since they were assembled (fresh figures).
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
    for rows in (completed, submitted, refreshed):
        for student_id, part in rows:
            pairs.setdefault((student_id, part), None)
    return list(pairs)[:limit]


def assemble_due(*, actor: Actor, limit: int = 100) -> int:
    """Assemble every due review (see :func:`due`), one transaction each. Returns how many were
    looked at. A review that cannot be assembled is logged and skipped, so one bad record does
    not stop the worker; it is retried on the next pass."""
    count = 0
    pairs = due(limit)
    students = Student.objects.select_related("institution").in_bulk([s for s, _ in pairs])
    for student_id, part in pairs:
        try:
            assemble(students[student_id], part, actor=actor)
        except DomainError as exc:
            logger.warning("stage review of student %s part %s: %s", student_id, part, exc)
        count += 1
    return count
