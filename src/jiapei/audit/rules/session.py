"""Session-level (teaching log, 电子教学日志) rules that are not about photos (§4.2 R1, R3)."""

from __future__ import annotations

from jiapei.audit.facts import Mode, SessionFact
from jiapei.audit.thresholds import Thresholds


def session_distance_km(session: SessionFact) -> float:
    """Total mileage the session's minute records claim, in km.

    The minutes are what the terminal signed, so they are preferred to the timing platform's
    ``reported_mileage``; the latter is used only for a session without minute records.
    """
    if session.minutes:
        return sum(m.mileage for m in session.minutes)
    return session.reported_mileage or 0.0


def short_distance(session: SessionFact, thresholds: Thresholds) -> bool:
    """SHORT_DISTANCE: a practical session that covered less than ``short_distance_km``."""
    if session.mode != Mode.PRACTICAL:
        return False
    return session_distance_km(session) < thresholds.short_distance_km


def valid_share_fails(total: int, valid: int, thresholds: Thresholds) -> bool:
    """VALID_SHARE: whether valid / total is below ``valid_share_min``.

    A session without any minute has no valid share at all and fails, so that a log whose
    sign-out follows sign-in within a minute never counts (one vendor gives it 0 学时).
    """
    if total <= 0:
        return True
    return valid / total < thresholds.valid_share_min
