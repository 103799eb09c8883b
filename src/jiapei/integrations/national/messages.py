"""What jiapei forwards to the national platform: approved stage hours and completions.

Builders take plain values and return a :class:`~jiapei.integrations.message.Message` whose path
is the national resource (``province/{path}`` on the wire, see :mod:`.client`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from jiapei.integrations.message import Message, stamp


def stage_hours(
    *,
    review_id: int,
    inscode: str,
    stunum: str,
    part: int,
    minutes: Mapping[str, int],
    mileage: float,
    examresult: str,
    at: datetime,
    transition: bool,
) -> Message:
    """A part's approved hours (stage review ``review_id``, approved at ``at``), in the shape of
    the stage record the timing platforms send (standards.md §2.2 stagetrainningtime)."""
    total = sum(minutes.values())
    return Message(
        path="stagetrainningtime",
        payload={
            "inscode": inscode,
            "stunum": stunum,
            "subject": part,
            "totaltime": total,
            **minutes,
            "duration": total,
            "mileage": round(float(mileage), 3),
            "examresult": examresult or "",
            "approvedat": stamp(at),
            "transition": transition,
        },
        key=f"national:stage:{review_id}:{stamp(at)}",
    )


def graduation(
    *,
    graduation_id: int,
    stunum: str,
    autinscode: str,
    gracertnum: str,
    grantdate: date,
    esignature: str,
) -> Message:
    """A completion (结业) filed by a timing platform (row ``graduation_id``)."""
    return Message(
        path="graduation",
        payload={
            "stunum": stunum,
            "autinscode": autinscode,
            "gracertnum": gracertnum,
            "grantdate": grantdate.strftime("%Y%m%d"),
            "esignature": esignature,
        },
        key=f"graduation:{graduation_id}",
    )
