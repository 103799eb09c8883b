"""Small helpers shared by the rule modules: minute spans, runs and distances."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from jiapei.audit.facts import MinuteFact

EARTH_RADIUS_M = 6_371_008.8
MINUTE = timedelta(minutes=1)


def minute_span(minute: MinuteFact) -> tuple[datetime, datetime]:
    """Return the half-open interval [start, end) a minute record covers.

    ``at`` is the minute's last second (standards.md §1.6), so the minute runs from
    ``at - 59 s`` up to, but excluding, ``at + 1 s``.
    """
    start = minute.at - timedelta(seconds=59)
    return start, start + MINUTE


def in_time_order(minutes: Sequence[MinuteFact]) -> list[MinuteFact]:
    """Return the minutes sorted by time, ties broken by id, for deterministic runs."""
    return sorted(minutes, key=lambda m: (m.at, m.id))


def runs(minutes: Sequence[MinuteFact], predicate: Callable[[MinuteFact], bool]) -> list[list[int]]:
    """Return the ids of each maximal run of adjacent minutes that satisfy ``predicate``.

    Adjacent means neighbours in the session's time order: a lost record between two
    stationary minutes does not make the car any less stationary.
    """
    result: list[list[int]] = []
    current: list[int] = []
    for minute in in_time_order(minutes):
        if predicate(minute):
            current.append(minute.id)
        elif current:
            result.append(current)
            current = []
    if current:
        result.append(current)
    return result


def distance_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle (haversine) distance in metres between two WGS-84 points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Whether two half-open intervals share a positive length of time."""
    return max(a_start, b_start) < min(a_end, b_end)
