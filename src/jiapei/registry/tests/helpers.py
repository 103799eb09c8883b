"""Helpers shared by the filing tests (``test_validation_*`` and ``test_idempotency_*``).

A refusal must be an HTTP 4xx envelope with a non-zero errorcode whose message and
``data.errors`` name the offending field and value, and it must store nothing: no filed row, no
binding, no upload, no audit-log row and no national number. :func:`refused` checks all of that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from jiapei.core.errors import ErrorCode
from jiapei.core.models import AuditLogEntry
from jiapei.integrations.national.models import IssuedNumber
from jiapei.registry.models import (
    Device,
    DeviceBinding,
    FeeStandard,
    Institution,
    Personnel,
    Student,
    StudentTransfer,
    TeachingArea,
    TrainingCar,
    UploadedFile,
)
from jiapei.sim.client import TimingPlatformClient
from jiapei.testing import factories as f
from jiapei.testing.fixtures import School

STORED = (
    Institution,
    Personnel,
    TrainingCar,
    Device,
    DeviceBinding,
    Student,
    StudentTransfer,
    TeachingArea,
    FeeStandard,
    UploadedFile,
    AuditLogEntry,
    IssuedNumber,
)


def stored() -> dict[str, list[dict[str, Any]]]:
    """Every row that a filing could write, so a refusal can be shown to have written none."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in STORED}


def call(client: TimingPlatformClient, resource: str, payload: Any) -> tuple[int, dict[str, Any]]:
    try:
        return client.call(resource, payload)
    except ValueError:  # the reply is not JSON: an unhandled exception became an HTML 500
        pytest.fail(f"POST /{resource}: the reply is not an envelope (unhandled server error)")


def refused(
    client: TimingPlatformClient,
    resource: str,
    payload: Any,
    *,
    field: str,
    value: Any,
    status: int = 400,
    code: int = ErrorCode.VALIDATION,
) -> dict[str, Any]:
    """POST ``payload`` and check it is refused naming ``field``=``value`` with nothing stored."""
    before = stored()
    got_status, envelope = call(client, resource, payload)
    assert (got_status, envelope["errorcode"]) == (status, code), envelope
    errors = (envelope.get("data") or {}).get("errors") or []
    named = [e for e in errors if e["field"] == field]
    assert named, f"no error names {field!r}: {envelope}"
    assert any(e["value"] == value for e in named), f"{field} error lacks {value!r}: {envelope}"
    assert f"{field}={value!r}" in envelope["message"], envelope["message"]
    assert stored() == before, "a refused request stored something"
    return envelope


def errors_by_field(envelope: dict[str, Any]) -> dict[str, Any]:
    return {e["field"]: e["value"] for e in envelope["data"]["errors"]}


def audit_rows(row: Any) -> Any:
    return AuditLogEntry.objects.filter(
        object_type=row._meta.label_lower, object_id=str(row.pk)
    ).order_by("id")


def binding_key(school: School, sim: str = "1440000000001") -> dict[str, str]:
    return {"devnum": school.devnum, "carnum": school.carnum, "sim": sim}


@dataclass
class FiledSchool:
    """An institution (busiscope C1,C2) and a coach portrait, filed through the interface."""

    inscode: str
    photo: str


# Payload builders for a school: ``School`` (all filed) or ``FiledSchool`` (institution + photo).


def coach(school: Any, **overrides: Any) -> dict[str, Any]:
    fields = {"inscode": school.inscode, "photo": school.photo, **overrides}
    return f.payload(f.CoachPayload, **fields)


def student(school: Any, photo: str, **overrides: Any) -> dict[str, Any]:
    return f.payload(f.StudentPayload, inscode=school.inscode, photo=photo, **overrides)


def car(school: Any, **overrides: Any) -> dict[str, Any]:
    return f.payload(f.TrainingCarPayload, inscode=school.inscode, **overrides)


def area(school: Any, **overrides: Any) -> dict[str, Any]:
    return f.payload(f.AreaPayload, inscode=school.inscode, **overrides)
