"""Helpers shared by the regulator-scope tests (``test_scope_lists`` and ``test_scope_writes``).

One school is filed in 长沙 (岳麓区 430104), one in another 长沙 county (芙蓉区 430102) and one in
株洲 (芦淞区 430203) by the ``world`` fixture in ``conftest.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from jiapei.core.models import AuditLogEntry
from jiapei.outbox.models import OutboxMessage
from jiapei.registry.models import Personnel, TeachingArea, TimingPlatform, TrainingCar
from jiapei.signing import generate_key, public_pem
from jiapei.sim.world import square
from jiapei.testing.fixtures import School

YUELU, FURONG, LUSONG = "430104", "430102", "430203"
ZHUZHOU_CENTRE = (113.13, 27.83)
ENVELOPE_KEYS = {"errorcode", "message", "data"}


def ok(reply: httpx.Response) -> Any:
    body = reply.json()
    assert reply.status_code == 200, body
    assert set(body) == ENVELOPE_KEYS and body["errorcode"] == 0, body
    return body["data"]


def refused(reply: httpx.Response, status: int, errorcode: int) -> dict[str, Any]:
    body = reply.json()
    assert set(body) == ENVELOPE_KEYS, body
    assert (reply.status_code, body["errorcode"]) == (status, errorcode), body
    return body


@dataclass
class World:
    yuelu: School
    furong: School
    lusong: School
    areas: dict[str, TeachingArea]  # keyed by inscode
    zhuzhou_route: TeachingArea


def snapshot() -> dict[str, Any]:
    """Everything a refused regulator write could have touched."""
    return {
        "audit": AuditLogEntry.objects.count(),
        "outbox": list(OutboxMessage.objects.values_list("idempotency_key", flat=True)),
        "areas": list(
            TeachingArea.objects.order_by("pk").values_list(
                "pk", "status", "review_reason", "reviewed_by", "name", "polygon", "time_windows"
            )
        ),
        "personnel": list(
            Personnel.objects.order_by("pk").values_list("number", "filing_status", "status_reason")
        ),
        "cars": list(
            TrainingCar.objects.order_by("pk").values_list(
                "carnum", "filing_status", "status_reason"
            )
        ),
        "platforms": list(
            TimingPlatform.objects.order_by("pk").values_list(
                "platnum", "status", "cert_serial", "callback_url"
            )
        ),
    }


def route_payload(**overrides: Any) -> dict[str, Any]:
    return {
        "seq": "1",
        "name": "越权路线",
        "vehicletype": "C1",
        "polygon": square((112.95, 28.25), 1.0),
        "time_windows": [{"start": "08:00", "end": "10:00"}],
        **overrides,
    }


def platform_body(platnum: str = "B0042") -> dict[str, Any]:
    key = generate_key()
    return {"platnum": platnum, "name": "越权平台", "cert_serial": "ABCDEF01",
            "public_key_pem": public_pem(key), "callback_url": "http://127.0.0.1:9/cb"}  # fmt: skip
