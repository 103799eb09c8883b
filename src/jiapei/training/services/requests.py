"""Queueing students for audit (the worker drains the queue)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from jiapei.training.models import AuditRequest


def request_audit(*, student_id: int, days: Iterable[date], reason: str) -> None:
    """Ask for the student's ``days`` to be audited. Call inside the caller's transaction."""
    wanted = {d.isoformat() for d in days}
    request = AuditRequest.objects.select_for_update().filter(student_id=student_id).first()
    if request is None:
        AuditRequest.objects.create(student_id=student_id, reason=reason, days=sorted(wanted))
        return
    if request.days:  # an empty list already means "everything"
        request.days = sorted(set(request.days) | wanted)
    request.reason = reason
    request.save(update_fields=["days", "reason", "requested_at"])
