"""A month of supervision data (October 2026) for the report tests.

Schools, coaches, students and teaching logs go in through the timing-platform API. Work orders,
manual reviews, watchlist entries and findings are created on their models directly: their
services are written in parallel and are not what these tests are about. Timestamps the models
set themselves (``created_at``, ``opened_at``, ``received_at``) are moved to the dates the
scenario needs with ``update()``, as the data of a past month would have them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from jiapei.accounts.models import Role, User
from jiapei.fraud.models import Finding
from jiapei.registry.models import Institution, Personnel, Student, TimingPlatform
from jiapei.supervision.models import ManualReview, SampleDraw, WatchlistEntry
from jiapei.testing.sessions import post_classrecord
from jiapei.training.models import MinuteRecord, TeachingLog
from jiapei.workorders.models import WorkOrder

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH = "2026-10"


def local(y: int, m: int, d: int, hh: int = 9, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI)


def post_log(tp: Any, school: Any, recnum: str, start: datetime, length: int = 30) -> TeachingLog:
    """Upload one closed session's teaching log through the signed API."""
    photo = school.photo
    rnum = post_classrecord(tp, school, recnum, start, length, signin=photo, signout=photo)
    return TeachingLog.objects.get(rnum=rnum)


def institution(school: Any) -> Institution:
    return Institution.objects.get(inscode=school.inscode)


def coach(school: Any) -> Personnel:
    return Personnel.objects.get(number=school.coachnum)


_orders = iter(range(1, 100_000))


def work_order(
    school: Any,
    opened: datetime,
    *,
    resolved: datetime | None = None,
    region: str | None = None,
    state: str = "open",
) -> WorkOrder:
    ins = institution(school)
    row = WorkOrder.objects.create(
        number=f"GD{next(_orders):08d}",
        source="regulator",
        region_id=region or ins.district_id,
        institution=ins,
        title="学时异常",
        deadline=opened + timedelta(days=7),
        state="resolved" if resolved else state,
        decision="voided" if resolved else "",
        resolved_at=resolved,
    )
    WorkOrder.objects.filter(pk=row.pk).update(opened_at=opened)
    return row


def review(log: TeachingLog, verdict: str, reviewed: datetime | None) -> ManualReview:
    district = log.institution.district_id
    draw, _ = SampleDraw.objects.get_or_create(
        region_id=district,
        month=local(2026, 10, 1).date(),
        defaults={"share": Decimal("0.2"), "logs_total": 10, "seed": "test"},
    )
    return ManualReview.objects.create(
        draw=draw, log=log, reason="random", verdict=verdict, reviewed_at=reviewed
    )


def watch(
    school: Any, listed: str, lifted: str | None = None, *, of_coach: bool = False
) -> WatchlistEntry:
    ins = institution(school)
    return WatchlistEntry.objects.create(
        kind="coach" if of_coach else "school",
        region_id=ins.district_id,
        institution=ins,
        coach=coach(school) if of_coach else None,
        reason="学时造假",
        listed_on=listed,
        lifted_on=lifted,
    )


_keys = iter(range(1, 100_000))


def finding(
    school: Any,
    day: str,
    *,
    platform: TimingPlatform | None,
    logs: list[TeachingLog] = (),  # type: ignore[assignment]
    status: str = "open",
) -> Finding:
    ins = institution(school)
    row = Finding.objects.create(
        detector="TEST",
        key=f"test:{next(_keys)}",
        severity="high",
        status=status,
        region_id=ins.district_id,
        institution=ins,
        platform=platform,
        day=day,
        summary="测试线索",
    )
    row.logs.set(logs)
    return row


def minute_row(
    platform: TimingPlatform,
    student: Student,
    devnum: str,
    at: datetime,
    seq: int,
    *,
    delay: int,
    rejected: bool = False,
) -> MinuteRecord:
    """A stored minute record with a known sequence number and upload delay (seconds)."""
    row = MinuteRecord.objects.create(
        recordnum=f"{devnum}{at:%y%m%d}{seq:04d}",
        platform=platform,
        student=student,
        devnum=devnum,
        classid="1",
        at=at,
        subjcode="1212110000",
        mode=1,
        part=2,
        max_speed=15.0,
        mileage=0.3,
        result="rejected" if rejected else "accepted",
        reject_codes=["DEVICE_UNBOUND"] if rejected else [],
    )
    MinuteRecord.objects.filter(pk=row.pk).update(received_at=at + timedelta(seconds=delay))
    return row


