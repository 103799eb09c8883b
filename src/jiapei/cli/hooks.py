"""Hooks one app offers another that it must not import: wired here, once per process, by
:meth:`jiapei.cli.apps.CliConfig.ready`.

* A finding a fraud scan stores for the first time goes to the work-order service, which opens a
  work order if the finding's severity warrants one (``fraud.services.on_new_finding``).
"""

from __future__ import annotations

from typing import Any

from jiapei.core.actors import Actor
from jiapei.fraud import services as fraud
from jiapei.fraud.models import Finding
from jiapei.workorders import services as workorders


def open_work_order(finding: Finding, *, actor: Actor) -> Any:
    """The work order for a new finding, or None if it warrants none. ``open_for_finding`` is
    looked up at call time, so a test may replace it."""
    return workorders.open_for_finding(actor=actor, finding=finding)


def connect() -> None:
    """Register every hook (idempotent)."""
    fraud.on_new_finding(open_work_order)
