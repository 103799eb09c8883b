"""Queueing work for the worker: students to audit (claimed and closed by
``jiapei.audit.tasks``), days to scan for fraud. Ingest fills both inside its transactions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import connection

from jiapei.core import clock
from jiapei.registry.models import Student
from jiapei.training.models import AuditRequest, ScanRequest


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
    now = clock.now()
    pending = set(ScanRequest.objects.filter(day__in=wanted).values_list("day", flat=True))
    if pending:
        ScanRequest.objects.filter(day__in=pending).update(requested_at=now)
    ScanRequest.objects.bulk_create(
        [ScanRequest(day=d) for d in sorted(wanted - pending)], ignore_conflicts=True
    )
    return len(wanted)


def claim_audit_request(*, skip_students: Any = ()) -> AuditRequest | None:
    """The oldest pending request, locked until the caller's transaction ends, or None.
    Requests of students whose stunum is in ``skip_students`` (a list or a ``unit`` subquery
    of backing-off alerts) are left alone.

    On PostgreSQL rows other workers hold are skipped (``SKIP LOCKED``), so several workers
    share the queue without auditing one student twice at once. Call inside a transaction and
    close the request with :func:`close_audit_request` in the same one."""
    # A subquery rather than a join, so FOR UPDATE locks the request row only.
    skipped = Student.objects.filter(stunum__in=skip_students).values("pk")
    pending = AuditRequest.objects.exclude(student_id__in=skipped).order_by("requested_at")
    if connection.features.has_select_for_update_skip_locked:
        pending = pending.select_for_update(skip_locked=True)
    return pending.first()


def close_audit_request(*, request: AuditRequest) -> None:
    """Take a claimed request off the queue, in the transaction that claimed it."""
    request.delete()
