"""Background work of work orders, run by ``jiapei worker``."""

from __future__ import annotations

from functools import partial

from jiapei.core import alerts, clock
from jiapei.core.actors import Actor
from jiapei.workorders.models import OrderState, WorkOrder
from jiapei.workorders.services import ACTIVE_STATES, escalate_locked

# The operational-alert task name of the escalation.
TASK = "work orders"

OVERDUE_REASON = "逾期未处置，自动上报上级 (past its deadline; escalated automatically)"


def escalate_overdue(*, actor: Actor) -> int:
    """Escalate, once, every unresolved order past its deadline that was never escalated, to
    the region above its owner. Returns how many.

    An order escalated before (by hand or by an earlier pass) is left with the region that now
    holds it, so each order is escalated automatically at most once; its deadline is kept, so
    the region above sees it as overdue and the clearance figures count it late. An order at
    the province (nobody above) is skipped. Each order is its own transaction and unit
    (:func:`jiapei.core.alerts.run_unit`, unit ``order <id>``): one that raises is rolled back
    and recorded as an operational alert, and the others go on; it is tried again next pass.
    """
    now = clock.now()
    due = WorkOrder.objects.filter(
        state__in=[s for s in ACTIVE_STATES if s != OrderState.ESCALATED],
        escalated_at__isnull=True,
        deadline__lt=now,
        region__parent__isnull=False,
    ).values_list("pk", flat=True)
    count = 0
    waiting = {row["unit"] for row in alerts.backing_off(TASK)}
    for pk in list(due):
        unit = f"order {pk}"
        if unit not in waiting and alerts.run_unit(TASK, unit, partial(_escalate, actor, pk)):
            count += 1
    return count


def _escalate(actor: Actor, pk: int) -> None:
    order = (
        WorkOrder.objects.select_for_update()
        .filter(pk=pk, escalated_at__isnull=True, state__in=ACTIVE_STATES)
        .first()
    )
    if order is not None:  # else resolved or escalated meanwhile
        escalate_locked(actor=actor, order=order, reason=OVERDUE_REASON)
