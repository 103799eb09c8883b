"""Background work of the audit, run by ``jiapei worker``."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from jiapei.audit.services import audit_student
from jiapei.core.actors import Actor
from jiapei.registry.models import Student
from jiapei.training.models import AuditRequest


def drain_requests(*, actor: Actor, limit: int = 50) -> int:
    """Audit the students whose sessions closed (the worker's task). Returns how many.

    Each request is taken with the days it named and deleted in the same transaction as the
    audit's writes, unless a newer upload touched it meanwhile (then it stays for next time).
    """
    requests = list(AuditRequest.objects.order_by("requested_at")[:limit])
    for request in requests:
        days = {date.fromisoformat(d) for d in request.days} if request.days else None
        with transaction.atomic():
            student = Student.objects.select_related("institution").get(pk=request.student_id)
            audit_student(student=student, actor=actor, days=days)
            AuditRequest.objects.filter(pk=request.pk, requested_at=request.requested_at).delete()
    return len(requests)
