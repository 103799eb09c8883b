"""The regulators' side of student transfers between platforms: the requests from or to a
school of their region, and the approval or rejection of those releasing a student from it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from jiapei.api.auth import user_auth
from jiapei.api.common import REGULATOR, Page, paged, regulator_of
from jiapei.api.envelope import ok
from jiapei.registry import queries, services
from jiapei.registry.models import TransferStatus

router = Router(auth=user_auth, tags=["监管端 / regulators"])


class TransferFilter(Page):
    status: TransferStatus | None = None


class DecisionIn(Schema):
    reason: str = ""


def _view(row: Any) -> dict[str, Any]:
    return queries.transfer_wire(row, names=True)


@router.get("transfers", response=REGULATOR, summary="转校申请 (transfer requests in your region)")
def transfers(request: HttpRequest, filters: Query[TransferFilter]) -> dict[str, Any]:
    user, _ = regulator_of(request)
    return paged(queries.transfers_for(user, filters.status), filters, _view)


def _decide(
    request: HttpRequest, transfer_id: int, body: DecisionIn, approve: bool
) -> dict[str, Any]:
    user, actor = regulator_of(request)
    row = services.decide_by_regulator(
        actor=actor, user=user, transfer_id=transfer_id, approve=approve, reason=body.reason
    )
    return ok(_view(row))


@router.post(
    "transfers/{transfer_id}/approve",
    response=REGULATOR,
    summary="批准转校 (approve a transfer out of a school of your region)",
)
def approve(request: HttpRequest, transfer_id: int, body: DecisionIn) -> dict[str, Any]:
    return _decide(request, transfer_id, body, approve=True)


@router.post(
    "transfers/{transfer_id}/reject",
    response=REGULATOR,
    summary="驳回转校 (reject a transfer out of a school of your region; a reason is required)",
)
def reject(request: HttpRequest, transfer_id: int, body: DecisionIn) -> dict[str, Any]:
    return _decide(request, transfer_id, body, approve=False)
