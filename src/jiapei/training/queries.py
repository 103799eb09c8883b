"""Reads of training data that other apps share: which local days a session touches, a
student's session days, and the teaching logs that credited a part."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from jiapei.registry.models import Student
from jiapei.training.models import TeachingLog


def local_days(start: datetime, end: datetime) -> set[date]:
    """Every local (Asia/Shanghai) day from ``start``'s to ``end``'s, both included: the days
    whose audit a session from ``start`` to ``end`` can change."""
    first, last = timezone.localtime(start).date(), timezone.localtime(end).date()
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


def session_days(student: Student) -> set[date]:
    """The local days on which the student's sessions started."""
    starts = TeachingLog.objects.filter(student=student).values_list("starttime", flat=True)
    return {timezone.localtime(at).date() for at in starts}


def credited_rnums(student: Student, part: int) -> list[str]:
    """The teaching logs of the student's ``part`` that earned credited minutes, in time order."""
    return list(
        TeachingLog.objects.filter(student=student, part=part, credited_minutes__gt=0)
        .order_by("starttime", "rnum")
        .values_list("rnum", flat=True)
    )
