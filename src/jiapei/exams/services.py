"""Recording exam results from the police platform."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from jiapei.core import services as trail
from jiapei.core import wire as v
from jiapei.core.actors import Actor
from jiapei.core.errors import FieldError
from jiapei.core.wire import Fields, one_of
from jiapei.exams.models import ExamResult
from jiapei.registry.models import Student


def _passed(field: str, value: Any) -> bool:
    if value is True or value in ("true", "1"):
        return True
    if value is False or value in ("false", "0"):
        return False
    raise FieldError(field, value, "应为 true/false (boolean)")


def record_result(*, actor: Actor, data: Mapping[str, Any]) -> tuple[ExamResult, bool]:
    """Store one result, once per police ``result_id``. Returns (row, created)."""
    f = Fields(data)
    result_id = f.get("result_id")
    stunum = f.get("stunum")
    subject = f.get("subject", one_of("1", "2", "3", "4"))
    passed = None
    try:
        passed = _passed("passed", data.get("passed"))
    except FieldError as exc:
        f.add(exc)
    exam_date = f.get("date", v.wire_date)
    student = Student.objects.filter(stunum=stunum).select_related("institution").first()
    if stunum is not None and student is None:
        f.add(FieldError("stunum", stunum, "学员未备案 (student not filed)"))
    idcard = f.get("idcard", required=False)
    if student is not None and idcard and idcard.upper() != student.idcard.upper():
        f.add(FieldError("idcard", idcard, "与学员备案身份证号不符 (does not match the filing)"))
    f.check()
    assert student is not None
    with transaction.atomic():
        existing = ExamResult.objects.filter(result_id=result_id).first()
        if existing is not None:
            return existing, False
        row = ExamResult.objects.create(
            result_id=result_id,
            student=student,
            institution=student.institution,
            subject=subject,
            passed=bool(passed),
            exam_date=exam_date,
        )
        trail.record(actor=actor, action="exam.result", obj=row, after=trail.snapshot(row))
        return row, True
