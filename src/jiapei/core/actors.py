"""Who is acting: every service call names an actor, and the audit trail records it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jiapei.accounts.models import User
    from jiapei.registry.models import TimingPlatform


@dataclass(frozen=True)
class Actor:
    """A user, a timing platform, or the system itself (the worker, the simulator, a command)."""

    kind: str
    label: str
    user: User | None = None
    platform: TimingPlatform | None = None

    @classmethod
    def for_user(cls, user: User) -> Actor:
        return cls(kind="user", label=user.get_username(), user=user)

    @classmethod
    def for_platform(cls, platform: TimingPlatform) -> Actor:
        return cls(kind="platform", label=f"platform:{platform.platnum}", platform=platform)

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(kind="system", label=label)
