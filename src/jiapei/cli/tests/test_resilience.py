"""The worker survives bad rows and failing units (issue 18): each student's audit, each scan
day and each outbox message is its own unit; a failure is rolled back, recorded as an
operational alert with its traceback, backed off, and the others go on. ``jiapei doctor``
lists the poisoned rows and repairs them, and the next pass closes the alert.

SQLite stores the poisoned values the issue found (a log ``mileage`` of 1e20), which then break
every read of the row; PostgreSQL refuses those but keeps ``NaN`` in a numeric column, so there
the audit of the student whose log holds it is made to fail the way SQLite's read does.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from jiapei.audit import tasks as audit_tasks
from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.core.models import AuditLogEntry, OperationalAlert
from jiapei.fraud import services as fraud_services
from jiapei.fraud.tests.conftest import DAY, at
from jiapei.outbox.models import Destination, MessageStatus, OutboxMessage
from jiapei.outbox.services import enqueue
from jiapei.registry.models import Student, TeachingArea, TimingPlatform
from jiapei.registry.services import review_area
from jiapei.testing import factories as f
from jiapei.testing.fixtures import School
from jiapei.testing.sessions import ground, play_session
from jiapei.training.models import AuditRequest, ScanRequest, TeachingLog
from jiapei.training.services.requests import request_scans

__all__ = ["ground"]  # the fixture, for pytest

SQLITE = connection.vendor == "sqlite"


def worker() -> str:
    out = io.StringIO()
    call_command("worker", once=True, stdout=out)
    return out.getvalue()


def doctor(*args: str) -> tuple[str, str | None]:
    """Run ``jiapei doctor``; returns its output and its error (None when it exited 0)."""
    out = io.StringIO()
    try:
        call_command("doctor", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), str(exc)
    return out.getvalue(), None


def later(monkeypatch: pytest.MonkeyPatch, **delta: float) -> None:
    """Move the platform's clock to ``delta`` after the real time (past a unit's backoff); the
    clock ticks on from there, and the real one is back after the test."""
    clock.freeze(datetime.now(UTC) + timedelta(**delta), tick=True)


@pytest.fixture(autouse=True)
def _real_clock_after_each_test() -> Iterator[None]:
    yield
    clock.unfreeze()


def poison_log(rnum: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Store an impossible mileage in a teaching log, past the ORM's validation."""
    table = TeachingLog._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET mileage = %s WHERE rnum = %s",  # noqa: S608
            [1e20 if SQLITE else "NaN", rnum],
        )
    if SQLITE:
        return
    # PostgreSQL reads the NaN back: make the audit fail on it as SQLite's read fails on 1e20.
    real = audit_tasks.audit_student

    def audit(*, student: Student, **kwargs: Any) -> Any:
        for mileage in TeachingLog.objects.filter(student=student).values_list(
            "mileage", flat=True
        ):
            if not mileage.is_finite():
                raise InvalidOperation([InvalidOperation])
        return real(student=student, **kwargs)

    monkeypatch.setattr(audit_tasks, "audit_student", audit)


@pytest.fixture(autouse=True)
def callbacks(settings: Any) -> None:
    """Callbacks to the timing platform are kept in memory (it has a callback address)."""
    settings.JIAPEI_CALLBACK_BACKEND = "record"


@pytest.fixture
def platform(make_platform: Callable[..., TimingPlatform], platform_key: Any) -> TimingPlatform:
    return make_platform(platform_key, callback_url="http://tp.invalid/callback")


@pytest.fixture
def two_students(
    tp: Any, school: School, file_school: Callable[..., School], ground: Any
) -> tuple[School, School, str, str]:
    """Two schools' students with one uploaded session each (the audit requests queued)."""
    other = file_school()
    tp.post("region", f.AreaPayload(inscode=other.inscode, seq="1"))
    area = TeachingArea.objects.get(institution__inscode=other.inscode)
    review_area(actor=Actor.for_user(ground), area_id=area.pk, approve=True)
    bad = play_session(tp, school, recnum="00001", start=at(DAY), length=12, seq0=100)
    good = play_session(tp, other, recnum="00001", start=at(DAY), length=12, seq0=100)
    return school, other, bad, good


