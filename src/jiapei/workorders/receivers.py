"""What work orders do on other apps' events (connected in :class:`WorkordersConfig.ready`)."""

from __future__ import annotations

from typing import Any

from jiapei.core.actors import Actor
from jiapei.supervision.models import ManualReview
from jiapei.workorders import services


def open_for_bad_verdict(sender: Any, *, review: ManualReview, actor: Actor, **_: Any) -> None:
    """A bad manual-audit verdict opens a work order, in the verdict's transaction."""
    services.open_for_review(actor=actor, review=review)
