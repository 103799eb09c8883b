"""Calendar months as the reports count them: local (Asia/Shanghai) days, first to last."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from jiapei.core import clock
from jiapei.core.errors import FieldError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Month:
    """One calendar month. ``start``/``end`` are the aware instants bounding it, end exclusive."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def end(self) -> datetime:
        following = self.last + timedelta(days=1)
        return datetime.combine(following, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def label(self) -> str:
        return f"{self.first:%Y-%m}"

    @property
    def period_zh(self) -> str:
        """The form's "M月D日至M月D日"."""
        return f"{self.first.month}月{self.first.day}日至{self.last.month}月{self.last.day}日"

    @classmethod
    def of(cls, first: date) -> Month:
        first = first.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return cls(first, following - timedelta(days=1))


def parse_month(value: str | None, field: str = "month") -> Month:
    """Parse ``YYYY-MM``; a month after the current one is refused (nothing to report yet)."""
    match = _MONTH.match(str(value or "").strip())
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
        raise FieldError(field, value, "应为 YYYY-MM 格式的月份 (expected a month as YYYY-MM)")
    month = Month.of(date(int(match[1]), int(match[2]), 1))
    today = clock.today()
    if month.first > today:
        raise FieldError(field, value, "不能早于该月份开始前报送 (the month has not started yet)")
    return month


# Seed 002 三(二): "每月5日前将上月专项整治情况（见附件2）报省厅" — the report of a month is due
# by the end of the 5th of the following month, local time.
DUE_DAY = 5


def last_month() -> Month:
    """The month before the current one (the platform's calendar): the one a city reports now."""
    return Month.of(clock.today().replace(day=1) - timedelta(days=1))


def submission_deadline(month: Month) -> datetime:
    """The instant (aware, Asia/Shanghai) after which a report of ``month`` is late: the end of
    the :data:`DUE_DAY` of the following month."""
    following = month.last + timedelta(days=1)
    return datetime.combine(
        following.replace(day=DUE_DAY) + timedelta(days=1), time.min, tzinfo=clock.zone()
    )
