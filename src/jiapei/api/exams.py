"""Endpoints the police platform calls: the pre-entry check (seed 001) and exam results.

They authenticate with a bearer token shared with the police gateway (JIAPEI_POLICE_TOKEN, or
one generated per installation in the data directory for demos and joint debugging).
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import HttpBearer

from jiapei.api.common import POLICE
from jiapei.api.envelope import ok
from jiapei.core.actors import Actor
from jiapei.exams import queries, services


def police_token() -> str:
    """The token the police platform must present (created in DATA_DIR if not configured)."""
    if settings.JIAPEI_POLICE_TOKEN:
        return str(settings.JIAPEI_POLICE_TOKEN)
    path = Path(settings.DATA_DIR) / "police_token"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


class PoliceToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> str | None:
        return "police" if hmac.compare_digest(token, police_token()) else None


router = Router(auth=PoliceToken(), tags=["公安平台接口 / police platform"])


@router.get(
    "students/{stunum}/status",
    response=POLICE,
    summary="预录入核验 (is the student filed and scheduled)",
)
def student_status(request: HttpRequest, stunum: str) -> dict[str, Any]:
    return ok(queries.student_status(stunum))


class ResultIn(Schema):
    result_id: str
    stunum: str
    idcard: str | None = None
    subject: str
    passed: bool
    date: str


@router.post("results", response=POLICE, summary="考试结果回传 (an exam result)")
def exam_result(request: HttpRequest, payload: ResultIn) -> dict[str, Any]:
    data = payload.dict()
    data["result_id"] = request.headers.get("X-Idempotency-Key") or data["result_id"]
    row, created = services.record_result(actor=Actor.system("police platform"), data=data)
    return ok({"result_id": row.result_id, "created": created})
