"""Who is acting: every service call names an actor, and the audit trail records it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    """A user, a timing platform, or the system itself (the worker, the simulator, a command).

    ``user`` is an ``accounts.User`` and ``platform`` a ``registry.TimingPlatform``. They are
    typed ``Any`` because core is the ground floor and imports no app above it (DESIGN §4), not
    even for type checking.
    """

    kind: str
    label: str
    user: Any = None
    platform: Any = None

    @classmethod
    def for_user(cls, user: Any) -> Actor:
        return cls(kind="user", label=user.get_username(), user=user)

    @classmethod
    def for_platform(cls, platform: Any) -> Actor:
        return cls(kind="platform", label=f"platform:{platform.platnum}", platform=platform)

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(kind="system", label=label)
