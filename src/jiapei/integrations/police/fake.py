"""An in-memory police platform for tests (``JIAPEI_POLICE_BACKEND = "fake"``).

It is backed by the simulator's own rules (:class:`jiapei.integrations.police.state.PoliceState`,
without a file), so a test that pushes hours through the outbox can then ask
:meth:`FakePolicePlatform.book` whether the student may book, and gets the same answer the
simulator would give. ``fail = True``
makes every call raise, as an outage would.
"""

from __future__ import annotations

from typing import Any

from jiapei.integrations.police import (
    PoliceRefused,
    PoliceUnavailable,
    check_hours,
    check_withdraw,
)
from jiapei.integrations.police.state import PoliceState, Reply
from jiapei.integrations.police.wire import hours_key, withdraw_key


class FakePolicePlatform:
    """Records every call in :attr:`sent` (path, key, message) and applies it to :attr:`state`."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.state = PoliceState()
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.fail = False

    def push_hours(
        self, message: dict[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        check_hours(message)
        key = idempotency_key or hours_key(message)
        return self._answer("/hours", key, message, self.state.push_hours)

    def withdraw_hours(
        self, message: dict[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        check_withdraw(message)
        key = idempotency_key or withdraw_key(message)
        return self._answer("/hours/withdraw", key, message, self.state.withdraw_hours)

    def query_student(self, idcard: str) -> dict[str, Any]:
        self._outage()
        return self.state.student(idcard)

    def book(self, idcard: str, subject: str) -> Reply:
        """What a student's booking would get (test helper; not part of the interface)."""
        return self.state.book({"idcard": idcard, "subject": subject})

    def _outage(self) -> None:
        if self.fail:
            raise PoliceUnavailable("fake police platform: simulated outage")

    def _answer(self, path: str, key: str, message: dict[str, Any], apply: Any) -> dict[str, Any]:
        self._outage()
        self.sent.append((path, key, message))
        reply: Reply = apply(message, key)
        if reply.errorcode != 0:
            raise PoliceRefused(f"fake police platform refused: {reply.message}")
        return dict(reply.data or {})


_SHARED: FakePolicePlatform | None = None


def shared_fake() -> FakePolicePlatform:
    """The one fake that ``get_client()`` returns, so a test can inspect what was sent."""
    global _SHARED
    if _SHARED is None:
        _SHARED = FakePolicePlatform()
    return _SHARED
