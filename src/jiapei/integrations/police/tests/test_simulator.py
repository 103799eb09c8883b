"""The police-platform SIMULATOR as a separate process, driven over HTTP.

One simulator serves the module (each test uses its own ID card); restart tests start their own.
Pushes go through the real HTTP client, so client and simulator are tested against each other.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from jiapei.cli.worker import police_transport
from jiapei.core import clock
from jiapei.integrations.police import PoliceUnavailable, messages
from jiapei.integrations.police.client import HttpPolicePlatform
from jiapei.integrations.police.state import Code
from jiapei.integrations.police.tests.support import SimProcess, StubJiapei, hours, withdrawal
from jiapei.outbox.models import Destination, MessageStatus, OutboxMessage
from jiapei.outbox.services import enqueue_message, relay_due
from jiapei.testing.waiting import wait_until

# The simulator runs as a separate process, like the other end-to-end tests marked slow.
pytestmark = pytest.mark.slow


def _client(sim: SimProcess) -> HttpPolicePlatform:
    return HttpPolicePlatform(base_url=sim.url, timeout=5)


def _book(sim: SimProcess, idcard: str, subject: str) -> dict:
    reply = sim.post("/booking", {"idcard": idcard, "subject": subject})
    assert reply.status_code == 200
    body: dict = reply.json()
    assert body["simulator"] is True
    return body


def test_pushed_hours_open_booking_for_that_subject_only(healthy: SimProcess) -> None:
    idcard = "430102199001010011"
    _client(healthy).push_hours(hours(idcard, "2"))

    assert _book(healthy, idcard, "2")["errorcode"] == Code.OK
    refused = _book(healthy, idcard, "1")
    assert refused["errorcode"] == Code.NO_HOURS
    assert "未推送科目一" in refused["message"]
    assert "no approved training hours" in refused["message"]


def test_without_a_push_booking_is_refused_with_the_reason(healthy: SimProcess) -> None:
    body = _book(healthy, "430102199001010022", "2")
    assert body["errorcode"] == Code.NO_HOURS
    assert "不予受理预约" in body["message"] and "booking refused" in body["message"]
    assert body["data"]["missing"] == "2"


def test_subject_3_needs_part_3_only_and_subject_4_needs_part_4(healthy: SimProcess) -> None:
    idcard = "430102199001010033"
    _client(healthy).push_hours(hours(idcard, "3"))

    assert _book(healthy, idcard, "3")["errorcode"] == Code.OK
    assert _book(healthy, idcard, "4")["errorcode"] == Code.NO_HOURS

    _client(healthy).push_hours(hours(idcard, "4"))
    assert _book(healthy, idcard, "4")["errorcode"] == Code.OK


def test_withdrawn_hours_close_booking_and_a_late_older_push_does_not_reopen_it(
    healthy: SimProcess,
) -> None:
    idcard = "430102199001010044"
    client = _client(healthy)
    client.push_hours(hours(idcard))
    assert client.withdraw_hours(withdrawal(idcard))["withdrawn"] is True

    body = _book(healthy, idcard, "2")
    assert body["errorcode"] == Code.HOURS_WITHDRAWN
    assert "代培" in body["message"] and "withdrawn" in body["message"]

    # A retried push of the earlier decision arrives after the withdrawal: acknowledged, ignored.
    late = client.push_hours(hours(idcard), idempotency_key="retried-by-another-relay")
    assert late["stale"] is True
    assert _book(healthy, idcard, "2")["errorcode"] == Code.HOURS_WITHDRAWN

    # A new approval (later decision) of the same stage record reopens booking.
    client.push_hours(hours(idcard, updatetime="2027-04-09T10:00:00+08:00"))
    assert _book(healthy, idcard, "2")["errorcode"] == Code.OK


def test_a_withdrawal_that_overtakes_its_push_is_kept(healthy: SimProcess) -> None:
    idcard = "430102199001010055"
    client = _client(healthy)
    assert client.withdraw_hours(withdrawal(idcard))["withdrawn"] is True
    assert client.push_hours(hours(idcard))["stale"] is True
    assert _book(healthy, idcard, "2")["errorcode"] == Code.HOURS_WITHDRAWN


def test_a_duplicate_push_is_acknowledged_but_not_counted_twice(healthy: SimProcess) -> None:
    idcard = "430102199001010066"
    before = healthy.state()["counters"]
    client = _client(healthy)

    first = client.push_hours(hours(idcard), idempotency_key="dup-key")
    same_key = client.push_hours(hours(idcard), idempotency_key="dup-key")
    same_stage = client.push_hours(hours(idcard), idempotency_key="another-key")

    assert first["stored"] is True
    assert same_key["duplicate"] is True and same_stage["duplicate"] is True
    state = healthy.state()
    assert state["counters"]["stored"] == before["stored"] + 1
    assert state["counters"]["duplicates"] == before["duplicates"] + 2
    assert list(state["hours"][idcard]) == ["2"]
    assert not [h for h in state["history"] if h["idcard"] == idcard]


def test_a_malformed_push_is_a_400_with_the_problems(healthy: SimProcess) -> None:
    reply = healthy.post("/hours", {**hours(), "part": 1, "transition": "no"})
    assert reply.status_code == 400
    body = reply.json()
    assert body["errorcode"] == Code.BAD_REQUEST and body["simulator"] is True
    assert "part" in body["message"] and "transition" in body["message"]


def test_outage_answers_503_until_recovered(healthy: SimProcess) -> None:
    idcard = "430102199001010077"
    assert healthy.post("/control", {"fail": True}).json()["data"]["fail"] is True

    reply = healthy.post("/hours", hours(idcard), key="during-outage")
    assert reply.status_code == 503
    assert reply.json()["errorcode"] == Code.OUTAGE and reply.json()["simulator"] is True
    with pytest.raises(PoliceUnavailable, match="503"):
        _client(healthy).push_hours(hours(idcard))
    assert healthy.state()["control"]["fail"] is True  # inspection still works

    healthy.post("/control", {"fail": False})
    assert _client(healthy).push_hours(hours(idcard))["stored"] is True
    assert _book(healthy, idcard, "2")["errorcode"] == Code.OK


def test_delay_slows_replies_down(healthy: SimProcess) -> None:
    healthy.post("/control", {"delay_ms": 300})
    started = time.monotonic()
    _book(healthy, "430102199001010088", "1")
    assert time.monotonic() - started >= 0.3


def test_state_counts_the_requests_held_by_the_delay(healthy: SimProcess) -> None:
    assert healthy.state()["held"] == 0
    healthy.post("/control", {"delay_ms": 1500})
    booking = threading.Thread(target=_book, args=(healthy, "430102199001010089", "1"))
    booking.start()
    try:
        wait_until(lambda: healthy.state()["held"] == 1, timeout=5, what="the booking held")
    finally:
        booking.join(timeout=10)
    assert healthy.state()["held"] == 0


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ({"filed": True, "scheduled": True}, Code.OK),
        ({"filed": True, "scheduled": False}, Code.NOT_SCHEDULED),
        ({"filed": False, "scheduled": False}, Code.NOT_FILED),
        (None, Code.NOT_FILED),  # jiapei does not know the student (404)
        (
            {"filed": True, "scheduled": True, "idcard": "110101199001010000"},
            Code.IDENTITY_MISMATCH,
        ),
    ],
)
def test_preentry_is_accepted_only_for_students_jiapei_has_filed_and_scheduled(
    healthy: SimProcess, stub_jiapei: StubJiapei, status: dict | None, code: int
) -> None:
    stunum = f"43005000000{code:05d}"
    idcard = f"4301021990020{code:05d}"
    if status is not None:
        stub_jiapei.students[stunum] = status
    body = {"idcard": idcard, "name": "赵六", "traintype": "C1", "inscode": "4300101234567890"}

    reply = healthy.post("/preentry", {**body, "stunum": stunum}).json()

    assert reply["errorcode"] == code, reply["message"]
    state = healthy.state()
    assert (idcard in state["preentries"]) is (code == Code.OK)


def test_preentry_is_refused_while_jiapei_cannot_be_asked(tmp_path: Path) -> None:
    dead = StubJiapei()
    url = dead.url
    dead.close()  # nothing listens there any more
    sim = SimProcess(tmp_path / "state.json", url, tmp_path / "sim.log")
    try:
        body = {"idcard": "x", "name": "y", "traintype": "C1", "inscode": "z", "stunum": "4"}
        reply = sim.post("/preentry", body).json()
    finally:
        sim.stop()
    assert reply["errorcode"] == Code.JIAPEI_UNREACHABLE
    assert "could not confirm" in reply["message"]


def test_exam_results_are_recorded_and_forwarded_to_jiapei(
    healthy: SimProcess, stub_jiapei: StubJiapei
) -> None:
    idcard = "430102199001010099"
    _client(healthy).push_hours(hours(idcard, "1"))
    reply = healthy.post(
        "/results", {"idcard": idcard, "subject": "1", "passed": False, "date": "2027-04-20"}
    ).json()
    assert reply["errorcode"] == Code.OK

    deadline = time.monotonic() + 10
    forwarded: list = []
    while time.monotonic() < deadline and not forwarded:
        time.sleep(0.05)
        forwarded = [(b, k) for b, k in stub_jiapei.results if b["idcard"] == idcard]
    assert len(forwarded) == 1
    body, key = forwarded[0]
    assert body["stunum"] == "4300501234567890" and body["passed"] is False
    assert body["subject"] == "1" and body["date"] == "2027-04-20"
    assert key == f"police-sim:result:{reply['data']['id']}"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        (entry,) = [r for r in healthy.state()["results"] if r["idcard"] == idcard]
        if entry["forwarded"]:
            break
        time.sleep(0.05)
    assert entry["forwarded"] is True


def test_a_restart_keeps_the_state(tmp_path: Path, stub_jiapei: StubJiapei) -> None:
    idcard = "430102199001010100"
    state_file = tmp_path / "state.json"
    sim = SimProcess(state_file, stub_jiapei.url, tmp_path / "sim.log")
    try:
        _client(sim).push_hours(hours(idcard, "1"), idempotency_key="before-restart")
        _client(sim).push_hours(hours(idcard, "2"))
        _client(sim).withdraw_hours(withdrawal(idcard, "2"))
    finally:
        sim.stop()

    sim = SimProcess(state_file, stub_jiapei.url, tmp_path / "sim.log")
    try:
        assert _book(sim, idcard, "1")["errorcode"] == Code.OK
        assert _book(sim, idcard, "2")["errorcode"] == Code.HOURS_WITHDRAWN
        again = _client(sim).push_hours(hours(idcard, "1"), idempotency_key="before-restart")
        assert again["duplicate"] is True
        assert sim.state()["counters"]["stored"] == 2
        student = _client(sim).query_student(idcard)
        assert set(student["hours"]) == {"1", "2"} and len(student["bookings"]) == 2
    finally:
        sim.stop()
    assert "公安平台模拟器" in (tmp_path / "sim.log").read_text()


@pytest.mark.django_db
def test_the_outbox_relay_delivers_through_an_outage_exactly_once(
    healthy: SimProcess, settings: Any
) -> None:
    """enqueue in the decision's transaction → relay fails while the police platform is down →
    retried after the backoff → delivered once → the student may book."""
    settings.JIAPEI_POLICE_BACKEND = "http"
    settings.JIAPEI_POLICE_URL = healthy.url
    idcard = "430102199001010111"
    with transaction.atomic():
        message = enqueue_message(
            messages.hours(hours(idcard, "2")), destination=Destination.POLICE
        )
    transports = {Destination.POLICE: police_transport}

    healthy.post("/control", {"fail": True})
    assert relay_due(transports) == (0, 1)
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING and "503" in message.last_error
    assert healthy.post("/booking", {"idcard": idcard, "subject": "2"}).status_code == 503

    healthy.post("/control", {"fail": False})
    assert relay_due(transports) == (0, 0)  # backing off: not due yet
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=clock.now())
    assert relay_due(transports) == (1, 0)
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.attempts == 2

    assert _book(healthy, idcard, "2")["errorcode"] == Code.OK
    held = healthy.state()["hours"][idcard]["2"]
    assert held["idempotency_key"] == message.idempotency_key
