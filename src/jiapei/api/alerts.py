"""The regulators' view of the operational alerts: which units of background work keep failing
(:mod:`jiapei.core.alerts`). The worker serves the whole province, so only the province's
regulators see them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from jiapei.accounts import access
from jiapei.api.auth import user_auth
from jiapei.api.common import REGULATOR, Page, paged, regulator_of
from jiapei.core.models import OperationalAlert

router = Router(auth=user_auth, tags=["监管端 / regulators"])


class AlertFilter(Page):
    # By default the open alerts only; ``all=true`` adds the resolved ones.
    all: bool = False
    task: str | None = None


def alert_wire(alert: OperationalAlert) -> dict[str, Any]:
    """An alert as the API shows it."""
    return {
        "id": alert.pk,
        "task": alert.task,
        "unit": alert.unit,
        "exc_type": alert.exc_type,
        "message": alert.message,
        "traceback": alert.traceback,
        "first_seen": alert.first_seen.isoformat(),
        "last_seen": alert.last_seen.isoformat(),
        "count": alert.count,
        "retry_at": alert.retry_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
    }


@router.get(
    "alerts",
    response=REGULATOR,
    summary="运行告警 (failures of the background work; province only)",
)
def alerts(request: HttpRequest, filters: Query[AlertFilter]) -> dict[str, Any]:
    user, _ = regulator_of(request)
    access.require(user, access.Action.READ_OPERATIONAL_ALERTS)
    qs = OperationalAlert.objects.all()
    if not filters.all:
        qs = qs.filter(resolved_at__isnull=True)
    if filters.task:
        qs = qs.filter(task=filters.task)
    return paged(qs, filters, alert_wire)
