"""Background work of fraud detection, run by ``jiapei worker`` (placeholder)."""

from __future__ import annotations

from jiapei.core.actors import Actor


def scan_due(*, actor: Actor, limit: int = 5) -> int:
    """Scan the days named by pending :class:`ScanRequest` rows. Returns how many."""
    return 0
