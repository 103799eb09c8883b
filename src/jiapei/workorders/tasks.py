"""Background work of work orders, run by ``jiapei worker`` (placeholder)."""

from __future__ import annotations

from jiapei.core.actors import Actor


def escalate_overdue(*, actor: Actor) -> int:
    """Escalate the work orders past their deadline. Returns how many."""
    return 0
