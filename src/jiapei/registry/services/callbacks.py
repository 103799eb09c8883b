"""Callbacks to timing platforms (standards.md §2.3), written to the outbox. The messages are
built by :mod:`jiapei.integrations.timingplatform.messages`."""

from __future__ import annotations

from typing import Any

from jiapei.integrations.timingplatform import messages
from jiapei.outbox.models import Destination
from jiapei.outbox.services import enqueue_message
from jiapei.registry.models import TimingPlatform


def notify_review(
    *, platform: TimingPlatform, reviewtype: str, data: dict[str, Any], key: str
) -> None:
    """``/reviewmsg``: reviewtype 1 = teaching area, 2 = stage record."""
    enqueue_message(
        messages.review(reviewtype=reviewtype, data=data, key=key),
        destination=Destination.TIMING_PLATFORM,
        platform=platform,
    )


def notify_record_change(
    *,
    platform: TimingPlatform,
    recordtype: str,
    changetype: str,
    inscode: str,
    recordnum: str,
    reason: str,
    key: str,
) -> None:
    """``/recordchangemsg``: recordtype 1 platform, 2 coach, 3 examiner, 4 safety officer,
    5 training car; changetype '0' = filing revoked (解除), '1' = restored (恢复)."""
    enqueue_message(
        messages.record_change(
            recordtype=recordtype,
            changetype=changetype,
            inscode=inscode,
            recordnum=recordnum,
            reason=reason,
            key=key,
        ),
        destination=Destination.TIMING_PLATFORM,
        platform=platform,
    )
