"""Fixtures of the supervision tests.

Teaching logs go in as a timing platform uploads them (signed ``classrecord``); fraud findings
are written directly, because the detectors that make them are tested in ``fraud``; ``ground``
(an approved teaching area) comes from the audit pipeline's tests.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from django.utils import timezone

from jiapei.fraud.models import Finding, Severity
from jiapei.sim.client import TimingPlatformClient
from jiapei.sim.images import portrait
from jiapei.supervision.models import ManualReview
from jiapei.testing.fixtures import School
from jiapei.testing.sessions import (
    ground,  # noqa: F401  (a fixture)
    post_classrecord,
)
from jiapei.training.models import TeachingLog
from jiapei.workorders import services as workorders
from jiapei.workorders.models import WorkOrder

SHANGHAI = ZoneInfo("Asia/Shanghai")
OCTOBER = datetime(2026, 10, 5, 9, 0, tzinfo=SHANGHAI)
ENVELOPE_KEYS = {"errorcode", "message", "data"}


def ok(reply: httpx.Response) -> Any:
    body = reply.json()
    assert reply.status_code == 200, body
    assert set(body) == ENVELOPE_KEYS and body["errorcode"] == 0, body
    return body["data"]


def refused(reply: httpx.Response, status: int) -> dict[str, Any]:
    body = reply.json()
    assert set(body) == ENVELOPE_KEYS, body
    assert reply.status_code == status and body["errorcode"] != 0, body
    return body


def error_fields(body: dict[str, Any]) -> dict[str, Any]:
    """{field: value} of a refusal's ``data.errors``."""
    return {e["field"]: e["value"] for e in (body.get("data") or {}).get("errors", [])}


@pytest.fixture
def upload_logs(tp: TimingPlatformClient) -> Callable[..., list[str]]:
    """``upload_logs(school, [start, …])`` files one 45-minute teaching log per start time
    (local) through the signed ``classrecord`` interface and returns their rnums."""
    photos: dict[str, str] = {}
    counter = iter(range(1, 99_999))

    def upload(school: School, starts: list[datetime]) -> list[str]:
        if school.stunum not in photos:
            photos[school.stunum] = tp.upload("stuimg", portrait(50_000 + len(photos)))
        rnums = []
        for start in starts:
            recnum = f"{next(counter):05d}"
            photo = photos[school.stunum]
            post_classrecord(tp, school, recnum, start, 45, signin=photo, signout=photo)
            rnums.append(school.stunum + recnum)
        return rnums

    return upload


def october(n: int, day: int = 5) -> list[datetime]:
    """``n`` session start times in October 2026, one an hour from the given day on."""
    return [OCTOBER.replace(day=day) + timedelta(hours=i) for i in range(n)]


@pytest.fixture
def flag() -> Callable[..., Finding]:
    """``flag(rnum, …)``: a fraud finding whose evidence is these teaching logs."""
    counter = iter(range(1, 99_999))

    def make(*rnums: str) -> Finding:
        logs = list(TeachingLog.objects.filter(rnum__in=rnums).select_related("institution"))
        assert len(logs) == len(rnums)
        first = logs[0]
        finding = Finding.objects.create(
            detector="test_detector",
            key=f"test:{next(counter)}:{first.rnum}",
            severity=Severity.HIGH,
            region_id=first.institution.district_id,
            institution=first.institution,
            day=timezone.localtime(first.starttime).date(),
            summary="测试线索",
        )
        finding.logs.add(*logs)
        return finding

    return make


@pytest.fixture
def work_orders(monkeypatch: pytest.MonkeyPatch) -> list[ManualReview]:
    """The reviews ``workorders.services.open_for_review`` (the real one) is called for."""
    real = workorders.open_for_review
    calls: list[ManualReview] = []

    def open_for_review(*, actor: Any, review: ManualReview) -> WorkOrder:
        calls.append(review)
        return real(actor=actor, review=review)

    monkeypatch.setattr(workorders, "open_for_review", open_for_review)
    return calls
