"""What jiapei sends the police platform: an approved part's hours, or their withdrawal.

Builders take plain values (the stage review's figures), lay them out as :mod:`.wire` describes
and check them against it, so a malformed message fails the decision that wanted to send it
instead of dying in the outbox. The idempotency key derives from the stage record and the
decision's moment (:func:`.wire.hours_key`), so the same decision always gets the same key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils import timezone

from jiapei.integrations.message import Message, stamp
from jiapei.integrations.police import check_hours, check_withdraw
from jiapei.integrations.police.wire import (
    PATH_HOURS,
    PATH_WITHDRAW,
    SUBJECT_FOR_PART,
    hours_key,
    withdraw_key,
)


def hours(message: dict[str, Any]) -> Message:
    """An hours push of a ready ``message`` (the fields of ``wire.hours_problems``), checked."""
    check_hours(message)
    return Message(path=PATH_HOURS, payload=message, key=hours_key(message))


def withdrawal(message: dict[str, Any]) -> Message:
    """A withdrawal of a ready ``message`` (``wire.withdraw_problems``), checked."""
    check_withdraw(message)
    return Message(path=PATH_WITHDRAW, payload=message, key=withdraw_key(message))


def hours_push(
    *,
    idcard: str,
    cardtype: str,
    name: str,
    stunum: str,
    traintype: str,
    part: int,
    minutes: Mapping[str, int],
    mileage: float,
    inscode: str,
    insname: str,
    auditunit: str,
    auditor: str,
    at: datetime,
    stageid: str,
    transition: bool,
    coach: tuple[str, str] | None = None,
) -> Message:
    """The approved hours of one student's syllabus ``part``: ``minutes`` by mode field
    (vehicletime, classtime, simulatortime, networktime), approved by ``auditor`` of
    ``auditunit`` at ``at``; ``coach`` (number, name) is who taught most of them, if anyone."""
    message: dict[str, Any] = {
        "idcard": idcard,
        "cardtype": cardtype,
        "name": name,
        "stunum": stunum,
        "traintype": traintype,
        "subject": SUBJECT_FOR_PART[part],
        "part": part,
        "totaltime": sum(minutes.values()),
        **minutes,
        "mileage": round(float(mileage), 3),
        "inscode": inscode,
        "insname": insname,
        "auditunit": auditunit,
        "auditor": auditor,
        "auditdate": timezone.localtime(at).date().isoformat(),
        "updatetime": stamp(at),
        "stageid": stageid,
        "transition": transition,
    }
    if coach is not None:
        message["coachnum"], message["coachname"] = coach
    return hours(message)


def hours_withdrawal(*, idcard: str, part: int, stageid: str, reason: str, at: datetime) -> Message:
    """The approval of stage record ``stageid`` (the student's ``part``) no longer stands, as
    decided at ``at`` for ``reason``: the subject may not be booked."""
    return withdrawal(
        {
            "idcard": idcard,
            "subject": SUBJECT_FOR_PART[part],
            "stageid": stageid,
            "reason": reason,
            "updatetime": stamp(at),
        }
    )