def test_a_poisoned_teaching_log_stops_only_its_students_audit_until_doctor_repairs_it(
    two_students: tuple[School, School, str, str], monkeypatch: pytest.MonkeyPatch
):
    school, other, bad, good = two_students
    poison_log(bad, monkeypatch)
    assert OutboxMessage.objects.filter(status=MessageStatus.PENDING).exists()

    worker()  # exits normally

    # The other student was audited and the outbox relayed.
    assert TeachingLog.objects.get(rnum=good).audit_status != "pending"
    assert not AuditRequest.objects.filter(student__stunum=other.stunum).exists()
    assert not OutboxMessage.objects.filter(status=MessageStatus.PENDING).exists()
    # The poisoned student's request stays queued, its failure recorded once with the traceback.
    assert AuditRequest.objects.filter(student__stunum=school.stunum).exists()
    alert = OperationalAlert.objects.get(task="audit")
    assert alert.unit == school.stunum and alert.count == 1 and alert.resolved_at is None
    assert alert.exc_type.endswith("InvalidOperation")
    assert "Traceback" in alert.traceback and "audit_student" in alert.traceback
    assert alert.retry_at > clock.now()

    # Backed off: another pass does not retry it at once.
    worker()
    alert.refresh_from_db()
    assert alert.count == 1

    out, error = doctor()
    assert error is not None and "1 poisoned" in error
    assert f"training.TeachingLog pk={TeachingLog.objects.values('pk').get(rnum=bad)['pk']}" in out
    assert "mileage" in out

    out, error = doctor("--repair")
    assert error is None and "repaired 1 value" in out
    log = TeachingLog.objects.get(rnum=bad)
    # Clamped to the column's largest value (1e20), or 0 for what is no number (NaN); voided.
    assert log.mileage == Decimal("999999.99" if SQLITE else "0.00")
    assert log.voided_at is not None
    assert AuditLogEntry.objects.filter(action="core.repair", object_id=str(log.pk)).exists()
    assert AuditLogEntry.objects.filter(action="training.void", object_id=str(log.pk)).exists()
    assert doctor() == ("no poisoned rows\n", None)

    worker()
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    assert not OperationalAlert.objects.filter(resolved_at__isnull=True).exists()
    log.refresh_from_db()
    assert log.audit_status == "invalid" and "MANUAL_VOID" in log.codes
    assert log.credited_minutes == 0
    assert not AuditRequest.objects.exists()


def test_the_alert_of_a_unit_that_keeps_failing_counts_and_backs_off(
    two_students: tuple[School, School, str, str], monkeypatch: pytest.MonkeyPatch, settings: Any
):
    settings.JIAPEI_RETRY_BASE_SECONDS = 60
    settings.JIAPEI_RETRY_MAX_SECONDS = 200
    school, _, bad, _ = two_students
    poison_log(bad, monkeypatch)
    waits = []
    for minutes in (0, 2, 5, 9, 13):
        later(monkeypatch, minutes=minutes)
        worker()
        alert = OperationalAlert.objects.get(task="audit", unit=school.stunum)
        waits.append((alert.count, round((alert.retry_at - alert.last_seen).total_seconds())))
    # 60 s, doubling, up to the cap; retried only once the wait is over.
    assert waits == [(1, 60), (2, 120), (3, 200), (4, 200), (5, 200)]


def test_a_failing_outbox_message_is_backed_off_and_the_others_are_delivered(
    tp: Any, school: School, ground: Any, platform: TimingPlatform, monkeypatch: pytest.MonkeyPatch
):
    with transaction.atomic():
        broken = enqueue(
            idempotency_key="broken",
            destination=Destination.TIMING_PLATFORM,
            path="/reviewmsg",
            payload={"reviewtype": "1"},
            platform=None,  # a callback with nobody to call back: the transport refuses it
        )
    worker()

    others = OutboxMessage.objects.exclude(pk=broken.pk)
    assert others.exists() and not others.exclude(status=MessageStatus.DELIVERED).exists()
    attempts, status, due = OutboxMessage.objects.values_list(
        "attempts", "status", "next_attempt_at"
    ).get(pk=broken.pk)
    assert (attempts, status) == (1, MessageStatus.PENDING) and due > clock.now()
    alert = OperationalAlert.objects.get(task="outbox")
    assert alert.unit == f"message {broken.pk}" and "Traceback" in alert.traceback

    worker()
    assert OutboxMessage.objects.get(pk=broken.pk).attempts == 1  # backed off

    # The cause is fixed (the message gets its platform); once the wait is over it goes out.
    OutboxMessage.objects.filter(pk=broken.pk).update(platform=platform)
    later(monkeypatch, minutes=1)
    worker()
    assert OutboxMessage.objects.get(pk=broken.pk).status == MessageStatus.DELIVERED
    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_a_failing_scan_day_is_backed_off_and_the_other_days_are_scanned(
    db: Any, monkeypatch: pytest.MonkeyPatch
):
    bad_day, good_day = date(2026, 11, 20), date(2026, 11, 21)
    with transaction.atomic():
        request_scans({bad_day, good_day})
    real = fraud_services.scan_day

    def scan_day(*, actor: Any, day: date) -> Any:
        if day == bad_day:
            raise RuntimeError("scan broke")
        return real(actor=actor, day=day)

    monkeypatch.setattr(fraud_services, "scan_day", scan_day)
    worker()
    assert list(ScanRequest.objects.values_list("day", flat=True)) == [bad_day]
    alert = OperationalAlert.objects.get(task="fraud")
    assert (alert.unit, alert.count, alert.message) == ("2026-11-20", 1, "scan broke")
    assert "RuntimeError" in alert.traceback
    worker()
    alert.refresh_from_db()
    assert alert.count == 1  # backed off

    monkeypatch.setattr(fraud_services, "scan_day", real)
    later(monkeypatch, hours=2)
    worker()
    assert not ScanRequest.objects.exists()
    alert.refresh_from_db()
    assert alert.resolved_at is not None
