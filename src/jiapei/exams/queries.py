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


# Schools with fewer examinees than this in a subject and period are not ranked: their rate
# says little (seed 000 publishes pass rates to guide students' choice of school).
SMALL_SAMPLE = 100


def school_pass_rates(
    user: User,
    *,
    start: date,
    end: date,
    prefix: str | None = None,
    subject: str | None = None,
) -> list[dict[str, Any]]:
    """Per school and subject in the user's region (narrowed to the GB/T 2260 ``prefix`` and
    one ``subject`` when given) over exams dated ``start``..``end``: ``examinees`` (distinct
    students), ``sittings``, ``passes``, ``rate`` (passes ÷ sittings), ``small`` (fewer than
    :data:`SMALL_SAMPLE` examinees) and ``rank`` within the subject by rate, highest first and
    ties by school number, among the schools that are not small (None for those). Ordered by
    subject, then ranked schools by rank, then the small ones by school number. One query."""
    qs = access.scope(
        user, ExamResult.objects.all(), region_field="institution__district__code"
    ).filter(exam_date__gte=start, exam_date__lte=end)
    if prefix:
        qs = qs.filter(institution__district__code__startswith=prefix)
    if subject:
        qs = qs.filter(subject=subject)
    rows = (
        qs.values(
            "institution__inscode",
            "institution__name",
            "institution__district__code",
            "institution__district__name",
            "subject",
        )
        .annotate(
            examinees=Count("student", distinct=True),
            sittings=Count("id"),
            passes=Count("id", filter=Q(passed=True)),
        )
        .order_by("subject", "institution__inscode")
    )
    out = [
        {
            "inscode": r["institution__inscode"],
            "name": r["institution__name"],
            "region": r["institution__district__code"],
            "region_name": r["institution__district__name"],
            "subject": r["subject"],
            "examinees": r["examinees"],
            "sittings": r["sittings"],
            "passes": r["passes"],
            "rate": round(r["passes"] / r["sittings"], 4) if r["sittings"] else None,
            "small": r["examinees"] < SMALL_SAMPLE,
            "rank": None,
        }
        for r in rows
    ]
    by_subject: dict[str, list[dict[str, Any]]] = {}
    for row in out:
        by_subject.setdefault(row["subject"], []).append(row)
    ordered: list[dict[str, Any]] = []
    for subject_rows in by_subject.values():
        ranked = sorted(
            (r for r in subject_rows if not r["small"]), key=lambda r: (-r["rate"], r["inscode"])
        )
        for position, row in enumerate(ranked, start=1):
            row["rank"] = position
        ordered += ranked + [r for r in subject_rows if r["small"]]
    return ordered
