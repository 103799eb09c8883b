"""Work-order services (placeholder)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jiapei.core.actors import Actor
from jiapei.workorders.models import WorkOrder

if TYPE_CHECKING:
    from jiapei.fraud.models import Finding
    from jiapei.supervision.models import ManualReview


def open_for_finding(finding: Finding, *, actor: Actor) -> WorkOrder | None:
    """Open (or return the existing) work order for a finding; None if the finding does not
    warrant one. Call inside the caller's transaction."""
    return None


def open_for_review(review: ManualReview, *, actor: Actor) -> WorkOrder:
    """Open (or return the existing) work order for a bad manual-audit verdict."""
    raise NotImplementedError
