"""The callbacks jiapei sends timing platforms (standards.md §2.3) and our ``/trainingban``.

Builders take plain values and return a :class:`~jiapei.integrations.message.Message`; the
idempotency key is the caller's (the decision it reports) except for bans, whose key is the ban
and its new status.
"""

from __future__ import annotations

from typing import Any

from jiapei.integrations.message import Message

REVIEW_PATH = "/reviewmsg"
RECORD_CHANGE_PATH = "/recordchangemsg"
BAN_PATH = "/trainingban"
BAN_STATUS = {True: "2", False: "1"}  # 0x8502 禁训状态: 2 = banned, 1 = enabled


def review(*, reviewtype: str, data: dict[str, Any], key: str) -> Message:
    """``/reviewmsg``: reviewtype 1 = teaching area, 2 = stage record; the platform then fetches
    the result. ``data`` names what was reviewed."""
    return Message(path=REVIEW_PATH, payload={"reviewtype": reviewtype, "data": data}, key=key)


def record_change(
    *, recordtype: str, changetype: str, inscode: str, recordnum: str, reason: str, key: str
) -> Message:
    """``/recordchangemsg``: recordtype 1 platform, 2 coach, 3 examiner, 4 safety officer,
    5 training car; changetype '0' = filing revoked (解除), '1' = restored (恢复)."""
    return Message(
        path=RECORD_CHANGE_PATH,
        payload={
            "recordtype": recordtype,
            "changetype": changetype,
            "inscode": inscode,
            "recordnum": recordnum,
            "reason": reason,
        },
        key=key,
    )


def training_ban(
    *, ban_id: int, kind: str, number: str, inscode: str, banned: bool, message: str
) -> Message:
    """``/trainingban``: coach, car or terminal ``number`` (``kind`` coach/car/device) of school
    ``inscode`` is banned from training (``banned``) or enabled again, with the regulator's
    ``message`` (the reason of the ban or of lifting it)."""
    status = BAN_STATUS[banned]
    return Message(
        path=BAN_PATH,
        payload={
            "type": kind,
            "number": number,
            "inscode": inscode,
            "banstatus": status,
            "message": message,
        },
        key=f"trainingban:{ban_id}:{status}",
    )
