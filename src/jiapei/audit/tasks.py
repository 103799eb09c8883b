"""Background work of the audit, run by ``jiapei worker``."""

from __future__ import annotations

from datetime import date
from functools import partial

from django.db import transaction

from jiapei.audit.services import audit_student
from jiapei.core import alerts
from jiapei.core.actors import Actor
from jiapei.registry.models import Student
from jiapei.training.models import AuditRequest
from jiapei.training.queries import session_days
from jiapei.training.services.requests import (
    claim_audit_request,
    close_audit_request,
    request_scans,
)

# The operational-alert task name of a student's audit (the unit is the student's stunum).
TASK = "audit"


def drain_requests(*, actor: Actor, limit: int = 50) -> int:
    """Audit the students whose sessions closed (the worker's task). Returns how many requests
    were handled, audited or failed.

    Each request is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` (on PostgreSQL) and deleted
    in the same transaction as the audit's writes, so several workers share the queue without
    auditing one student twice at once; an upload that names the student meanwhile waits for
    that transaction and then files a fresh request.

    The days audited are then queued for the fraud scan (``training.ScanRequest``, drained by
    :mod:`jiapei.fraud.tasks`) in the same transaction: the request's days, or every local day
    of the student's sessions when the request covers the whole history.

    Each student is one unit (:func:`jiapei.core.alerts.run_unit`, unit = the stunum): if the
    audit raises, its writes are rolled back, the request stays queued and an operational alert
    records the failure; the student is skipped until the alert's retry time, and the others go
    on.
    """
    done = 0
    while done < limit:
        with transaction.atomic():
            request = claim_audit_request(skip_students=alerts.backing_off(TASK))
            if request is None:
                break
            # The stunum names the unit; the student is loaded inside it, so even a student row
            # that fails to load stops only its own audit.
            stunum = Student.objects.values_list("stunum", flat=True).get(pk=request.student_id)
            alerts.run_unit(TASK, stunum, partial(_audit, actor, request))
        done += 1
    return done


def _audit(actor: Actor, request: AuditRequest) -> None:
    student = Student.objects.select_related("institution").get(pk=request.student_id)
    days = {date.fromisoformat(d) for d in request.days} if request.days else None
    audit_student(student=student, actor=actor, days=days)
    if days is None:
        days = session_days(student)
    request_scans(days)
    close_audit_request(request=request)
