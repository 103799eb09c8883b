"""Exam results sent back by the police platform (seed 000: results back, pass rates)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiapei.core.timestamps import ClockDateTimeField


class ExamResult(models.Model):
    """One exam sitting of one student in one subject (科目一/二/三/安全文明)."""

    REGION_PATH = "institution__district_id"  # the region code, for the audit trail

    result_id = models.CharField(_("police result id"), max_length=64, unique=True)
    student = models.ForeignKey("registry.Student", on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey(
        "registry.Institution", on_delete=models.PROTECT, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=1)
    passed = models.BooleanField(_("passed"))
    exam_date = models.DateField(_("exam date"))
    received_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("exam result")
        verbose_name_plural = _("exam results")
        indexes = [models.Index(fields=["institution", "subject", "exam_date"])]

    def __str__(self) -> str:
        return f"{self.student_id} 科目{self.subject} {'合格' if self.passed else '不合格'}"
