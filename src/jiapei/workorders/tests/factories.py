"""Test helpers: sessions uploaded through the API, findings stored as the fraud pipeline
stores them, and reading API replies."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiapei.audit.tasks import drain_requests
from jiapei.core.actors import Actor
from jiapei.fraud.models import Finding
from jiapei.testing.sessions import START, play_session
from jiapei.training.models import TeachingLog
from jiapei.workorders import services
from jiapei.workorders.models import WorkOrder

WORKER = Actor.system("worker")


def session(tp: Any, school: Any, n: int, *, length: int = 60, start: datetime = START) -> str:
    """Upload session ``n`` of the school's student (one per day from ``start``) and audit it
    with the worker's audit step. Returns its rnum."""
    rnum = play_session(
        tp,
        school,
        recnum=f"{n:05d}",
        start=start + timedelta(days=n - 1),
        length=length,
        seq0=(n - 1) * 200,
    )
    drain_requests(actor=WORKER)
    return rnum


def finding(
    rnums: list[str], *, severity: str = "high", detector: str = "PHOTO_REPLAYED", tag: str = ""
) -> Finding:
    """A detector hit on these teaching logs, as the fraud pipeline stores it (``tag`` tells
    apart several hits of one detector on the same logs)."""
    logs = list(TeachingLog.objects.filter(rnum__in=rnums).select_related("institution"))
    first = logs[0]
    row = Finding.objects.create(
        detector=detector,
        key=f"{detector}:{','.join(sorted(rnums))}{tag}",
        severity=severity,
        region_id=first.institution.district_id,
        institution=first.institution,
        platform_id=first.platform_id,
        student_id=first.student_id,
        coach_id=first.coach_id,
        car_id=first.car_id,
        day=timezone.localtime(first.starttime).date(),
        score=0.97,
        summary="同一照片在两次培训中重复使用\n相似度 0.97",
        summary_en="The same photo was used in two sessions (similarity 0.97).",
        evidence={"photos": [1, 2], "minutes": ["a", "b", "c"], "figures": {"similarity": 0.97}},
    )
    row.logs.set(logs)
    return row


def order_for(rnums: list[str], **kwargs: Any) -> WorkOrder:
    """Open the order of a new finding on these logs, as the fraud pipeline does."""
    with transaction.atomic():
        order = services.open_for_finding(actor=WORKER, finding=finding(rnums, **kwargs))
    assert order is not None
    return order


def data(response: Any, status: int = 200) -> Any:
    body = response.json()
    assert response.status_code == status, body
    assert (body["errorcode"] == 0) == (status == 200), body
    return body["data"]
