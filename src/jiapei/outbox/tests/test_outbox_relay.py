"""The outbox relay: retries with exponential backoff while a timing platform's callback endpoint
is down, exactly-once delivery (as the receiver sees it) once it is back, lease expiry after a
worker dies, idempotent ``enqueue``, ``jiapei worker --once``, and a suspended platform's calls.

Time is the platform's clock frozen at ``T0`` (the ``frozen_clock`` fixture) and advanced by
the tests; the receiver is a real HTTP server on loopback (:class:`CallbackReceiver`).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

import httpx
import pytest
from django.core.management import call_command
from django.db import transaction

from jiapei.accounts.models import User
from jiapei.cli.worker import relay_once, send_callback
from jiapei.outbox.models import Destination, MessageStatus, OutboxMessage
from jiapei.outbox.services import MAX_ATTEMPTS, claim, deliver, enqueue
from jiapei.registry.models import Institution, PlatformStatus, TimingPlatform
from jiapei.sim.client import TimingPlatformClient
from jiapei.sim.images import portrait
from jiapei.sim.receiver import CallbackReceiver
from jiapei.testing import factories as f
from jiapei.testing.clock import FrozenClock

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Clock:
    """The frozen platform clock, read as ``clock.now`` and moved by ``clock.advance``."""

    def __init__(self, frozen: FrozenClock) -> None:
        self.frozen = frozen

    @property
    def now(self) -> datetime:
        return self.frozen.now()

    def advance(self, **delta: float) -> datetime:
        return self.frozen.advance(**delta)


@pytest.fixture
def clock(frozen_clock: FrozenClock) -> Clock:
    frozen_clock.freeze(T0)
    return Clock(frozen_clock)


@pytest.fixture
def receiver(settings: Any, platform: TimingPlatform) -> Iterator[CallbackReceiver]:
    """The platform's callback endpoint, down (503) until a test sets ``fail = False``."""
    settings.JIAPEI_CALLBACK_BACKEND = "http"
    settings.JIAPEI_OUTBOX_LEASE_SECONDS = 60
    settings.JIAPEI_OUTBOX_MAX_BACKOFF_SECONDS = 3600
    with CallbackReceiver(fail=True) as live:
        TimingPlatform.objects.filter(pk=platform.pk).update(callback_url=live.url)
        yield live


def queue(platform: TimingPlatform, key: str, **payload: Any) -> OutboxMessage:
    """Enqueue as a decision would: inside its transaction."""
    with transaction.atomic():
        return enqueue(
            idempotency_key=key,
            destination=Destination.TIMING_PLATFORM,
            path="/reviewmsg",
            payload={"reviewtype": "1", "data": {"inscode": "4300100000000001", "seq": key},
                     **payload},
            platform=platform,
        )  # fmt: skip


def rows() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.order_by("id"))


def test_while_the_receiver_is_down_messages_back_off_then_arrive_once(
    platform: TimingPlatform, receiver: CallbackReceiver, clock: Clock
):
    first, second = queue(platform, "0001"), queue(platform, "0002")

    delays = [5, 10, 20, 40]
    for attempt, delay in enumerate(delays, start=1):
        assert relay_once() == (0, 2)
        for row in rows():
            assert row.status == MessageStatus.PENDING
            assert row.attempts == attempt
            assert "503" in row.last_error
            assert row.next_attempt_at == clock.now + timedelta(seconds=delay)
            assert row.locked_until is None and row.delivered_at is None
        # Not due before its time: nothing is attempted.
        clock.advance(seconds=delay - 1)
        assert relay_once() == (0, 0)
        assert {r.attempts for r in rows()} == {attempt}
        clock.advance(seconds=1)

    receiver.fail = False
    assert relay_once() == (2, 0)
    assert receiver.received == [("/reviewmsg", first.payload), ("/reviewmsg", second.payload)]
    assert receiver.duplicates == 0
    for row in rows():
        assert (row.status, row.attempts, row.last_error) == ("delivered", len(delays) + 1, "")
        assert row.delivered_at == clock.now and row.locked_until is None

    clock.advance(days=1)
    assert relay_once() == (0, 0)
    assert len(receiver.received) == 2 and receiver.duplicates == 0


def test_due_again_by_setting_next_attempt_in_the_past(
    platform: TimingPlatform, receiver: CallbackReceiver
):
    message = queue(platform, "0001")
    assert relay_once() == (0, 1)
    row = OutboxMessage.objects.get()
    assert row.next_attempt_at > row.created_at
    assert relay_once() == (0, 0)  # backing off

    receiver.fail = False
    OutboxMessage.objects.update(next_attempt_at=row.created_at - timedelta(seconds=1))
    assert relay_once() == (1, 0)
    assert receiver.received == [("/reviewmsg", message.payload)]
    assert OutboxMessage.objects.get().status == MessageStatus.DELIVERED


