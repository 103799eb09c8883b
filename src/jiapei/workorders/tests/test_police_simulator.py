"""The voiding decision against the real police-platform simulator, a separate process reached
over HTTP by the outbox relay: booking is open after the push and refused after the work order
voided the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jiapei.cli.worker import relay_once
from jiapei.integrations.police.state import Code
from jiapei.integrations.police.tests.support import SimProcess, StubJiapei
from jiapei.outbox.models import OutboxMessage
from jiapei.stages.models import StageReview
from jiapei.stages.tasks import assemble_due
from jiapei.workorders.tests.factories import WORKER, data, order_for, session

pytestmark = pytest.mark.slow


@pytest.fixture
def simulator(tmp_path: Path, settings: Any) -> Iterator[SimProcess]:
    stub = StubJiapei()
    sim = SimProcess(tmp_path / "police.json", stub.url, tmp_path / "police.log")
    settings.JIAPEI_POLICE_BACKEND = "http"
    settings.JIAPEI_POLICE_URL = sim.url
    try:
        yield sim
    finally:
        sim.stop()
        stub.close()


def book(sim: SimProcess, idcard: str, subject: str) -> dict[str, Any]:
    reply = sim.post("/booking", {"idcard": idcard, "subject": subject})
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def test_a_voided_session_closes_booking_at_the_police_simulator(
    tp, school, ground, api, simulator
):
    rnum = session(tp, school, 1)
    assert assemble_due(actor=WORKER) == 1
    review = StageReview.objects.get(student__stunum=school.stunum, part=2)
    idcard = review.student.idcard
    relay_once()
    assert OutboxMessage.objects.get(path="/hours").status == "delivered"
    assert book(simulator, idcard, "2")["errorcode"] == Code.OK

    order = order_for([rnum])
    path = f"/api/regulator/workorders/{order.pk}/resolve"
    detail = data(api(ground, "POST", path, json={"decision": "voided", "reason": "查实代培"}))
    assert detail["revoked"] == [{"review": review.pk, "stunum": school.stunum, "part": 2}]
    relay_once()
    assert OutboxMessage.objects.get(path="/hours/withdraw").status == "delivered"

    refused = book(simulator, idcard, "2")
    assert refused["errorcode"] == Code.HOURS_WITHDRAWN, refused
    held = simulator.state()
    assert held["counters"].get("stored", 0) == 1, held["counters"]
