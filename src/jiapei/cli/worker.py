"""The worker's composition: which background tasks run, in which order, and which transport
carries each outbox destination.

``jiapei worker`` calls :func:`run_pass` in a loop. The order matters: the audit of closed
sessions comes first, because the stage review assembles from its part results and the fraud
scan reads its verdicts; escalation of overdue work orders is independent; the outbox is relayed
last, so the messages the earlier tasks queued in this pass go out in this pass.

No failure stops a pass: each task isolates its units (:mod:`jiapei.core.alerts`), and a task
that fails as a whole is recorded as an operational alert (unit ``*``) while the others run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from jiapei.audit.tasks import drain_requests
from jiapei.core import alerts
from jiapei.core.actors import Actor
from jiapei.fraud.tasks import scan_due
from jiapei.integrations import national, police, timingplatform
from jiapei.integrations.message import Message
from jiapei.outbox.models import Destination, OutboxMessage
from jiapei.outbox.services import TASK as OUTBOX
from jiapei.outbox.services import Transport, relay_due
from jiapei.stages.tasks import assemble_due
from jiapei.workorders.tasks import escalate_overdue

logger = logging.getLogger(__name__)


def _message(row: OutboxMessage) -> Message:
    return Message(path=row.path, payload=row.payload, key=row.idempotency_key)


def send_callback(row: OutboxMessage) -> None:
    """Transport of destination ``timing_platform``: the callback goes to the platform the row
    names, at its callback URL."""
    platform = row.platform
    if platform is None:
        raise timingplatform.CallbackRefused("message has no timing platform")
    timingplatform.send(_message(row), platnum=platform.platnum, callback_url=platform.callback_url)


def police_transport(row: OutboxMessage) -> None:
    """Transport of destination ``police``."""
    police.send(_message(row))


def national_transport(row: OutboxMessage) -> None:
    """Transport of destination ``national``."""
    national.send(_message(row))


# Which transport carries each destination; the relay raises for a destination missing here.
TRANSPORTS: dict[str, Transport] = {
    Destination.TIMING_PLATFORM: send_callback,
    Destination.POLICE: police_transport,
    Destination.NATIONAL: national_transport,
}


def relay_once(limit: int = 50) -> tuple[int, int]:
    """Relay one batch of due messages; returns (delivered, failed)."""
    return relay_due(TRANSPORTS, limit=limit)


@dataclass(frozen=True)
class Task:
    """One background task: ``run`` does what is due and returns how many items it handled;
    ``done`` words that count for the log; a task that ``keeps_busy`` makes the worker poll
    again at once instead of sleeping (more of its work may be waiting)."""

    name: str
    run: Callable[[Actor], int]
    done: str
    keeps_busy: bool = True


TASKS: tuple[Task, ...] = (
    Task("audit", lambda actor: drain_requests(actor=actor), "students audited"),
    Task("stages", lambda actor: assemble_due(actor=actor), "stage records assembled"),
    Task("fraud", lambda actor: scan_due(actor=actor), "days scanned"),
    # Escalation finds nothing new until time passes: it never keeps the worker awake.
    Task(
        "work orders",
        lambda actor: escalate_overdue(actor=actor),
        "overdue escalated",
        keeps_busy=False,
    ),
)


def run_pass(actor: Actor, write: Callable[[str], object]) -> bool:
    """Run every task once, then relay the outbox; report each non-zero count through
    ``write``. Returns True if anything was done that may have left more work behind."""
    busy = False
    for task in TASKS:
        try:
            count = task.run(actor)
        except Exception as exc:
            # The task's own query of due work failed (its units are isolated inside it): record
            # it and go on with the other tasks; the next pass tries again.
            logger.exception("%s failed", task.name)
            alerts.report_failure(task.name, alerts.WHOLE_TASK, exc)
            write(f"{task.name}: failed ({type(exc).__name__}: {exc})")
            continue
        alerts.resolve(task.name, alerts.WHOLE_TASK)
        if count:
            write(f"{task.name}: {count} {task.done}")
            busy = busy or task.keeps_busy
    try:
        delivered, failed = relay_once()
    except Exception as exc:
        logger.exception("outbox relay failed")
        alerts.report_failure(OUTBOX, alerts.WHOLE_TASK, exc)
        write(f"outbox: failed ({type(exc).__name__}: {exc})")
        return busy
    alerts.resolve(OUTBOX, alerts.WHOLE_TASK)
    if delivered or failed:
        write(f"outbox: {delivered} delivered, {failed} failed")
    return busy or bool(delivered)
