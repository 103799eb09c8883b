"""Regulators' API: fraud findings (学时造假线索), dismissals, manual scans and the detector list.

Mounted at ``/api/regulator/``. Every read and write is limited to the user's region.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from jiapei.accounts import access
from jiapei.api.auth import user_auth
from jiapei.api.common import REGULATOR, Page, paged, regulator_of
from jiapei.api.envelope import ok
from jiapei.core import clock
from jiapei.core.errors import FieldError
from jiapei.fraud import queries, services
from jiapei.fraud.detectors.base import DETECTORS

router = Router(auth=user_auth, tags=["监管端 / regulators"])


class FindingFilter(Page):
    detector: str | None = None
    severity: Literal["low", "medium", "high"] | None = None
    status: Literal["open", "ordered", "dismissed"] | None = None
    since: str | None = None
    until: str | None = None
    inscode: str | None = None
    stunum: str | None = None
    rnum: str | None = None


def _day(field: str, value: str | None) -> date | None:
    if value is None or value == "":
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise FieldError(field, value, "日期格式应为 YYYY-MM-DD (expected YYYY-MM-DD)") from None


@router.get(
    "findings",
    response=REGULATOR,
    summary="学时造假线索 (fraud findings in scope)",
    description="Filters: `detector` (a code of `fraud/detectors`), `severity`, `status`, "
    "`since`/`until` (YYYY-MM-DD, the finding's day), `inscode`, `stunum`, `rnum`.",
)
def findings(request: HttpRequest, filters: Query[FindingFilter]) -> dict[str, Any]:
    user, _ = regulator_of(request)
    if filters.detector and filters.detector not in DETECTORS:
        raise FieldError("detector", filters.detector, "未知的检测规则 (unknown detector)")
    qs = queries.filtered(
        queries.findings_for(user),
        detector=filters.detector,
        severity=filters.severity,
        status=filters.status,
        since=_day("since", filters.since),
        until=_day("until", filters.until),
        inscode=filters.inscode,
        stunum=filters.stunum,
        rnum=filters.rnum,
    )
    return paged(qs, filters, queries.finding_wire)


@router.get(
    "findings/{finding_id}", response=REGULATOR, summary="线索详情 (one finding with its evidence)"
)
def finding(request: HttpRequest, finding_id: int) -> dict[str, Any]:
    user, _ = regulator_of(request)
    return ok(queries.finding_detail(queries.get_for(user, finding_id)))


class DismissIn(Schema):
    reason: str


@router.post(
    "findings/{finding_id}/dismiss",
    response=REGULATOR,
    summary="排除线索 (dismiss an open finding as not fraud; a reason is required)",
)
def dismiss(request: HttpRequest, finding_id: int, payload: DismissIn) -> dict[str, Any]:
    user, actor = regulator_of(request)
    services.dismiss(actor=actor, finding_id=finding_id, reason=payload.reason)
    return ok(queries.finding_detail(queries.get_for(user, finding_id)))


class ScanIn(Schema):
    day: str | None = None
    month: str | None = None


def _scan_days(payload: ScanIn) -> tuple[list[date], tuple[date, date] | None]:
    """The days to scan and the period for the school detectors, from ``day`` or ``month``."""
    today = clock.today()
    if (payload.day is None) == (payload.month is None):
        raise FieldError(
            "day", payload.day, "须给出 day 或 month 之一 (give either day or month, not both)"
        )
    if payload.day is not None:
        day = _day("day", payload.day)
        assert day is not None
        if day > today:
            raise FieldError("day", payload.day, "不能扫描未来的日期 (the day is in the future)")
        return [day], None
    try:
        year, month = (int(part) for part in str(payload.month).split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise FieldError(
            "month", payload.month, "月份格式应为 YYYY-MM (expected YYYY-MM)"
        ) from None
    if first > today:
        raise FieldError("month", payload.month, "不能扫描未来的月份 (the month is in the future)")
    last = min(date(year, month, calendar.monthrange(year, month)[1]), today)
    days = [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]
    return days, (first, last)


@router.post(
    "fraud/scan",
    response=REGULATOR,
    summary="立即扫描 (scan a day or a month now; province or city regulators)",
    description='Body: `{"day": "YYYY-MM-DD"}` scans one day; `{"month": "YYYY-MM"}` '
    "scans every day of the month so far and then the school-level detectors over it. The "
    "scan covers the whole province; the reply counts only findings in the caller's region.",
)
def scan(request: HttpRequest, payload: ScanIn) -> dict[str, Any]:
    user, actor = regulator_of(request)
    access.require(user, access.Action.SCAN_FRAUD)
    days, period = _scan_days(payload)
    result = services.ScanResult()
    for day in days:
        result.extend(services.scan_day_result(actor=actor, day=day))
    if period is not None:
        result.extend(services.scan_period_result(actor=actor, first=period[0], last=period[1]))
    mine = services.ScanResult(
        findings=[f for f in result.findings if access.covers(user, f.region_id)],
        created=[f for f in result.created if access.covers(user, f.region_id)],
    )
    return ok(
        {
            "days": [d.isoformat() for d in days],
            "period": [p.isoformat() for p in period] if period else None,
            "findings": len(mine.findings),
            "created": len(mine.created),
            "by_detector": mine.by_detector,
        }
    )


@router.get("fraud/detectors", response=REGULATOR, summary="检测规则 (the fraud detectors)")
def detectors(request: HttpRequest) -> dict[str, Any]:
    regulator_of(request)
    # School-level detectors judge a period of a school's figures; the others a scanned day.
    return ok(
        [
            {
                **queries.detector_wire(code),
                "kind": "period" if code.startswith("SCHOOL_") else "day",
            }
            for code in DETECTORS
        ]
    )
