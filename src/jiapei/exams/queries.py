"""Pass rates per school and subject, for a region and period (seed 000, seed 001)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet

from jiapei.accounts import access
from jiapei.accounts.models import User
from jiapei.exams.models import ExamResult
from jiapei.registry.models import Student
from jiapei.training.models import TeachingLog


def pass_rates(user: User, *, start: date, end: date) -> list[dict[str, Any]]:
    """Per institution and subject: sittings, passes and the pass rate, in the user's region."""
    rows = (
        access.scope(user, ExamResult.objects.all(), region_field="institution__district__code")
        .filter(exam_date__gte=start, exam_date__lte=end)
        .values("institution__inscode", "institution__name", "subject")
        .annotate(sittings=Count("id"), passes=Count("id", filter=Q(passed=True)))
        .order_by("institution__inscode", "subject")
    )
    return [
        {
            "inscode": r["institution__inscode"],
            "name": r["institution__name"],
            "subject": r["subject"],
            "sittings": r["sittings"],
            "passes": r["passes"],
            "rate": round(r["passes"] / r["sittings"], 4) if r["sittings"] else None,
        }
        for r in rows
    ]


def student_status(stunum: str) -> dict[str, Any]:
    """What the police platform asks before accepting a pre-entry (seed 001): is the student
    filed here, and scheduled for training? Scheduling (排班) is not modelled yet, so a student
    counts as scheduled once a teaching session of theirs has been uploaded."""
    student = Student.objects.filter(stunum=stunum).first()
    if student is None:
        return {"filed": False, "scheduled": False}
    return {
        "filed": student.is_active,
        "scheduled": TeachingLog.objects.filter(student=student).exists(),
        "idcard": student.idcard,
        "traintype": student.traintype,
        "inscode": student.institution.inscode,
    }


def results_of(student: Student) -> QuerySet[ExamResult]:
    """The student's exam sittings as the police platform reported them, oldest first."""
    return ExamResult.objects.filter(student=student).order_by("exam_date", "subject", "pk")
