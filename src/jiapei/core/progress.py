"""Progress bars with an estimate of the time left, for long command-line work.

Long loops (training days played, students audited, days scanned, benchmark runs) wrap their
iterable in :func:`bar`. A bar is drawn only while a command has switched progress on (see
:func:`shows_progress` and :func:`shown`) and only on a terminal: it goes to stderr, so a
command's figures on stdout stay exactly as they were, and nothing is drawn when stderr is a
file or a pipe (logs, CI, tests). The worker and the API never switch progress on, so the same
loops run silently there. ``--quiet`` (:func:`add_quiet_argument`) keeps a command run from a
terminal silent too, for scripts.

The bars are tqdm's (a small, maintained library without dependencies of its own).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from tqdm import tqdm

T = TypeVar("T")
Handle = TypeVar("Handle", bound=Callable[..., Any])

# None until a command decides; then whether bars are drawn (if stderr is a terminal).
_shown: ContextVar[bool | None] = ContextVar("jiapei_progress_shown", default=None)


@contextmanager
def shown(enabled: bool = True) -> Iterator[None]:
    """Within the block, :func:`bar` draws on stderr if it is a terminal (or, with
    ``enabled=False``, never). The outermost decision holds: a command that another one runs
    (``call_command``) neither draws bars inside a ``--quiet`` one nor hides them in a shown one.
    """
    if _shown.get() is not None:
        yield
        return
    token = _shown.set(enabled)
    try:
        yield
    finally:
        _shown.reset(token)


def active() -> bool:
    """Whether a bar started now would be drawn."""
    stream = sys.stderr
    return bool(_shown.get()) and stream is not None and stream.isatty()


def bar(
    iterable: Iterable[T], *, desc: str, total: float | None = None, unit: str = "it"
) -> Iterator[T]:
    """``iterable``, drawing a bar labelled ``desc`` with the count, the rate and the time left
    while it is consumed (if :func:`active`). ``total`` defaults to ``len(iterable)``. The bar
    is removed when the loop ends, leaving the terminal as the figures left it."""
    if not active():
        return iter(iterable)
    drawn = tqdm(
        iterable, desc=desc, total=total, unit=unit, file=sys.stderr, leave=False,
        dynamic_ncols=True,
    )  # fmt: skip
    return iter(drawn)


class _Silent:
    """What :func:`tally` yields when no bar is drawn."""

    def update(self, n: float = 1) -> None:
        pass


@contextmanager
def tally(*, desc: str, total: float | None, unit: str = "it") -> Iterator[Any]:
    """A bar for work that is not one loop over an iterable: call ``.update(n)`` on what this
    yields as ``n`` more units are done (drawn only if :func:`active`, like :func:`bar`)."""
    if not active():
        yield _Silent()
        return
    drawn = tqdm(
        desc=desc, total=total, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True
    )
    try:
        yield drawn
    finally:
        drawn.close()


def write(line: str) -> None:
    """Print ``line`` on stdout now, above any bar being drawn (a plain ``print`` would land on
    the bar's line of the terminal); the text on stdout is the same either way."""
    if active():
        tqdm.write(line, file=sys.stdout)
    else:
        print(line)
    sys.stdout.flush()


def add_quiet_argument(parser: Any) -> None:
    """Add ``--quiet`` to a command's (argparse) parser."""
    parser.add_argument(
        "--quiet", action="store_true",
        help="no progress bar on stderr (for scripts); the printed figures are the same",
    )  # fmt: skip


def shows_progress(handle: Handle) -> Handle:
    """Decorate a management command's ``handle``: progress is shown while it runs, unless
    ``--quiet`` was given (see :func:`add_quiet_argument`)."""

    @functools.wraps(handle)
    def wrapped(self: Any, *args: Any, **options: Any) -> Any:
        with shown(not options.get("quiet", False)):
            return handle(self, *args, **options)

    return wrapped  # type: ignore[return-value]
