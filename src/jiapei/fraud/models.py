"""Findings of the hours-fraud detectors (学时造假线索). The queue of days to scan is
``training.ScanRequest``: the audit and the stage review fill it, the fraud worker task drains it.

Per-minute audit rules (``audit/rules``) catch the crude cases one session at a time; the
detectors in ``fraud/detectors`` look across minutes, sessions, students and schools. Each hit
is stored as one :class:`Finding` with its evidence, keyed so that scanning the same data again
updates the finding instead of adding a second one.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiapei.core.timestamps import ClockDateTimeField


class Severity(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("open")
    ORDERED = "ordered", _("work order opened")
    DISMISSED = "dismissed", _("dismissed")


class Finding(models.Model):
    """One detector hit with its evidence.

    ``key`` identifies what was found (detector + the sessions or subject and period involved);
    a re-scan that finds the same thing updates the row. ``region`` is the school's county, which
    scopes regulators; ``logs`` are the teaching logs the evidence comes from (they are always
    drawn for the sampled manual audit).
    """

    REGION_PATH = "region_id"  # the region code, for the audit trail

    detector = models.CharField(_("detector"), max_length=40, db_index=True)
    key = models.CharField(_("finding key"), max_length=255, unique=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    region = models.ForeignKey(
        "accounts.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    institution = models.ForeignKey(
        "registry.Institution", null=True, on_delete=models.PROTECT, related_name="+"
    )
    platform = models.ForeignKey(
        "registry.TimingPlatform", null=True, on_delete=models.PROTECT, related_name="+"
    )
    student = models.ForeignKey(
        "registry.Student", null=True, on_delete=models.PROTECT, related_name="+"
    )
    coach = models.ForeignKey(
        "registry.Personnel", null=True, on_delete=models.PROTECT, related_name="+"
    )
    car = models.ForeignKey(
        "registry.TrainingCar", null=True, on_delete=models.PROTECT, related_name="+"
    )
    logs = models.ManyToManyField(
        "training.TeachingLog", related_name="findings", verbose_name=_("teaching logs")
    )
    day = models.DateField(_("day (or first day of the period)"), db_index=True)
    period_end = models.DateField(_("last day of the period"), null=True, blank=True)
    score = models.FloatField(_("measure"), default=0)
    summary = models.TextField(_("explanation (zh-hans)"))
    summary_en = models.TextField(_("explanation (English)"), blank=True)
    # {"minutes": [recordnum…], "photos": [photo id…], "points": [[lng, lat, "iso time"]…],
    #  "figures": {name: value}} — whatever the detector used, so a reviewer can check it.
    evidence = models.JSONField(_("evidence"), default=dict)
    detector_version = models.CharField(max_length=32, blank=True)
    detected_at = ClockDateTimeField(_("detected at"), auto_now_add=True)
    updated_at = ClockDateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("fraud finding")
        verbose_name_plural = _("fraud findings")
        ordering = ["-day", "id"]
        indexes = [models.Index(fields=["region", "day"])]

    def __str__(self) -> str:
        return f"{self.detector} {self.key}"
