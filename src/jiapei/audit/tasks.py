"""Background work of the audit, run by ``jiapei worker``."""

from __future__ import annotations

from jiapei.audit.services import audit_students
from jiapei.core.actors import Actor
from jiapei.training.models import AuditRequest


def drain_requests(*, actor: Actor, limit: int = 50) -> int:
    """Audit the students whose sessions closed (the worker's task). Returns how many."""
    ids = list(
        AuditRequest.objects.order_by("requested_at").values_list("student_id", flat=True)[:limit]
    )
    if ids:
        audit_students(student_ids=ids, actor=actor)
    return len(ids)
