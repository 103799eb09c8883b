"""Signatures used once and bound to their resource (issue 18 item 5), through the signed API.

The rule tested here is the README's: a signature sent again to the same resource with the same
body is a retry (a write gets its first answer, not run again; a read is answered afresh); sent
to another resource it is refused (1006); the path-bound version 2 (``v=2.0``) verifies only
for its resource; from ``JIAPEI_BOUND_SIGNATURE_REQUIRED_FROM`` writes need version 2 (1008).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from jiapei.registry.models import Device, FilingStatus, SignatureUse
from jiapei.signing import Signer
from jiapei.sim.client import TimingPlatformClient
from jiapei.sim.images import portrait
from jiapei.testing import factories as f
from jiapei.testing.fixtures import School, wsgi_client

Send = Callable[[str, str, bytes], httpx.Response]


def body_of(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.fixture
def send() -> Iterator[Send]:
    """POST ``body`` to ``resource`` with a query string made elsewhere: the same signed request
    can be sent twice, or to another resource, as a replaying eavesdropper would."""
    from django.core.wsgi import get_wsgi_application

    http = httpx.Client(
        base_url="http://localhost", transport=httpx.WSGITransport(app=get_wsgi_application())
    )

    def post(resource: str, query: str, body: bytes) -> httpx.Response:
        return http.post(
            f"/{resource}?{query}", content=body, headers={"Content-Type": "application/json"}
        )

    yield post
    http.close()


@pytest.fixture
def bound_tp(platform: Any, platform_key: Any) -> Iterator[TimingPlatformClient]:
    client = wsgi_client(Signer(platform_key, platform.cert_serial, bound=True))
    yield client
    client.close()


def envelope(reply: httpx.Response, status: int, errorcode: int) -> dict[str, Any]:
    data: dict[str, Any] = reply.json()
    assert (reply.status_code, data["errorcode"]) == (status, errorcode), data
    return data


def devnum_status(devnum: str) -> str:
    return str(Device.objects.get(devnum=devnum).filing_status)


def test_a_get_signature_replayed_to_delete_is_refused(tp, school: School, send: Send) -> None:
    body = body_of({"devnum": school.devnum})
    query = tp.signer.query(body)
    envelope(send("device/get", query, body), 200, 0)
    refused = envelope(send("device/delete", query, body), 401, 1006)
    assert "device/get" in refused["message"]
    assert devnum_status(school.devnum) == FilingStatus.ACTIVE


def test_a_signature_first_used_elsewhere_cannot_be_used_for_its_own_resource(
    tp, school: School, send: Send
) -> None:
    # The eavesdropper was first: the standard's form cannot tell, but the signature is spent.
    body = body_of({"inscode": school.inscode, "seq": "1"})
    query = tp.signer.query(body)
    envelope(send("charstandard/delete", query, body), 404, 2002)
    envelope(send("regionreview/get", query, body), 401, 1006)


def test_a_retried_write_gets_its_first_answer_and_is_not_run_again(
    tp, school: School, send: Send
) -> None:
    payload = f.DevicePayload(inscode=school.inscode)
    first_body = body_of(payload)
    first_query = tp.signer.query(first_body)
    first = send("device", first_query, first_body)
    devnum = envelope(first, 200, 0)["data"]["devnum"]
    # The platform then changes the terminal; a replay of the first request must not undo it.
    tp.post("device", {**payload, "devnum": devnum, "model": "JP-T2"})
    again = send("device", first_query, first_body)
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["X-Jiapei-Replayed"] == "first-answer"
    assert Device.objects.get(devnum=devnum).model == "JP-T2"


def test_a_retried_refusal_gets_the_same_refusal(tp, school: School, send: Send) -> None:
    body = body_of({"devnum": "4300000000009999"})
    query = tp.signer.query(body)
    first = send("device/delete", query, body)
    envelope(first, 404, 2002)
    again = send("device/delete", query, body)
    assert (again.status_code, again.content) == (404, first.content)


def test_a_retried_read_is_answered_afresh(tp, school: School, send: Send) -> None:
    body = body_of({"devnum": school.devnum})
    query = tp.signer.query(body)
    assert envelope(send("device/get", query, body), 200, 0)["data"]
    tp.post("device/delete", {"devnum": school.devnum})
    again = envelope(send("device/get", query, body), 200, 0)
    assert "X-Jiapei-Replayed" not in send("device/get", query, body).headers
    assert json.dumps(again["data"], ensure_ascii=False).count("deleted") >= 1


def test_a_write_that_failed_on_our_side_runs_again_on_retry(
    tp, school: School, send: Send, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jiapei.registry import services

    real = services.file_device
    calls: list[int] = []

    def flaky(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a fault of ours")
        return real(**kwargs)

    monkeypatch.setattr(services, "file_device", flaky)
    body = body_of(f.DevicePayload(inscode=school.inscode))
    query = tp.signer.query(body)
    envelope(send("device", query, body), 500, 5000)
    assert envelope(send("device", query, body), 200, 0)["data"]["created"] is True


def test_the_bound_signature_verifies_only_for_its_resource(
    bound_tp: TimingPlatformClient, school: School, send: Send
) -> None:
    body = body_of({"devnum": school.devnum})
    query = bound_tp.signer.query(body, resource="device/get")
    envelope(send("device/delete", query, body), 401, 1005)
    assert devnum_status(school.devnum) == FilingStatus.ACTIVE
    envelope(send("device/get", query, body), 200, 0)


def test_the_bound_client_files_uploads_and_reads(bound_tp: TimingPlatformClient) -> None:
    inscode = bound_tp.post("institution", f.InstitutionPayload())["inscode"]
    photo = bound_tp.upload("coachimg", portrait(3))
    coach = bound_tp.post("coach", f.CoachPayload(inscode=inscode, photo=photo))
    assert bound_tp.post("coach/get", {"coachnum": coach["coachnum"]})


def test_after_the_cutoff_the_standard_form_is_accepted_for_reads_only(
    settings: Any, frozen_clock: Any, tp, bound_tp, school: School
) -> None:
    settings.JIAPEI_BOUND_SIGNATURE_REQUIRED_FROM = frozen_clock.today().isoformat()
    status, refused = tp.call("device", f.DevicePayload(inscode=school.inscode))
    assert (status, refused["errorcode"]) == (401, 1008)
    assert "v=2.0" in refused["message"]
    assert tp.post("device/get", {"devnum": school.devnum})
    assert bound_tp.post("device", f.DevicePayload(inscode=school.inscode))["created"] is True


def test_before_the_cutoff_the_standard_form_still_writes(
    settings: Any, frozen_clock: Any, tp, school: School
) -> None:
    settings.JIAPEI_BOUND_SIGNATURE_REQUIRED_FROM = (
        frozen_clock.today() + timedelta(days=1)
    ).isoformat()
    assert tp.post("device", f.DevicePayload(inscode=school.inscode))["created"] is True


def test_uses_are_pruned_once_their_ts_has_left_the_window(
    settings: Any, frozen_clock: Any, tp, school: School
) -> None:
    assert SignatureUse.objects.exists()
    frozen_clock.advance(seconds=settings.JIAPEI_SIGNATURE_WINDOW_SECONDS + 120)
    tp.post("device/get", {"devnum": school.devnum})
    assert SignatureUse.objects.count() == 1


def test_every_get_resource_is_a_read() -> None:
    """The replay rule answers ``…/get`` afresh and lets the standard's form read after the
    cutoff: each of them must change nothing, so each must be one of the known reads."""
    from jiapei.urls import api

    reads = {
        path.strip("/")
        for router_prefix, router in api._routers
        for path in router.path_operations
        if path.endswith("/get")
    }
    assert reads == {
        "institution/get",
        "coach/get",
        "examiner/get",
        "securityguard/get",
        "trainingcar/get",
        "device/get",
        "student/get",
        "stuinfoquery/get",
        "regionreview/get",
        "traininfo/get",
        "stagetrainningtimereview/get",
        "transfer/get",
    }
