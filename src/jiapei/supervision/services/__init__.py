"""Writes of supervision: the sampled manual audit (``manual_audit``: policies, draws, verdicts)
and sanctions (``sanctions``: the key-supervision list and training bans). Every writer is one
transaction with an audit-log row."""

from jiapei.supervision.services.manual_audit import draw, record_verdict, set_policy
from jiapei.supervision.services.sanctions import add_to_watchlist, ban, lift_ban, lift_watch

__all__ = [
    "add_to_watchlist",
    "ban",
    "draw",
    "lift_ban",
    "lift_watch",
    "record_verdict",
    "set_policy",
]
