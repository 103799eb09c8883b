"""Stored audit configuration and per-part results. Rules themselves are pure (``rules/``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiapei.core.timestamps import ClockDateTimeField


class ThresholdSetting(models.Model):
    """One threshold override: a field of :class:`jiapei.audit.thresholds.Thresholds` set for
    the province, a city or an institution from a date on (and optionally until a date)."""

    scope_kind = models.CharField(
        _("scope"),
        max_length=16,
        choices=[
            ("province", _("province")),
            ("city", _("city")),
            ("institution", _("institution")),
        ],
    )
    scope_code = models.CharField(_("scope code"), max_length=16)
    field = models.CharField(_("threshold"), max_length=64)
    value = models.JSONField(_("value"))
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective until"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("audit threshold")
        verbose_name_plural = _("audit thresholds")
        ordering = ["field", "scope_kind", "effective_from"]

    def __str__(self) -> str:
        return f"{self.scope_kind}:{self.scope_code} {self.field}={self.value}"


class PartResult(models.Model):
    """A student's audited progress in one syllabus part, rewritten by every audit run."""

    REGION_PATH = "student__institution__district_id"  # the region code, for the audit trail

    student = models.ForeignKey("registry.Student", on_delete=models.CASCADE, related_name="parts")
    part = models.PositiveSmallIntegerField(_("part"))
    required = models.JSONField(_("required minutes by mode"))
    credited = models.JSONField(_("credited minutes by mode"))
    mileage_required = models.FloatField(default=0)
    mileage = models.FloatField(default=0)
    complete = models.BooleanField(default=False)
    remaining = models.JSONField(default=dict)
    syllabus = models.CharField(max_length=32)
    rule_version = models.CharField(max_length=64)
    audited_at = models.DateTimeField()

    class Meta:
        verbose_name = _("part result")
        verbose_name_plural = _("part results")
        constraints = [models.UniqueConstraint(fields=["student", "part"], name="part_result_once")]

    def __str__(self) -> str:
        return f"{self.student_id} part {self.part}"
