"""Stage reviews (阶段培训记录审核) and what was pushed to the police platform.

A :class:`StageReview` exists once per student and syllabus part. Its figures always come from
our own audit (:class:`jiapei.audit.models.PartResult`), never from the timing platform's claim:
the platform's ``stagetrainningtime`` submission is only compared against them. A
:class:`PoliceSubmission` records, per student and exam subject, the last thing we told the
police platform and the outbox message that carries it; its delivery state is read from that
message (:func:`jiapei.stages.queries.police_status`), not copied here.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiapei.core.timestamps import ClockDateTimeField


class ReviewStatus(models.TextChoices):
    # Submitted by the platform but not yet assembled by the worker; never stored by
    # ``assemble`` itself (it runs the checks in the same transaction that creates the row).
    PENDING_CHECK = "pending_check", _("awaiting checks")
    AUTO_APPROVED = "auto_approved", _("approved automatically")
    PENDING_MANUAL = "pending_manual", _("awaiting manual review")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    REVOKED = "revoked", _("revoked")


APPROVED_STATUSES = (ReviewStatus.AUTO_APPROVED, ReviewStatus.APPROVED)
OPEN_STATUSES = (ReviewStatus.PENDING_CHECK, ReviewStatus.PENDING_MANUAL)


class ReviewSource(models.TextChoices):
    AUDIT = "audit", _("our audit found the part complete")
    PLATFORM = "platform", _("the timing platform submitted a stage record")
    # A legacy student's hours backfilled by the school on a three-party form (seed 001).
    BACKFILL = "backfill", _("legacy hours backfilled on a three-party form")


class StageReview(models.Model):
    """The review of one student's part. Written only by :mod:`jiapei.stages.services`."""

    REGION_PATH = "student__institution__district_id"  # the region code, for the audit trail

    student = models.ForeignKey(
        "registry.Student", on_delete=models.PROTECT, related_name="stage_reviews"
    )
    part = models.PositiveSmallIntegerField(_("part"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ReviewStatus.choices,
        default=ReviewStatus.PENDING_CHECK,
    )
    source = models.CharField(_("source"), max_length=16, choices=ReviewSource.choices)
    stage_record = models.ForeignKey(
        "training.StageRecord", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # From our audit: minutes by mode {"1": practical, "2": classroom, "3": simulator,
    # "4": remote} as credited toward the part (after the syllabus caps), and km.
    required = models.JSONField(_("required minutes by mode"), default=dict)
    credited = models.JSONField(_("credited minutes by mode"), default=dict)
    mileage_required = models.FloatField(_("required mileage (km)"), default=0)
    mileage = models.FloatField(_("credited mileage (km)"), default=0)
    rnums = models.JSONField(_("teaching logs"), default=list)
    checks = models.JSONField(_("check results"), default=list)  # [{check, ok, detail}]
    examresult = models.CharField(_("stage assessment result"), max_length=8, blank=True)
    pdf = models.ForeignKey(
        "registry.UploadedFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Must a person decide? Drawn once, when the review is created (the share of
    # JIAPEI_STAGE_MANUAL_SHARE), or set when a rejected review is reopened by a resubmission.
    manual_required = models.BooleanField(_("manual review required"), default=False)
    transition = models.BooleanField(_("transition-period student"), default=False)
    reviewer = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # What the last assembly saw: PartResult.audited_at and StageRecord.submitted_at. The
    # worker re-assembles when either source is newer (jiapei.stages.tasks.assemble_due).
    audit_seen_at = models.DateTimeField(null=True, blank=True)
    stage_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = ClockDateTimeField(auto_now_add=True)
    updated_at = ClockDateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("stage review")
        verbose_name_plural = _("stage reviews")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["student", "part"], name="stage_review_once")
        ]
        indexes = [models.Index(fields=["status", "id"])]

    def __str__(self) -> str:
        return f"{self.student_id} part {self.part}: {self.status}"

    @property
    def is_approved(self) -> bool:
        return self.status in APPROVED_STATUSES


class BackfillStatus(models.TextChoices):
    SUBMITTED = "submitted", _("submitted, awaiting review")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class LegacyBackfill(models.Model):
    """存量学员补录学时: a legacy student's hours in one part, backfilled by the school on a
    "三方确认培训学时补录单" (seed 001 一(三)3). The three confirmations are kept apart, not as
    one flag, so a regulator can see who confirmed what and when. Written only by
    :mod:`jiapei.stages.services.backfill`; an approval becomes the part's :class:`StageReview`."""

    REGION_PATH = "student__institution__district_id"  # the region code, for the audit trail

    student = models.ForeignKey(
        "registry.Student", on_delete=models.PROTECT, related_name="legacy_backfills"
    )
    part = models.PositiveSmallIntegerField(_("part"))
    platform = models.ForeignKey(
        "registry.TimingPlatform", on_delete=models.PROTECT, related_name="+"
    )
    practical_minutes = models.PositiveIntegerField(_("practical minutes"), default=0)
    classroom_minutes = models.PositiveIntegerField(_("classroom minutes"), default=0)
    simulator_minutes = models.PositiveIntegerField(_("simulator minutes"), default=0)
    remote_minutes = models.PositiveIntegerField(_("remote minutes"), default=0)
    mileage = models.FloatField(_("mileage (km)"), default=0)
    scan = models.ForeignKey("registry.UploadedFile", on_delete=models.PROTECT, related_name="+")
    student_confirmed_at = models.DateTimeField(_("signed by the student at"))
    coach = models.ForeignKey("registry.Personnel", on_delete=models.PROTECT, related_name="+")
    coachnum = models.CharField(_("coach number"), max_length=16)
    coach_confirmed_at = models.DateTimeField(_("signed by the coach at"))
    school_sealed_at = models.DateTimeField(_("sealed by the school at"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=BackfillStatus.choices,
        default=BackfillStatus.SUBMITTED,
    )
    reviewer = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = ClockDateTimeField(auto_now_add=True)
    updated_at = ClockDateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("legacy hours backfill")
        verbose_name_plural = _("legacy hours backfills")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["student", "part"], name="legacy_backfill_once")
        ]
        indexes = [models.Index(fields=["status", "id"])]

    def __str__(self) -> str:
        return f"{self.student_id} part {self.part} backfill: {self.status}"

    @property
    def minutes(self) -> dict[str, int]:
        """Minutes by course mode, keyed like ``StageReview.credited``."""
        return {
            "1": self.practical_minutes,
            "2": self.classroom_minutes,
            "3": self.simulator_minutes,
            "4": self.remote_minutes,
        }


