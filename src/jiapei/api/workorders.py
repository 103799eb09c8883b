"""Regulators' API: work orders (工单) — list, detail, open by hand, start, escalate, resolve,
and the clearance rate (工单处置率) per child region.

Orders are visible to every regulator whose region covers the school; only the region that
holds an order (the school's county, or the region it was escalated to, or above) may act on it.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from jiapei.accounts import access
from jiapei.accounts.queries import get_region
from jiapei.api.auth import user_auth
from jiapei.api.common import REGULATOR, Page, paged, regulator_of
from jiapei.api.envelope import ok
from jiapei.core.errors import FieldError, NotFound
from jiapei.workorders import queries, services
from jiapei.workorders.models import WorkOrder

router = Router(auth=user_auth, tags=["监管端 / regulators"])


class OrderFilter(Page):
    state: Literal["open", "in_progress", "resolved", "escalated"] | None = None
    decision: Literal["voided", "upheld"] | None = None
    source: Literal["finding", "manual_audit", "regulator"] | None = None
    inscode: str | None = None
    since: date | None = Field(None, description="opened on or after (local date)")
    until: date | None = Field(None, description="opened on or before (local date)")
    overdue: bool | None = None


@router.get(
    "workorders", response=REGULATOR, summary="工单列表 (work orders about schools in scope)"
)
def workorders(request: HttpRequest, filters: Query[OrderFilter]) -> dict[str, Any]:
    user, _ = regulator_of(request)
    qs = queries.orders_for(user)
    for name in ("state", "decision", "source"):
        if getattr(filters, name):
            qs = qs.filter(**{name: getattr(filters, name)})
    if filters.inscode:
        qs = qs.filter(institution__inscode=filters.inscode)
    if filters.since:
        qs = qs.filter(opened_at__gte=queries.day_bounds(filters.since, filters.since)[0])
    if filters.until:
        qs = qs.filter(opened_at__lt=queries.day_bounds(filters.until, filters.until)[1])
    if filters.overdue is not None:
        late = queries.overdue(qs).values("pk")
        qs = qs.filter(pk__in=late) if filters.overdue else qs.exclude(pk__in=late)
    return paged(queries.with_findings(qs), filters, queries.order_wire)


class ClearanceFilter(Schema):
    month: str = Field(..., description="YYYY-MM")
    region: str | None = Field(None, description="a region in scope (default: your own)")


@router.get(
    "workorders/clearance",
    response=REGULATOR,
    summary="工单处置率 (clearance of a month's work orders per child region)",
    description="Orders count for the school's county even after escalation. `rate` is "
    "resolved / opened (null when none were opened); `overdue_open` counts unresolved orders "
    "past their deadline.",
)
def clearance(request: HttpRequest, filters: Query[ClearanceFilter]) -> dict[str, Any]:
    user, _ = regulator_of(request)
    try:
        month = date.fromisoformat(filters.month + "-01")
    except ValueError:
        raise FieldError("month", filters.month, "应为 YYYY-MM (expected YYYY-MM)") from None
    assert user.region is not None
    region = user.region
    if filters.region:
        region = get_region(filters.region)
        if not access.covers(user, region.code):
            raise NotFound(
                f"region {filters.region!r}: 不在辖区内 (not in your region)",
                field="region",
                value=filters.region,
            )
    first, last = queries.month_bounds(month)
    total = queries.clearance(region.scope_prefix, first, last)
    return ok(
        {
            "month": filters.month,
            "region": region.code,
            "name": region.name,
            "total": total.as_dict(),
            "rows": queries.clearance_by_child(region, month),
        }
    )


def _order(request: HttpRequest, order_id: int) -> WorkOrder:
    user, _ = regulator_of(request)
    row = queries.orders_for(user).filter(pk=order_id).first()
    if row is None:
        raise NotFound(
            f"work order {order_id}: 不存在 (no such work order)", field="id", value=order_id
        )
    return row


@router.get(
    "workorders/{order_id}",
    response=REGULATOR,
    summary="工单详情 (one work order, its logs and timeline)",
)
def workorder(request: HttpRequest, order_id: int) -> dict[str, Any]:
    return ok(queries.order_detail(_order(request, order_id)))


class OpenIn(Schema):
    inscode: str
    rnums: list[str] = Field(..., min_length=1)
    title: str
    description: str = ""


@router.post(
    "workorders",
    response=REGULATOR,
    summary="人工立案 (open a work order by hand for a school and some teaching logs)",
    description="Repeating the same request while the order is unresolved returns it with "
    "`created` false.",
)
def open_workorder(request: HttpRequest, payload: OpenIn) -> dict[str, Any]:
    _, actor = regulator_of(request)
    order, created = services.open_manual(
        actor=actor,
        inscode=payload.inscode,
        rnums=payload.rnums,
        title=payload.title,
        description=payload.description,
    )
    return ok({**queries.order_detail(_order(request, order.pk)), "created": created})


@router.post("workorders/{order_id}/start", response=REGULATOR, summary="开始处置 (take the order)")
def start(request: HttpRequest, order_id: int) -> dict[str, Any]:
    _, actor = regulator_of(request)
    services.start(actor=actor, order_id=order_id)
    return ok(queries.order_detail(_order(request, order_id)))


class ResolveIn(Schema):
    decision: Literal["voided", "upheld"]
    reason: str = ""
    rnums: list[str] | None = None


@router.post(
    "workorders/{order_id}/resolve",
    response=REGULATOR,
    summary="处置工单 (voided: the logs are void, approvals revoked; upheld: hours stand)",
    description="A reason is required. `rnums` limits voiding to some of the order's logs. "
    "Repeating the same decision changes nothing.",
)
def resolve(request: HttpRequest, order_id: int, payload: ResolveIn) -> dict[str, Any]:
    _, actor = regulator_of(request)
    services.resolve(
        actor=actor,
        order_id=order_id,
        decision=payload.decision,
        reason=payload.reason,
        rnums=payload.rnums,
    )
    return ok(queries.order_detail(_order(request, order_id)))


class EscalateIn(Schema):
    reason: str = ""


@router.post(
    "workorders/{order_id}/escalate",
    response=REGULATOR,
    summary="上报上级 (hand to the region above)",
)
def escalate(request: HttpRequest, order_id: int, payload: EscalateIn) -> dict[str, Any]:
    _, actor = regulator_of(request)
    services.escalate(actor=actor, order_id=order_id, reason=payload.reason)
    return ok(queries.order_detail(_order(request, order_id)))
