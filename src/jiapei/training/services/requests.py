"""Queueing work for the worker: students to audit, days to scan for fraud."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.utils import timezone

from jiapei.training.models import AuditRequest, ScanRequest


def request_audit(student_id: int, days: Iterable[date], reason: str) -> None:
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


def request_scans(days: Iterable[date]) -> int:
    """File a fraud-scan request for each local day (or touch the pending one). Returns how
    many days.

    Call inside the transaction that changed the days' data, so the worker that drains the
    request (``fraud.tasks.scan_due``) sees the change. Concurrent callers may file the same day:
    the unique ``day`` makes the second insert a no-op.
    """
    wanted = set(days)
    if not wanted:
        return 0
    now = timezone.now()
    pending = set(ScanRequest.objects.filter(day__in=wanted).values_list("day", flat=True))
    if pending:
        ScanRequest.objects.filter(day__in=pending).update(requested_at=now)
    ScanRequest.objects.bulk_create(
        [ScanRequest(day=d) for d in sorted(wanted - pending)], ignore_conflicts=True
    )
    return len(wanted)
