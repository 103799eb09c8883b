"""Training data uploaded by timing platforms: teaching logs, minute records, photos, stage
records, completions and videos (standards.md §1.6, §1.7, §2.2).

Minute records are the hot table: one row per student per training minute. They are written in
bulk by the ingest service, never updated by it, and carry what ingest resolved (the car the
terminal was bound to, the fence verdict, rejection codes) so the audit can be re-run without
the registry state of that day.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiapei.core.timestamps import ClockDateTimeField


class AuditStatus(models.TextChoices):
    PENDING = "pending", _("not yet audited")
    VALID = "valid", _("wholly valid")
    PARTIAL = "partial", _("partly valid")
    INVALID = "invalid", _("invalid")


class TeachingLog(models.Model):
    """电子教学日志 (``classrecord``): one training session of one student."""

    REGION_PATH = "institution__district_id"  # the region code, for the audit trail

    rnum = models.CharField(_("log number"), max_length=21, unique=True)  # stunum + recnum
    student = models.ForeignKey(
        "registry.Student", on_delete=models.PROTECT, related_name="teaching_logs"
    )
    institution = models.ForeignKey(
        "registry.Institution", on_delete=models.PROTECT, related_name="+"
    )
    platform = models.ForeignKey(
        "registry.TimingPlatform", on_delete=models.PROTECT, related_name="+"
    )
    coach = models.ForeignKey(
        "registry.Personnel", null=True, on_delete=models.PROTECT, related_name="+"
    )
    car = models.ForeignKey(
        "registry.TrainingCar", null=True, on_delete=models.PROTECT, related_name="+"
    )
    device = models.ForeignKey(
        "registry.Device", null=True, on_delete=models.PROTECT, related_name="+"
    )
    recnum = models.CharField(_("log sequence number"), max_length=5)
    classid = models.CharField(_("terminal session id"), max_length=10, blank=True)
    subjcode = models.CharField(_("course code"), max_length=10)
    mode = models.PositiveSmallIntegerField(_("course mode"))
    part = models.PositiveSmallIntegerField(_("syllabus part"))
    starttime = models.DateTimeField(_("start"))
    endtime = models.DateTimeField(_("end"))
    duration = models.PositiveIntegerField(_("reported minutes"))
    mileage = models.DecimalField(_("reported mileage (km)"), max_digits=8, decimal_places=2)
    avevelocity = models.DecimalField(max_digits=6, decimal_places=1, null=True)
    coacmt = models.CharField(_("coach comment"), max_length=200, blank=True)
    photos = models.JSONField(_("photo file ids"), default=dict)
    reported = models.JSONField(_("reported totals"), default=dict)
    # Audit results, rewritten by every audit run.
    audit_status = models.CharField(
        max_length=16, choices=AuditStatus.choices, default=AuditStatus.PENDING
    )
    total_minutes = models.PositiveIntegerField(default=0)
    valid_minutes = models.PositiveIntegerField(default=0)
    credited_minutes = models.PositiveIntegerField(default=0)
    credited_mileage = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    codes = models.JSONField(default=list)
    rule_version = models.CharField(max_length=64, blank=True)
    audited_at = models.DateTimeField(null=True)
    # A regulator's decision on a work order: the whole session is void (MANUAL_VOID) whatever
    # the rules say. Set only by ``workorders.services``; the audit honours it.
    voided_at = models.DateTimeField(_("voided by a regulator at"), null=True, blank=True)
    void_reason = models.CharField(_("reason for voiding"), max_length=200, blank=True)
    created_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("teaching log")
        verbose_name_plural = _("teaching logs")
        # A day's sessions across the province (fraud scans, reports) are read by start time.
        indexes = [
            models.Index(fields=["student", "starttime"]),
            models.Index(fields=["starttime"], name="training_log_start"),
        ]

    def __str__(self) -> str:
        return self.rnum


class IngestResult(models.TextChoices):
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected at ingest")


class MinuteRecord(models.Model):
    """One 0x0203 minute record. ``recordnum`` = devnum(16) + YYMMDD + daily sequence(4)."""

    recordnum = models.CharField(_("record number"), max_length=26, unique=True)
    platform = models.ForeignKey(
        "registry.TimingPlatform", on_delete=models.PROTECT, related_name="+"
    )
    student = models.ForeignKey("registry.Student", on_delete=models.PROTECT, related_name="+")
    devnum = models.CharField(_("terminal number"), max_length=16)
    coachnum = models.CharField(_("coach number"), max_length=16, blank=True)
    carnum = models.CharField(_("car number"), max_length=16, blank=True)
    classid = models.CharField(_("terminal session id"), max_length=10)
    at = models.DateTimeField(_("recorded at"))
    subjcode = models.CharField(_("course code"), max_length=10)
    mode = models.PositiveSmallIntegerField()
    part = models.PositiveSmallIntegerField()
    max_speed = models.FloatField(_("max speed (km/h)"))
    mileage = models.FloatField(_("mileage (km)"))
    lng = models.FloatField(null=True)
    lat = models.FloatField(null=True)
    engine_rpm = models.IntegerField(null=True)
    result = models.CharField(max_length=16, choices=IngestResult.choices)
    reject_codes = models.JSONField(default=list)
    coach_classes = models.CharField(max_length=64, blank=True)
    car_class = models.CharField(max_length=4, blank=True)
    # Audit verdict, rewritten by every audit run.
    valid = models.BooleanField(null=True)
    codes = models.JSONField(default=list)
    received_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("minute record")
        verbose_name_plural = _("minute records")
        indexes = [models.Index(fields=["student", "at"])]

    def __str__(self) -> str:
        return self.recordnum


class TrainingPhoto(models.Model):
    """培训过程照片 (``trainimginfo``) with the terminal's event type and face confidence."""

    REGION_PATH = "student__institution__district_id"  # the region code, for the audit trail

    platform = models.ForeignKey(
        "registry.TimingPlatform", on_delete=models.PROTECT, related_name="+"
    )
    student = models.ForeignKey("registry.Student", on_delete=models.PROTECT, related_name="+")
    file = models.ForeignKey("registry.UploadedFile", on_delete=models.PROTECT, related_name="+")
    coachnum = models.CharField(max_length=16, blank=True)
    recnum = models.CharField(_("log sequence number"), max_length=5)
    subjcode = models.CharField(max_length=10)
    ptime = models.DateTimeField(_("taken at"))
    event = models.PositiveSmallIntegerField(_("event type"))
    confidence = models.PositiveSmallIntegerField(_("face-match confidence"), null=True)
    fingerprint = models.CharField(_("perceptual hash"), max_length=32, blank=True)
    created_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("training photo")
        verbose_name_plural = _("training photos")
        # A retried ``trainimginfo`` names the same file for the same student, time and event;
        # the same file under another student or time is a new photo (and a photo device's
        # signature), so it must be stored, not folded into the first one.
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "file", "student", "ptime", "event"], name="photo_once"
            )
        ]
        # The fraud scan looks up exact copies of a day's photos across cities by fingerprint.
        indexes = [
            models.Index(fields=["student", "ptime"]),
            models.Index(fields=["fingerprint"], name="training_photo_fingerprint"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id}@{self.ptime:%Y%m%d%H%M%S}"


class StageRecord(models.Model):
    """阶段培训记录 (``stagetrainningtime``) as submitted; reviewed in the stages app."""

    REGION_PATH = "student__institution__district_id"  # the region code, for the audit trail

    platform = models.ForeignKey(
        "registry.TimingPlatform", on_delete=models.PROTECT, related_name="+"
    )
    student = models.ForeignKey("registry.Student", on_delete=models.PROTECT, related_name="+")
    subject = models.PositiveSmallIntegerField(_("part"))
    totaltime = models.PositiveIntegerField()
    vehicletime = models.PositiveIntegerField(default=0)
    classtime = models.PositiveIntegerField(default=0)
    simulatortime = models.PositiveIntegerField(default=0)
    networktime = models.PositiveIntegerField(default=0)
    duration = models.PositiveIntegerField()
    mileage = models.DecimalField(max_digits=8, decimal_places=2, null=True)
    examresult = models.CharField(max_length=8)
    pdf = models.ForeignKey(
        "registry.UploadedFile", null=True, on_delete=models.PROTECT, related_name="+"
    )
    esignature = models.TextField()
    rectype = models.CharField(max_length=4)
    recarray = models.JSONField()
    submitted_at = ClockDateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("stage record")
        verbose_name_plural = _("stage records")
        constraints = [
            models.UniqueConstraint(fields=["student", "subject"], name="stage_student_subject")
        ]

    def __str__(self) -> str:
        return f"{self.student_id} part {self.subject}"


class Graduation(models.Model):
    """结业 (``graduation``)."""

    REGION_PATH = "student__institution__district_id"  # the region code, for the audit trail

    platform = models.ForeignKey(
        "registry.TimingPlatform", on_delete=models.PROTECT, related_name="+"
    )
    student = models.OneToOneField("registry.Student", on_delete=models.PROTECT, related_name="+")
    autinscode = models.CharField(max_length=16)
    gracertnum = models.CharField(_("certificate number"), max_length=50)
    grantdate = models.DateField()
    pdf = models.ForeignKey("registry.UploadedFile", on_delete=models.PROTECT, related_name="+")
    esignature = models.TextField()
    created_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("graduation")
        verbose_name_plural = _("graduations")

    def __str__(self) -> str:
        return self.gracertnum


class VideoRecord(models.Model):
    """培训视频 (``videorecord``)."""

    REGION_PATH = "student__institution__district_id"  # the region code, for the audit trail

    platform = models.ForeignKey(
        "registry.TimingPlatform", on_delete=models.PROTECT, related_name="+"
    )
    student = models.ForeignKey("registry.Student", on_delete=models.PROTECT, related_name="+")
    devnum = models.CharField(max_length=16)
    coachnum = models.CharField(max_length=16, blank=True)
    subjcode = models.CharField(max_length=10)
    recnum = models.CharField(max_length=5)
    starttime = models.DateTimeField()
    endtime = models.DateTimeField()
    event = models.CharField(max_length=8)
    file = models.ForeignKey("registry.UploadedFile", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("training video")
        verbose_name_plural = _("training videos")
        constraints = [models.UniqueConstraint(fields=["platform", "file"], name="video_file_once")]

    def __str__(self) -> str:
        return f"{self.student_id} {self.recnum}"


class AuditRequest(models.Model):
    """A student whose hours must be (re)audited; the worker drains this queue.

    At most one pending request per student, so a burst of uploads causes one audit run. Day,
    session and minute rules never look across local days, so only the named days are
    re-audited; the part totals are then summed over every stored session.
    """

    student = models.OneToOneField("registry.Student", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=64)
    # Local days ("YYYY-MM-DD") whose sessions changed; empty means the whole history.
    days = models.JSONField(default=list)
    requested_at = ClockDateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("audit request")
        verbose_name_plural = _("audit requests")

    def __str__(self) -> str:
        return f"{self.student_id}: {self.reason}"


class ScanRequest(models.Model):
    """A local day whose sessions changed and must be scanned for fraud (drained by the worker).

    Filed by the audit and the stage review (:func:`~jiapei.training.services.requests.
    request_scans`), drained by ``fraud.tasks.scan_due``; kept here beside the audit queue so
    that neither filer has to import the fraud app above it.
    """

    day = models.DateField(unique=True)
    requested_at = ClockDateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("scan request")
        verbose_name_plural = _("scan requests")

    def __str__(self) -> str:
        return self.day.isoformat()
