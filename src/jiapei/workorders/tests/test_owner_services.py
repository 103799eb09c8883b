"""Work orders change other apps' rows only through their owners' services: training voids the
teaching logs, fraud marks the finding ordered; each write leaves its own audit-log row."""

from __future__ import annotations

import pytest
from django.db import transaction

from jiapei.core import clock
from jiapei.core.errors import Conflict
from jiapei.core.models import AuditLogEntry
from jiapei.fraud import services as fraud_services
from jiapei.training.models import TeachingLog
from jiapei.training.services import voiding
from jiapei.workorders.tests.factories import WORKER, finding, session


def test_voiding_sets_the_log_once_and_records_who_did_it(tp, school, ground):
    log = TeachingLog.objects.get(rnum=session(tp, school, 1, length=20))
    first = clock.now()

    [voided] = voiding.void_logs(actor=WORKER, logs=[log], reason="工单GD1：代培" * 40, at=first)
    assert voided.void_reason == ("工单GD1：代培" * 40)[:200]
    # A second decision on the same log (the in-memory row is stale) leaves the first standing.
    stale = TeachingLog.objects.get(pk=log.pk)
    stale.voided_at = None
    assert voiding.void_logs(actor=WORKER, logs=[stale], reason="another", at=clock.now()) == []

    log.refresh_from_db()
    assert (log.voided_at, log.void_reason) == (first, ("工单GD1：代培" * 40)[:200])
    [entry] = AuditLogEntry.objects.filter(action="training.void", object_id=str(log.pk))
    assert entry.actor_label == WORKER.label
    assert entry.before == {"voided_at": None, "void_reason": ""}
    assert entry.after == {"voided_at": first.isoformat(), "void_reason": log.void_reason}


def test_a_finding_is_marked_ordered_once_and_never_after_dismissal(tp, school, ground):
    rnum = session(tp, school, 1, length=20)
    row = finding([rnum])
    with transaction.atomic():
        fraud_services.mark_ordered(actor=WORKER, finding=row, order_number="GD1")
        again = fraud_services.mark_ordered(actor=WORKER, finding=row, order_number="GD2")
    assert again.status == "ordered"
    [entry] = AuditLogEntry.objects.filter(action="fraud.order", object_id=str(row.pk))
    assert (entry.reason, entry.before["status"], entry.after["status"]) == (
        "GD1",
        "open",
        "ordered",
    )

    dismissed = finding([rnum], detector="FACE_LOW")
    dismissed.status = "dismissed"
    dismissed.save()
    with pytest.raises(Conflict, match="dismissed"), transaction.atomic():
        fraud_services.mark_ordered(actor=WORKER, finding=dismissed, order_number="GD3")
    dismissed.refresh_from_db()
    assert dismissed.status == "dismissed"
