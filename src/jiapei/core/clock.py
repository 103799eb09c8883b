"""The platform's one clock: every read of the current date or time goes through this module.

Product code, the simulator, the demo and the signing code ask this module what time it is,
never ``date.today()``, ``datetime.now()``, ``django.utils.timezone.now()`` or ``time.time()``
(ruff's DTZ rules catch the first two). Durations, timeouts and sleeps are not readings of the
calendar and keep using ``time.monotonic()`` and ``time.sleep()``.

Contract:

* :func:`now` is an aware ``datetime`` in UTC, as ``django.utils.timezone.now()`` is with
  ``USE_TZ = True``; it is what goes into the database.
* :func:`localnow` is the same instant in the platform's zone, ``settings.TIME_ZONE``
  (Asia/Shanghai; the zone is fixed by the settings, not by an ``activate()``d request zone).
* :func:`today` is the platform's calendar day: the date of :func:`localnow`, so between 00:00
  and 08:00 in Shanghai it is one day ahead of UTC's date.
* :func:`epoch_ms` is :func:`now` as whole milliseconds since the Unix epoch (the ``ts`` of a
  signed request).

Tests hold the clock with :func:`freeze` / :func:`advance` / :func:`unfreeze`, the :func:`frozen`
context manager or the ``frozen_clock`` pytest fixture (``jiapei.testing.clock``). A frozen
clock stands still until advanced; ``tick=True`` starts it at the given instant and lets it run
at real speed. The override is held by this module, so it is seen by every thread of the
process (e.g. a live test server), but not by other processes. Under Debian's ``faketime`` the
real clock reads the faked time and this module follows it unchanged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

__all__ = [
    "advance",
    "epoch_ms",
    "freeze",
    "frozen",
    "instant",
    "is_frozen",
    "localnow",
    "now",
    "today",
    "unfreeze",
    "zone",
]

# The platform's zone when Django's settings are not configured (e.g. the police simulator run
# as its own process); settings.TIME_ZONE otherwise.
DEFAULT_ZONE = "Asia/Shanghai"

_lock = threading.Lock()
# The frozen instant (aware, UTC), or None for the real clock; with ``_since`` set the clock
# ticks from ``_anchor`` since that ``time.monotonic()`` reading.
_anchor: datetime | None = None
_since: float | None = None


def zone() -> ZoneInfo:
    """The platform's time zone: ``settings.TIME_ZONE``, or Asia/Shanghai without settings."""
    from django.conf import settings

    return ZoneInfo(settings.TIME_ZONE if settings.configured else DEFAULT_ZONE)


def now() -> datetime:
    """The current instant, aware, in UTC (frozen or advanced by tests; see the module)."""
    with _lock:
        anchor, since = _anchor, _since
    if anchor is None:
        return datetime.now(UTC)
    if since is None:
        return anchor
    return anchor + timedelta(seconds=time.monotonic() - since)


def localnow() -> datetime:
    """The current instant in the platform's zone (:func:`zone`), aware."""
    return now().astimezone(zone())


def today() -> date:
    """The platform's calendar day: the date of :func:`localnow` (a Shanghai day, not UTC's)."""
    return localnow().date()


def epoch_ms() -> int:
    """:func:`now` in whole milliseconds since 1970-01-01T00:00Z."""
    return (now() - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def instant(at: datetime | date | str) -> datetime:
    """``at`` as an aware UTC instant. A naive datetime (or ISO text without an offset) is a
    wall-clock time in the platform's zone; a bare date means noon of that day there (the same
    calendar day in UTC and in Shanghai)."""
    if isinstance(at, str):
        text = at.strip()
        at = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    if not isinstance(at, datetime):
        at = datetime.combine(at, clock_time(12, 0))
    if at.tzinfo is None:
        at = at.replace(tzinfo=zone())
    return at.astimezone(UTC)


def freeze(at: datetime | date | str, *, tick: bool = False) -> datetime:
    """Stop the clock at ``at`` (see :func:`instant` for naive values); with ``tick`` it runs on
    from there at real speed. Returns the instant, in UTC."""
    global _anchor, _since
    moment = instant(at)
    with _lock:
        _anchor, _since = moment, (time.monotonic() if tick else None)
    return moment


def advance(delta: timedelta | None = None, **parts: float) -> datetime:
    """Move a frozen clock forward by ``delta`` or by ``timedelta(**parts)`` (negative moves it
    back); returns the new :func:`now`. Advancing the real clock is refused."""
    global _anchor
    step = (delta or timedelta()) + timedelta(**parts)
    with _lock:
        if _anchor is None:
            raise RuntimeError("the clock is not frozen: freeze() it before advancing it")
        _anchor += step
    return now()


def unfreeze() -> None:
    """Back to the real clock."""
    global _anchor, _since
    with _lock:
        _anchor, _since = None, None


def is_frozen() -> bool:
    """Whether a test holds the clock."""
    return _anchor is not None


@contextmanager
def frozen(at: datetime | date | str, *, tick: bool = False) -> Iterator[datetime]:
    """Freeze the clock at ``at`` for the ``with`` block, then restore what was before (the
    real clock or an outer freeze). Yields the frozen instant in UTC."""
    global _anchor, _since
    with _lock:
        saved = _anchor, _since
    try:
        yield freeze(at, tick=tick)
    finally:
        with _lock:
            _anchor, _since = saved
