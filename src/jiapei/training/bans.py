"""Training bans (禁训) as ingest sees them.

The bans are supervision's (its ``TrainingBan`` rows), and supervision sits above training in
DESIGN §4, so training does not import it: supervision registers its query here when the app
loads (:meth:`jiapei.supervision.apps.SupervisionConfig.ready`) and ingest asks through
:func:`windows`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

# A ban as an interval: from ``banned_from`` (inclusive) to ``lifted_at`` (exclusive; None
# while it lasts).
Window = tuple[datetime, datetime | None]
Subject = tuple[str, str]  # (kind "coach" / "car" / "device", unified number)
WindowSource = Callable[[Iterable[Subject], datetime, datetime], dict[Subject, list[Window]]]

_source: WindowSource | None = None


def provide(source: WindowSource) -> None:
    """Make ``source`` the answer to :func:`windows` (supervision calls it once at start-up)."""
    global _source
    _source = source


def windows(
    subjects: Iterable[Subject], start: datetime, end: datetime
) -> dict[Subject, list[Window]]:
    """The bans of the given subjects that overlap [start, end], by subject; one query.

    Raises :class:`RuntimeError` when no app provides bans: ingest must never credit a banned
    coach's minutes because an app failed to load."""
    if _source is None:
        raise RuntimeError("no app provides training bans (is jiapei.supervision installed?)")
    return _source(subjects, start, end)


def banned(windows: list[Window] | None, at: datetime) -> bool:
    """Does a ban of these windows cover the instant ``at``? (From ``banned_from`` inclusive to
    ``lifted_at`` exclusive.)"""
    return any(start <= at and (until is None or at < until) for start, until in windows or ())