def test_backoff_is_capped(platform: TimingPlatform, receiver: Any, clock: Clock, settings: Any):
    settings.JIAPEI_OUTBOX_MAX_BACKOFF_SECONDS = 600
    queue(platform, "0001")
    OutboxMessage.objects.update(attempts=12)
    assert relay_once() == (0, 1)
    row = OutboxMessage.objects.get()
    assert (row.attempts, row.next_attempt_at) == (13, clock.now + timedelta(seconds=600))


def test_a_message_is_given_up_after_max_attempts(
    platform: TimingPlatform, receiver: CallbackReceiver, clock: Clock
):
    queue(platform, "0001")
    OutboxMessage.objects.update(attempts=MAX_ATTEMPTS - 2)
    assert relay_once() == (0, 1)
    assert OutboxMessage.objects.get().status == MessageStatus.PENDING
    clock.advance(days=1)
    assert relay_once() == (0, 1)
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts) == (MessageStatus.DEAD, MAX_ATTEMPTS)

    receiver.fail = False
    clock.advance(days=1)
    assert relay_once() == (0, 0)
    assert receiver.received == []


def test_an_unreachable_receiver_is_a_retryable_failure(
    platform: TimingPlatform, settings: Any, clock: Clock
):
    settings.JIAPEI_CALLBACK_BACKEND = "http"
    with CallbackReceiver() as gone:
        url = gone.url
    TimingPlatform.objects.filter(pk=platform.pk).update(callback_url=url)
    queue(platform, "0001")
    assert relay_once() == (0, 1)
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts) == (MessageStatus.PENDING, 1)
    assert "Connect" in row.last_error

    TimingPlatform.objects.filter(pk=platform.pk).update(callback_url="")
    clock.advance(seconds=5)
    assert relay_once() == (0, 1)
    row = OutboxMessage.objects.get()
    assert (row.attempts, row.status) == (2, MessageStatus.PENDING)
    assert "callback URL" in row.last_error


# Leases: a worker that dies holding messages.


def test_a_message_whose_lease_expired_is_claimed_again_and_delivered_once(
    platform: TimingPlatform, receiver: CallbackReceiver, clock: Clock
):
    receiver.fail = False
    message = queue(platform, "0001")
    [claimed] = claim()  # a worker claims it, then is killed before sending
    assert claimed.pk == message.pk
    assert OutboxMessage.objects.get().locked_until == clock.now + timedelta(seconds=60)

    assert relay_once() == (0, 0)  # another worker leaves a leased message alone
    clock.advance(seconds=60)
    assert relay_once() == (0, 0)  # lease ends at, not before, locked_until
    assert receiver.received == []

    clock.advance(seconds=1)
    assert relay_once() == (1, 0)
    assert receiver.received == [("/reviewmsg", message.payload)]
    assert receiver.duplicates == 0
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts, row.locked_until) == ("delivered", 1, None)
    clock.advance(hours=1)
    assert relay_once() == (0, 0)
    assert len(receiver.received) == 1


def test_a_worker_killed_after_sending_is_resent_with_the_same_key(
    platform: TimingPlatform, receiver: CallbackReceiver, clock: Clock
):
    receiver.fail = False
    message = queue(platform, "0001")
    [claimed] = claim()
    send_callback(claimed)  # the POST went out; the worker died before recording it
    assert OutboxMessage.objects.get().status == MessageStatus.PENDING

    clock.advance(seconds=61)
    assert relay_once() == (1, 0)
    # The receiver saw the same idempotency key twice and kept one copy.
    assert receiver.received == [("/reviewmsg", message.payload)]
    assert receiver.duplicates == 1
    assert OutboxMessage.objects.get().status == MessageStatus.DELIVERED


def test_concurrent_claims_never_share_a_message(platform: TimingPlatform, clock: Clock, receiver):
    for n in range(3):
        queue(platform, f"000{n}")
    first, second = claim(limit=2), claim(limit=2)
    assert len(first) == 2 and len(second) == 1
    assert not {m.pk for m in first} & {m.pk for m in second}
    assert claim() == []


def test_a_late_failure_from_an_expired_lease_does_not_undo_a_delivery(
    platform: TimingPlatform, receiver: CallbackReceiver, clock: Clock
):
    """Worker A claims a message and stalls (a slow receiver) past its lease; worker B then
    delivers it. When A's send finally fails, A must not put the delivered message back in the
    queue: that would send it again."""
    receiver.fail = False
    queue(platform, "0001")
    [stale] = claim()  # worker A
    clock.advance(seconds=61)
    assert relay_once() == (1, 0)  # worker B

    def timed_out(message: OutboxMessage) -> None:
        raise httpx.ReadTimeout("worker A: no answer")

    deliver(stale, timed_out)
    row = OutboxMessage.objects.get()
    assert row.status == MessageStatus.DELIVERED
    clock.advance(hours=2)
    relay_once()
    assert receiver.duplicates == 0 and len(receiver.received) == 1


