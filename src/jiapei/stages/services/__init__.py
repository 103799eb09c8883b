"""Writes of the stage review: assembly and decisions (``reviews``), legacy backfills
(``backfill``) and what a decision sends out (``outgoing``). Every writer is one transaction
with an audit-log row."""

from jiapei.stages.services.backfill import review_backfill, submit_backfill
from jiapei.stages.services.reviews import assemble, review, revoke

__all__ = ["assemble", "review", "review_backfill", "revoke", "submit_backfill"]
