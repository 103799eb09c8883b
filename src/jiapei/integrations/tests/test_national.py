"""The national platform's numbering: the HTTP client's wire behaviour and the fake's numbers."""

from __future__ import annotations

import json

import httpx
import pytest

from jiapei.integrations.national.client import HttpNationalPlatform, NationalPlatformError
from jiapei.integrations.national.fake import FakeNationalPlatform
from jiapei.signing import Signer, load_public_key, public_pem, verify


def _client(handler, key) -> HttpNationalPlatform:
    return HttpNationalPlatform(
        base_url="http://national.test/api",
        signer=Signer(key, "ABC123"),
        transport=httpx.MockTransport(handler),
    )


def test_http_client_sends_a_signed_country_request_and_reads_the_number(platform_key):
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["path"] = request.url.path
        seen["params"] = dict(request.url.params)
        seen["body"] = request.content
        return httpx.Response(
            200, json={"errorcode": 0, "message": "", "data": {"coachnum": "1234567890123456"}}
        )

    number = _client(handler, platform_key).issue_number("coach", {"name": "王五"})

    assert number == "1234567890123456"
    assert seen["path"] == "/api/country/coach"
    assert json.loads(seen["body"]) == {"name": "王五"}
    params = seen["params"]
    assert params["user"] == "ABC123"
    public = load_public_key(public_pem(platform_key))
    assert verify(public, seen["body"], int(params["ts"]), params["sign"])
    # What is signed and sent is the record as compact UTF-8 JSON, byte for byte (not the
    # ASCII-escaped or spaced form another encoder would produce from the same record).
    assert seen["body"] == '{"name":"王五"}'.encode()


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(200, json={"errorcode": 7, "message": "重复", "data": None}),
        httpx.Response(200, json={"errorcode": 0, "message": "", "data": {"coachnum": "short"}}),
        httpx.Response(502, text="<html>bad gateway</html>"),
    ],
)
def test_http_client_refusals_become_upstream_errors(platform_key, reply):
    with pytest.raises(NationalPlatformError) as caught:
        _client(lambda request: reply, platform_key).issue_number("coach", {})
    assert caught.value.status == 502


def test_http_client_network_failure_is_an_upstream_error(platform_key):
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(NationalPlatformError, match="unavailable"):
        _client(handler, platform_key).issue_number("student", {})


def test_fake_issues_unique_well_formed_numbers(db, settings):
    fake = FakeNationalPlatform()
    numbers = {fake.issue_number("student", {}) for _ in range(200)}
    assert len(numbers) == 200
    assert all(len(n) == 16 and n.isdigit() and n.startswith("430050") for n in numbers)


def test_forward_posts_a_signed_province_request_with_the_key(platform_key):
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["path"] = request.url.path
        seen["key"] = request.headers["X-Idempotency-Key"]
        return httpx.Response(200, json={"errorcode": 0, "message": "", "data": None})

    _client(handler, platform_key).forward("stagetrainningtime", {"stunum": "1"}, "k-1")
    assert seen == {"path": "/api/province/stagetrainningtime", "key": "k-1"}
    refusing = _client(
        lambda r: httpx.Response(200, json={"errorcode": 3, "message": "no"}), platform_key
    )
    with pytest.raises(NationalPlatformError):
        refusing.forward("graduation", {}, "k-2")


def test_the_outbox_carries_national_forwards_once(db, settings):
    from django.db import transaction

    from jiapei.cli.worker import relay_once
    from jiapei.integrations.message import Message
    from jiapei.integrations.national import fake
    from jiapei.outbox.models import Destination
    from jiapei.outbox.services import enqueue_message

    fake.FORWARDED.clear()
    message = Message(path="graduation", payload={"stunum": "9"}, key="grad:9")
    with transaction.atomic():
        enqueue_message(message, destination=Destination.NATIONAL)
        enqueue_message(message, destination=Destination.NATIONAL)
    assert relay_once() == (1, 0)
    assert relay_once() == (0, 0)
    assert fake.FORWARDED == [("graduation", {"stunum": "9"})]


def test_fake_numbers_repeat_from_one_fresh_database_to_another(db):
    """A demo or an evaluation with the same seed must print the same figures; the manual-review
    draw hashes these numbers, so the fake issues the same sequence for the same filings."""
    from jiapei.integrations.national.models import IssuedNumber

    fake = FakeNationalPlatform()
    records = [("coach", {"idcard": "430102199001011234"}), ("student", {"idcard": "X"})] * 3
    first = [fake.issue_number(kind, record) for kind, record in records]
    IssuedNumber.objects.all().delete()
    again = [fake.issue_number(kind, record) for kind, record in records]
    assert again == first
    assert len(set(first)) == len(first)
