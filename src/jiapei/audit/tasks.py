"""Background work of the audit, run by ``jiapei worker``."""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction
from django.utils.timezone import localtime

from jiapei.audit.services import audit_student
from jiapei.core.actors import Actor
from jiapei.registry.models import Student
from jiapei.training.models import AuditRequest, TeachingLog
from jiapei.training.services.requests import request_scans


def drain_requests(*, actor: Actor, limit: int = 50) -> int:
    """Audit the students whose sessions closed (the worker's task). Returns how many.

    Each request is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` (on PostgreSQL) and deleted
    in the same transaction as the audit's writes, so several workers share the queue without
    auditing one student twice at once; an upload that names the student meanwhile waits for
    that transaction and then files a fresh request.

    The days audited are then queued for the fraud scan (``training.ScanRequest``, drained by
    :mod:`jiapei.fraud.tasks`) in the same transaction: the request's days, or every local day
    of the student's sessions when the request covers the whole history.
    """
    done = 0
    while done < limit:
        with transaction.atomic():
            pending = AuditRequest.objects.order_by("requested_at")
            if connection.features.has_select_for_update_skip_locked:
                pending = pending.select_for_update(skip_locked=True)
            request = pending.first()
            if request is None:
                break
            days = {date.fromisoformat(d) for d in request.days} if request.days else None
            student = Student.objects.select_related("institution").get(pk=request.student_id)
            audit_student(student=student, actor=actor, days=days)
            if days is None:
                starts = TeachingLog.objects.filter(student=student).values_list(
                    "starttime", flat=True
                )
                days = {localtime(at).date() for at in starts}
            request_scans(days)
            request.delete()
        done += 1
    return done
