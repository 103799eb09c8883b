"""Background work of work orders, run by ``jiapei worker``."""

from __future__ import annotations

from django.db import transaction

from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.workorders.models import OrderState, WorkOrder
from jiapei.workorders.services import ACTIVE_STATES, escalate_locked

OVERDUE_REASON = "逾期未处置，自动上报上级 (past its deadline; escalated automatically)"


def escalate_overdue(*, actor: Actor) -> int:
    """Escalate, once, every unresolved order past its deadline that was never escalated, to
    the region above its owner. Returns how many.

    An order escalated before (by hand or by an earlier pass) is left with the region that now
    holds it, so each order is escalated automatically at most once; its deadline is kept, so
    the region above sees it as overdue and the clearance figures count it late. An order at
    the province (nobody above) is skipped. Each order is its own transaction.
    """
    now = clock.now()
    due = WorkOrder.objects.filter(
        state__in=[s for s in ACTIVE_STATES if s != OrderState.ESCALATED],
        escalated_at__isnull=True,
        deadline__lt=now,
        region__parent__isnull=False,
    ).values_list("pk", flat=True)
    count = 0
    for pk in list(due):
        with transaction.atomic():
            order = (
                WorkOrder.objects.select_for_update()
                .filter(pk=pk, escalated_at__isnull=True, state__in=ACTIVE_STATES)
                .first()
            )
            if order is None:  # resolved or escalated meanwhile
                continue
            escalate_locked(actor=actor, order=order, reason=OVERDUE_REASON)
            count += 1
    return count
