"""Parsing the training-data wire values: course codes, record numbers and times."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings

from jiapei.core.errors import FieldError

# 培训车型 codes inside subjcode (standards.md §1.5). C6 has no published code [U]; "26" is
# what the sequence suggests and is accepted as an assumption until the 2022 text is read.
CLASS_CODES = {
    "00": "",
    "01": "A1",
    "02": "A2",
    "03": "A3",
    "11": "B1",
    "12": "B2",
    "21": "C1",
    "22": "C2",
    "23": "C3",
    "24": "C4",
    "25": "C5",
    "26": "C6",
    "31": "D",
    "32": "E",
    "33": "F",
    "41": "M",
    "42": "N",
    "43": "P",
}
_SUBJ_RE = re.compile(r"^[1-4][0-9]{2}[1-4][0-9]{6}$")
_RECORDNUM_RE = re.compile(r"^[0-9A-Z]{16}[0-9]{6}[0-9]{4}$")
_STAMP_RE = re.compile(r"^[0-9]{14}$")
_HMS_RE = re.compile(r"^[0-9]{6}$")


@lru_cache(maxsize=1)
def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class Course:
    mode: int
    vehicle_class: str
    part: int
    item: str


def course(field: str, value: str) -> Course:
    """Parse a 10-digit course code by position: mode, class, part, item, 4 reserved."""
    return _course(field, value)


@lru_cache(maxsize=4096)
def _course(field: str, value: str) -> Course:
    # A province uses a few hundred codes; every minute record repeats one of them.
    if not _SUBJ_RE.match(value):
        raise FieldError(
            field, value, "课程编码应为10位数字：方式+车型+部分+项目+4位 (10-digit course code)"
        )
    klass = CLASS_CODES.get(value[1:3])
    if klass is None:
        raise FieldError(
            field, value, f"课程编码中的车型代码 {value[1:3]} 无效 (unknown class code)"
        )
    return Course(mode=int(value[0]), vehicle_class=klass, part=int(value[3]), item=value[4:6])


def stamp(field: str, value: str) -> datetime:
    """``yyyyMMddHHmmss`` in the province's local time, as an aware datetime."""
    if not _STAMP_RE.match(value):
        raise FieldError(field, value, "时间格式应为 yyyyMMddHHmmss (timestamp expected)")
    try:
        naive = datetime.strptime(value, "%Y%m%d%H%M%S")
    except ValueError:
        raise FieldError(field, value, "时间无效 (not a valid time)") from None
    return naive.replace(tzinfo=local_zone())


@dataclass(frozen=True)
class RecordNumber:
    devnum: str
    day: date
    seq: int


def record_number(field: str, value: str) -> RecordNumber:
    """A 26-character minute-record number: devnum(16) + YYMMDD + 4-digit daily sequence."""
    if not _RECORDNUM_RE.match(value):
        raise FieldError(
            field, value, "学时记录编号应为26位：终端编号16位+YYMMDD+4位序号 (26 characters)"
        )
    try:
        day = datetime.strptime("20" + value[16:22], "%Y%m%d").date()
    except ValueError:
        raise FieldError(
            field, value, "学时记录编号中的日期无效 (invalid date in record number)"
        ) from None
    seq = int(value[22:])
    if seq == 0:
        raise FieldError(field, value, "学时记录序号从0001开始 (sequence starts at 0001)")
    return RecordNumber(devnum=value[:16], day=day, seq=seq)


@lru_cache(maxsize=1024)
def _day(yymmdd: str) -> date | None:
    try:
        return datetime.strptime("20" + yymmdd, "%Y%m%d").date()
    except ValueError:
        return None


def minute_time(field: str, value: str, day: date) -> datetime:
    """The record time: ``HHmmss`` on the record number's day, or a full timestamp."""
    if _HMS_RE.match(value):
        hour, minute, second = int(value[:2]), int(value[2:4]), int(value[4:])
        if hour > 23 or minute > 59 or second > 59:
            raise FieldError(field, value, "时间无效 (not a valid time)")
        return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=local_zone())
    moment = stamp(field, value)
    if moment.date() != day:
        raise FieldError(field, value, f"记录时间与记录编号日期 {day:%Y%m%d} 不符 (date mismatch)")
    return moment