@dataclass
class World:
    """October 2026 in Changsha (two filed schools, one filed later, one withdrawn) and Zhuzhou
    (one school). ``expected`` holds the figures the report must show."""

    a: Any
    b: Any
    z: Any
    logs: dict[str, TeachingLog] = field(default_factory=dict)
    expected: dict[str, dict[str, Any]] = field(default_factory=dict)


@pytest.fixture
def county_regulator(make_user: Callable[..., User]) -> User:
    return make_user(Role.COUNTY_REGULATOR, "430104", "yuelu")


@pytest.fixture
def world(tp: Any, file_school: Callable[..., Any]) -> World:
    a = file_school("430104")
    b = file_school("430105")
    late = file_school("430104")  # filed after October: not yet an existing institution
    gone = file_school("430104")  # withdrawn: no longer counted
    z = file_school("430202")
    september = local(2026, 9, 1)
    Institution.objects.exclude(inscode=late.inscode).update(created_at=september)
    Institution.objects.filter(inscode=gone.inscode).update(filing_status="deleted")

    w = World(a, b, z)
    w.logs["a1"] = post_log(tp, a, "00001", local(2026, 10, 1, 0, 5))
    w.logs["a2"] = post_log(tp, a, "00002", local(2026, 10, 15))
    w.logs["a3"] = post_log(tp, a, "00003", local(2026, 10, 31, 22, 0))
    post_log(tp, a, "00004", local(2026, 9, 30, 23, 0))  # September (local time)
    post_log(tp, a, "00005", local(2026, 11, 1, 0, 10))  # November
    w.logs["b1"] = post_log(tp, b, "00001", local(2026, 10, 20))
    w.logs["z1"] = post_log(tp, z, "00001", local(2026, 10, 3))
    w.logs["z2"] = post_log(tp, z, "00002", local(2026, 10, 4))

    review(w.logs["a1"], "good", local(2026, 10, 15))
    review(w.logs["a2"], "bad", local(2026, 10, 31, 23, 59))
    review(w.logs["a3"], "pending", None)
    review(w.logs["b1"], "good", local(2026, 11, 2))  # concluded in November
    review(w.logs["z1"], "bad", local(2026, 10, 9))

    work_order(a, local(2026, 10, 2), resolved=local(2026, 10, 25))
    work_order(a, local(2026, 10, 5), resolved=local(2026, 11, 3))  # resolved after the month
    work_order(b, local(2026, 10, 6), state="in_progress")
    # Escalated to the province, still about a Changsha school.
    work_order(a, local(2026, 10, 7), resolved=local(2026, 10, 28), region="430000")
    work_order(a, local(2026, 9, 30, 12), resolved=local(2026, 10, 1))  # September's
    work_order(z, local(2026, 10, 8), resolved=local(2026, 10, 9))

    watch(a, "2026-09-01")
    watch(b, "2026-10-10", "2026-10-20")
    watch(gone, "2026-08-01", "2026-09-30")
    watch(a, "2026-10-31", of_coach=True)
    watch(b, "2026-11-01", of_coach=True)
    watch(z, "2026-10-01")

    w.expected["430100"] = {
        "institutions_existing": 2,
        "teaching_logs": 4,
        "logs_reviewed": 2,
        "work_orders": 4,
        "work_order_rate": 0.5,
        "watch_institutions": 2,
        "watch_coaches": 1,
    }
    w.expected["430200"] = {
        "institutions_existing": 1,
        "teaching_logs": 2,
        "logs_reviewed": 1,
        "work_orders": 1,
        "work_order_rate": 1.0,
        "watch_institutions": 1,
        "watch_coaches": 0,
    }
    return w
