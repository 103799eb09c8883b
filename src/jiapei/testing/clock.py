"""The ``frozen_clock`` fixture: tests that hold the platform's clock (:mod:`jiapei.core.clock`).

Use it for a test about a particular moment (a month end, a leap day, a deadline passing)::

    def test_overdue(frozen_clock):
        frozen_clock.freeze("2027-03-31 23:50")  # Shanghai wall-clock time
        ...
        frozen_clock.advance(minutes=20)  # now 2027-04-01 00:10 in Shanghai

or give the instant through indirect parametrisation
(``@pytest.mark.parametrize("frozen_clock", ["2028-02-29 09:00"], indirect=True)``). Without
either the clock stands at :data:`FROZEN_AT`. The real clock is back after the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from jiapei.core import clock

# A Tuesday morning in Shanghai, away from month, year and DST-like boundaries.
FROZEN_AT = "2026-09-01 10:00"


class FrozenClock:
    """A handle on the frozen clock: move it with :meth:`freeze` and :meth:`advance`, read it
    with :meth:`now` (UTC), :meth:`localnow` and :meth:`today` (the platform's zone)."""

    def freeze(self, at: datetime | date | str, *, tick: bool = False) -> datetime:
        return clock.freeze(at, tick=tick)

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        return clock.advance(delta, **parts)

    def now(self) -> datetime:
        return clock.now()

    def localnow(self) -> datetime:
        return clock.localnow()

    def today(self) -> date:
        return clock.today()


@pytest.fixture
def frozen_clock(request: Any) -> Iterator[FrozenClock]:
    """The platform's clock frozen at ``request.param`` (indirect parametrisation) or at
    :data:`FROZEN_AT`; unfrozen after the test."""
    with clock.frozen(getattr(request, "param", FROZEN_AT)):
        yield FrozenClock()