class PoliceAction(models.TextChoices):
    PUSH = "push", _("approved hours pushed")
    WITHDRAW = "withdraw", _("approval withdrawn")


class PoliceStatus(models.TextChoices):
    """What a regulator or the student sees; derived from the outbox message."""

    PENDING = "pending", _("queued")
    SENT = "sent", _("sent, awaiting acknowledgement")
    ACKNOWLEDGED = "acknowledged", _("acknowledged by the police platform")
    FAILED = "failed", _("delivery abandoned")
    WITHDRAWN = "withdrawn", _("withdrawn")


class PoliceSubmission(models.Model):
    """The last message about one student and exam subject sent to the police platform."""

    REGION_PATH = "student__institution__district_id"  # the region code, for the audit trail

    student = models.ForeignKey(
        "registry.Student", on_delete=models.PROTECT, related_name="police_submissions"
    )
    subject = models.CharField(_("exam subject"), max_length=1)
    review = models.ForeignKey(StageReview, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=16, choices=PoliceAction.choices)
    message_key = models.CharField(_("outbox message key"), max_length=100)
    updated_at = ClockDateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("police submission")
        verbose_name_plural = _("police submissions")
        ordering = ["student", "subject"]
        constraints = [
            models.UniqueConstraint(fields=["student", "subject"], name="police_submission_once")
        ]

    def __str__(self) -> str:
        return f"{self.student_id} subject {self.subject}: {self.action}"
