"""MINUTE_RESENT: one wall-clock minute of a student sent again under another record number.

A school doubles its hours by re-sending audited minutes (same student, terminal, coach, time
and position) under new record numbers. Ingest credits the first record of each student-minute
and stores the others rejected (``MINUTE_REPEATED``), so no minute is credited twice; this
detector tells the regulator it happened. It groups every minute the student has on the
scanned day — across sessions, terminals and record numbers — by wall-clock minute, and
reports each session holding a minute whose wall-clock minute an earlier record already had.

The code registers itself in :data:`base.DETECTORS` here, so the detector lives in this one
module (added with issue 18's "one minute, one credit").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jiapei.fraud.detectors.base import (
    DETECTORS,
    Draft,
    MinuteData,
    ScanContext,
    SessionData,
    about,
)

CODE = "MINUTE_RESENT"
DETECTORS.setdefault(
    CODE,
    ("同一分钟学时重复上报", "one minute of a student sent again under new numbers", "重复上报"),
)


@dataclass(frozen=True)
class ResentParams:
    min_minutes: int = 2
    """Re-sent minutes a session needs for a finding. A terminal that reboots mid-minute may
    number one minute twice; two or more is a pattern, not a glitch."""
    high_minutes: int = 10
    """From this many re-sent minutes the finding is of high severity."""


def _params(context: ScanContext) -> ResentParams:
    params = getattr(context.params, "resent", context.params)
    return params if isinstance(params, ResentParams) else ResentParams()


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def detect(context: ScanContext) -> list[Draft]:
    params = _params(context)
    first: dict[tuple[str, datetime], MinuteData] = {}
    entries = [
        (minute.at, minute.recordnum, session.rnum, session, minute)
        for session in context.sessions
        for minute in session.minutes
    ]
    # The first record of a student-minute (by time, then number) is the original; every
    # later one is a copy, wherever it sits.
    copies: dict[str, list[tuple[MinuteData, MinuteData]]] = {}
    sessions: dict[str, SessionData] = {}
    for _at, _num, rnum, session, minute in sorted(entries, key=lambda e: (e[0], e[1], e[2])):
        key = (session.stunum, _minute(minute.at))
        original = first.get(key)
        if original is None:
            first[key] = minute
            continue
        copies.setdefault(rnum, []).append((minute, original))
        sessions[rnum] = session
    drafts = []
    for rnum in sorted(copies):
        pairs = copies[rnum]
        if len(pairs) < params.min_minutes:
            continue
        session = sessions[rnum]
        count = len(pairs)
        drafts.append(
            Draft(
                detector=CODE,
                key=f"{CODE}:{rnum}",
                severity="high" if count >= params.high_minutes else "medium",
                summary=(
                    f"学员{session.stunum}在{session.start:%Y-%m-%d %H:%M}开始的培训中有{count}"
                    "分钟与已上报的学时记录处于同一分钟，却使用了新的记录编号，疑似重复上报学时"
                    "（同一分钟只认可一次）。"
                ),
                summary_en=(
                    f"Student {session.stunum}, session starting {session.start:%Y-%m-%d %H:%M}: "
                    f"{count} minutes fall in wall-clock minutes already reported under other "
                    "record numbers; the hours are suspected to be re-sent (each minute counts "
                    "once)."
                ),
                **about(session),
                score=float(count),
                evidence={
                    "minutes": [copy.recordnum for copy, _ in pairs],
                    "originals": [original.recordnum for _, original in pairs],
                    "figures": {"resent_minutes": count},
                },
            )
        )
    return drafts
