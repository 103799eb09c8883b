"""Scanning stored training data with the detectors and storing what they find (placeholder)."""

from __future__ import annotations

from datetime import date

from jiapei.core.actors import Actor
from jiapei.fraud.models import Finding


def scan_day(day: date, *, actor: Actor) -> list[Finding]:
    """Run every day detector over the sessions of local ``day``; store and return findings."""
    return []


def scan_period(first: date, last: date, *, actor: Actor) -> list[Finding]:
    """Run the school-level detectors over [first, last]; store and return findings."""
    return []
