"""Waiting on a condition instead of sleeping for a guessed time.

A fixed sleep is either too short on a loaded machine (the test fails by chance) or too long
everywhere else; :func:`wait_until` returns as soon as the condition holds and, when it never
does, fails with what it waited for and what it saw last.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class ConditionTimeout(AssertionError):
    """The awaited condition did not hold in time (an ``AssertionError``: the test fails)."""


def wait_until(
    predicate: Callable[[], T],
    timeout: float,
    interval: float = 0.1,
    *,
    what: str = "",
    describe: Callable[[], object] | None = None,
) -> T:
    """Call ``predicate`` every ``interval`` seconds until it returns a truthy value, and return
    that value. After ``timeout`` seconds raise :class:`ConditionTimeout`, naming ``what`` was
    awaited (default: the predicate's name), the last value the predicate returned and, when
    ``describe`` is given, what it says about the state of things then.

    The predicate runs at least once, and once more at the deadline, so a slow predicate (e.g.
    one that starts a process) still gets its last chance. Exceptions it raises propagate.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            name = what or getattr(predicate, "__name__", repr(predicate))
            seen = f"; {describe()}" if describe is not None else ""
            raise ConditionTimeout(
                f"waited {timeout:g} s for {name}; it did not happen (last value: {value!r}{seen})"
            )
        time.sleep(min(interval, remaining))
