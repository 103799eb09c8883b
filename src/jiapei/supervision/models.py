"""Sampled manual audits of teaching logs (人工审核抽查), key-supervision lists (重点监管名单)
and training bans (禁训) — the regulators' tools of seed 002 beyond automatic detection."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiapei.core.timestamps import ClockDateTimeField


class SamplingPolicy(models.Model):
    """The share of a city's teaching logs that must be audited by hand, from a date on.

    Seed 002 names 60% / 40% / 20% for different cities; every city sets its own.
    """

    REGION_PATH = "region_id"  # the region code, for the audit trail

    region = models.ForeignKey(
        "accounts.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("city")
    )
    share = models.DecimalField(_("manual audit share"), max_digits=4, decimal_places=3)
    effective_from = models.DateField(_("effective from"))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sampling policy")
        verbose_name_plural = _("sampling policies")
        constraints = [
            models.UniqueConstraint(fields=["region", "effective_from"], name="sampling_once")
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.share} from {self.effective_from}"


class SampleDraw(models.Model):
    """The draw of one region's teaching logs of one month for manual audit."""

    REGION_PATH = "region_id"  # the region code, for the audit trail

    region = models.ForeignKey(
        "accounts.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    month = models.DateField(_("month (its first day)"))
    share = models.DecimalField(_("share applied"), max_digits=4, decimal_places=3)
    logs_total = models.PositiveIntegerField(_("teaching logs in the month"))
    drawn_with_findings = models.PositiveIntegerField(default=0)
    drawn_at_random = models.PositiveIntegerField(default=0)
    seed = models.CharField(max_length=64)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sample draw")
        verbose_name_plural = _("sample draws")
        constraints = [models.UniqueConstraint(fields=["region", "month"], name="draw_once")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.month:%Y-%m}"


class DrawReason(models.TextChoices):
    FINDING = "finding", _("has a fraud finding")
    RANDOM = "random", _("drawn at random")


class Verdict(models.TextChoices):
    PENDING = "pending", _("not yet reviewed")
    GOOD = "good", _("no problem found")
    BAD = "bad", _("violation found")


class ManualReview(models.Model):
    """One teaching log drawn for manual audit and the reviewer's verdict."""

    REGION_PATH = "log__institution__district_id"  # the region code, for the audit trail

    draw = models.ForeignKey(SampleDraw, on_delete=models.PROTECT, related_name="reviews")
    log = models.ForeignKey(
        "training.TeachingLog", on_delete=models.PROTECT, related_name="manual_reviews"
    )
    reason = models.CharField(_("why drawn"), max_length=16, choices=DrawReason.choices)
    verdict = models.CharField(
        _("verdict"), max_length=16, choices=Verdict.choices, default=Verdict.PENDING
    )
    note = models.TextField(_("reviewer's note"), blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("manual review")
        verbose_name_plural = _("manual reviews")
        constraints = [models.UniqueConstraint(fields=["draw", "log"], name="review_once")]

    def __str__(self) -> str:
        return f"{self.log_id}: {self.verdict}"


class WatchKind(models.TextChoices):
    SCHOOL = "school", _("training institution")
    COACH = "coach", _("coach")


class WatchlistEntry(models.Model):
    """A school or coach on the key-supervision list, with the reason and dates."""

    REGION_PATH = "region_id"  # the region code, for the audit trail

    kind = models.CharField(_("kind"), max_length=8, choices=WatchKind.choices)
    region = models.ForeignKey(
        "accounts.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    institution = models.ForeignKey(
        "registry.Institution", on_delete=models.PROTECT, related_name="+"
    )
    coach = models.ForeignKey(
        "registry.Personnel", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    listed_on = models.DateField(_("listed on"))
    lifted_on = models.DateField(_("lifted on"), null=True, blank=True)
    lift_reason = models.TextField(_("reason for lifting"), blank=True)
    listed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("key-supervision entry")
        verbose_name_plural = _("key-supervision list")
        ordering = ["-listed_on", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.coach_id or self.institution_id} from {self.listed_on}"


class BanKind(models.TextChoices):
    COACH = "coach", _("coach")
    CAR = "car", _("training car")
    DEVICE = "device", _("timing terminal")


class TrainingBan(models.Model):
    """禁训: a coach, car or terminal that may not train; sent to its timing platform (which
    sets 0x8502 禁训状态 = 2 on the terminal) and enforced at ingest."""

    REGION_PATH = "region_id"  # the region code, for the audit trail

    kind = models.CharField(_("kind"), max_length=8, choices=BanKind.choices)
    number = models.CharField(_("coach, car or terminal number"), max_length=16)
    region = models.ForeignKey(
        "accounts.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    institution = models.ForeignKey(
        "registry.Institution", on_delete=models.PROTECT, related_name="+"
    )
    platform = models.ForeignKey(
        "registry.TimingPlatform", on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    banned_from = models.DateTimeField(_("banned from"))
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lift_reason = models.TextField(_("reason for lifting"), blank=True)
    banned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("training ban")
        verbose_name_plural = _("training bans")
        indexes = [models.Index(fields=["kind", "number"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.number}"
