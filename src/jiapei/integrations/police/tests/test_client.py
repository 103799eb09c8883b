"""The police HTTP client's wire behaviour (httpx.MockTransport), the fake, the outbox transport."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from jiapei.cli.worker import police_transport
from jiapei.integrations.police import (
    PoliceMessageInvalid,
    PoliceRefused,
    PoliceUnavailable,
    get_client,
)
from jiapei.integrations.police.client import HttpPolicePlatform
from jiapei.integrations.police.fake import FakePolicePlatform, shared_fake
from jiapei.integrations.police.tests.support import IDCARD, hours, withdrawal
from jiapei.integrations.police.wire import hours_key
from jiapei.outbox.models import OutboxMessage


def _client(handler: Any) -> HttpPolicePlatform:
    return HttpPolicePlatform(
        base_url="http://police.test/api", transport=httpx.MockTransport(handler)
    )


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"errorcode": 0, "message": "", "data": {"stored": True}})


def test_push_posts_every_field_as_json_with_the_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _ok(request)

    message = hours(subject="3", transition=True)
    data = _client(handler).push_hours(message, idempotency_key="outbox-key-1")

    assert data == {"stored": True}
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == "http://police.test/api/hours"
    assert request.headers["X-Idempotency-Key"] == "outbox-key-1"
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.content)
    assert body == message
    assert body["subject"] == "3" and body["part"] == 3 and body["transition"] is True
    assert {"auditunit", "auditor", "auditdate", "stageid", "coachname", "inscode"} <= set(body)


def test_the_key_defaults_to_one_derived_from_the_decision() -> None:
    keys: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["X-Idempotency-Key"])
        return _ok(request)

    client = _client(handler)
    client.push_hours(hours())
    client.push_hours(hours())
    client.withdraw_hours(withdrawal())

    assert keys[0] == keys[1] == hours_key(hours())
    assert keys[2].startswith("police:withdraw:") and keys[2] != keys[0]


def test_withdraw_and_query_use_their_paths() -> None:
    paths: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append((request.method, request.url.path))
        return _ok(request)

    client = _client(handler)
    client.withdraw_hours(withdrawal())
    client.query_student(IDCARD)

    assert paths == [("POST", "/api/hours/withdraw"), ("GET", f"/api/students/{IDCARD}")]


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (httpx.Response(200, json={"errorcode": 3, "message": "拒绝"}), PoliceRefused),
        (httpx.Response(503, json={"errorcode": 9, "message": "down"}), PoliceUnavailable),
        (httpx.Response(502, text="<html>bad gateway</html>"), PoliceUnavailable),
        (httpx.Response(200, text="not json"), PoliceUnavailable),
    ],
)
def test_anything_but_an_acknowledgement_raises(reply: httpx.Response, error: type) -> None:
    with pytest.raises(error) as caught:
        _client(lambda request: reply).push_hours(hours())
    assert caught.value.status == 502  # an upstream failure, never a silent success


def test_network_failure_raises_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(PoliceUnavailable, match="unreachable"):
        _client(handler).push_hours(hours())


@pytest.mark.parametrize(
    "message",
    [
        hours(part=3),  # subject 2 is fed by part 2
        hours(updatetime="2027-04-02T10:00:00"),  # naive: cannot be ordered against others
        hours(vehicletime="900"),
        hours(subject="5", part=5),
        {k: v for k, v in hours().items() if k != "auditor"},
    ],
)
def test_a_malformed_push_is_refused_before_anything_is_sent(message: dict[str, Any]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("must not be sent")

    with pytest.raises(PoliceMessageInvalid):
        _client(handler).push_hours(message)


def test_the_fake_applies_the_simulator_rules() -> None:
    fake = FakePolicePlatform()
    assert fake.book(IDCARD, "2").errorcode == 2

    fake.push_hours(hours())
    assert fake.push_hours(hours(), idempotency_key="other")["duplicate"] is True
    assert fake.book(IDCARD, "2").errorcode == 0

    fake.withdraw_hours(withdrawal())
    assert fake.book(IDCARD, "2").errorcode == 3
    assert [path for path, _key, _message in fake.sent] == ["/hours", "/hours", "/hours/withdraw"]

    fake.fail = True
    with pytest.raises(PoliceUnavailable):
        fake.push_hours(hours(subject="1"))


def test_police_transport_sends_the_outbox_message_through_the_chosen_backend(
    settings: Any,
) -> None:
    settings.JIAPEI_POLICE_BACKEND = "fake"
    fake = shared_fake()
    fake.reset()
    assert get_client() is fake

    police_transport(OutboxMessage(idempotency_key="k-1", path="/hours", payload=hours()))
    police_transport(
        OutboxMessage(idempotency_key="k-2", path="/hours/withdraw", payload=withdrawal())
    )

    assert [(path, key) for path, key, _ in fake.sent] == [
        ("/hours", "k-1"),
        ("/hours/withdraw", "k-2"),
    ]
    with pytest.raises(PoliceMessageInvalid):
        police_transport(OutboxMessage(idempotency_key="k-3", path="/nope", payload={}))


def test_unknown_backend_is_a_configuration_error(settings: Any) -> None:
    settings.JIAPEI_POLICE_BACKEND = "carrier-pigeon"
    with pytest.raises(ValueError, match="JIAPEI_POLICE_BACKEND"):
        get_client()