# enqueue.


def test_enqueue_with_the_same_key_twice_stores_one_row(platform: TimingPlatform, receiver: Any):
    receiver.fail = False
    first = queue(platform, "0001", note="first")
    again = queue(platform, "0001", note="second")
    assert again.pk == first.pk
    assert OutboxMessage.objects.count() == 1
    assert OutboxMessage.objects.get().payload["note"] == "first"

    assert relay_once() == (1, 0)
    # The decision retried after delivery: still one row, nothing sent again.
    queue(platform, "0001", note="third")
    assert OutboxMessage.objects.count() == 1
    assert relay_once() == (0, 0)
    assert [body["note"] for _, body in receiver.received] == ["first"]


def test_enqueue_outside_a_transaction_is_refused(platform: TimingPlatform):
    # The test itself runs inside a transaction, so the connection is made to say it is not.
    outside = SimpleNamespace(in_atomic_block=False)
    with (
        patch("jiapei.outbox.services.connection", outside),
        pytest.raises(RuntimeError, match="transaction"),
    ):
        enqueue(idempotency_key="k", destination=Destination.TIMING_PLATFORM, path="/reviewmsg",
                payload={}, platform=platform)  # fmt: skip
    assert not OutboxMessage.objects.exists()


# jiapei worker --once.


@pytest.fixture
def keep_signal_handlers() -> Iterator[None]:
    """``worker`` installs SIGINT/SIGTERM handlers; put pytest's back afterwards."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_worker_once_relays_what_is_due(
    platform: TimingPlatform, receiver: CallbackReceiver, clock: Clock, keep_signal_handlers: None
):
    queue(platform, "0001")
    out = StringIO()
    call_command("worker", once=True, stdout=out)
    assert out.getvalue().strip() == "outbox: 0 delivered, 1 failed"

    receiver.fail = False
    queue(platform, "0002")  # due now; 0001 is backing off
    out = StringIO()
    call_command("worker", once=True, stdout=out)
    assert out.getvalue().strip() == "outbox: 1 delivered, 0 failed"
    assert [body["data"]["seq"] for _, body in receiver.received] == ["0002"]

    clock.advance(seconds=5)
    out = StringIO()
    call_command("worker", once=True, stdout=out)
    assert out.getvalue().strip() == "outbox: 1 delivered, 0 failed"
    assert [body["data"]["seq"] for _, body in receiver.received] == ["0002", "0001"]

    # Nothing due: it returns at once and says nothing.
    out = StringIO()
    call_command("worker", once=True, stdout=out)
    assert out.getvalue() == ""
    assert receiver.duplicates == 0
    assert {r.status for r in rows()} == {MessageStatus.DELIVERED}


# A suspended timing platform.


def test_suspending_a_platform_refuses_its_next_signed_call(
    platform: TimingPlatform, tp: TimingPlatformClient, api: Any, province_regulator: User
):
    assert tp.call("institution", f.InstitutionPayload())[1]["errorcode"] == 0
    path = f"/api/regulator/platforms/{platform.platnum}/status"

    reply = api(province_regulator, "POST", path, json={"status": "suspended"})
    assert (reply.status_code, reply.json()["errorcode"]) == (400, 2001)
    assert TimingPlatform.objects.get().status == PlatformStatus.ACTIVE

    reply = api(province_regulator, "POST", path, json={"status": "suspended", "reason": "整改"})
    assert reply.status_code == 200 and reply.json()["data"]["status"] == "suspended"

    filed = Institution.objects.count()
    status, envelope = tp.call("institution", f.InstitutionPayload())
    assert (status, envelope["errorcode"]) == (403, 1004)
    assert set(envelope) == {"errorcode", "message", "data"}
    assert platform.platnum in envelope["message"]
    with pytest.raises(Exception, match="errorcode=1004"):
        tp.upload("coachimg", portrait(1))
    assert Institution.objects.count() == filed

    reply = api(province_regulator, "POST", path, json={"status": "active"})
    assert reply.status_code == 200
    assert tp.call("institution", f.InstitutionPayload())[1]["errorcode"] == 0


def test_a_revoked_platform_is_refused_too(
    platform: TimingPlatform, tp: TimingPlatformClient, api: Any, province_regulator: User
):
    path = f"/api/regulator/platforms/{platform.platnum}/status"
    reply = api(province_regulator, "POST", path, json={"status": "revoked", "reason": "吊销"})
    assert reply.json()["errorcode"] == 0
    status, envelope = tp.call("regionreview/get", {"inscode": "4300100000000001", "seq": "1"})
    assert (status, envelope["errorcode"]) == (403, 1004)
