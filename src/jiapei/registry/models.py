"""Filings (备案): the entities a timing platform files, under their national unified numbers.

Field names follow standards.md §2.2 in English; ``wire`` maps live in ``registry/wire.py``.
Filings are never physically deleted: ``filing_status`` records 注销 (deleted by the timing
platform) and 撤销 (revoked by a regulator), so hours and audit history keep their references.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiapei.core.timestamps import ClockDateTimeField


class PlatformStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    SUSPENDED = "suspended", _("suspended")
    REVOKED = "revoked", pgettext_lazy("timing platform status", "revoked")


class TimingPlatform(models.Model):
    """A vendor's timing platform (计时平台), the caller of the signed interface."""

    platnum = models.CharField(_("platform number"), max_length=5, unique=True)
    name = models.CharField(_("name"), max_length=100)
    cert_serial = models.CharField(_("certificate serial number"), max_length=64, unique=True)
    public_key_pem = models.TextField(_("certificate public key (PEM)"))
    status = models.CharField(
        _("status"), max_length=16, choices=PlatformStatus.choices, default=PlatformStatus.ACTIVE
    )
    status_reason = models.TextField(_("status reason"), blank=True)
    callback_url = models.URLField(_("callback URL"), blank=True)
    created_at = ClockDateTimeField(auto_now_add=True)
    updated_at = ClockDateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("timing platform")
        verbose_name_plural = _("timing platforms")
        ordering = ["platnum"]

    def __str__(self) -> str:
        return f"{self.platnum} {self.name}"


class FilingStatus(models.TextChoices):
    ACTIVE = "active", _("filed")
    DELETED = "deleted", _("withdrawn")
    REVOKED = "revoked", _("revoked")


class Filed(models.Model):
    """Common columns of every filed record."""

    filing_status = models.CharField(
        _("filing status"), max_length=16, choices=FilingStatus.choices, default=FilingStatus.ACTIVE
    )
    status_reason = models.TextField(_("status reason"), blank=True)
    platform = models.ForeignKey(
        TimingPlatform,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("timing platform"),
    )
    created_at = ClockDateTimeField(auto_now_add=True)
    updated_at = ClockDateTimeField(auto_now=True)

    objects = models.Manager()

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        return self.filing_status == FilingStatus.ACTIVE


class Institution(Filed):
    """培训机构. ``district`` is the county (or city) it is licensed in; it scopes regulators."""

    REGION_PATH = "district_id"  # the region code, for the audit trail

    inscode = models.CharField(_("institution number"), max_length=16, unique=True)
    district = models.ForeignKey(
        "accounts.Region", on_delete=models.PROTECT, related_name="institutions"
    )
    name = models.CharField(_("name"), max_length=100)
    shortname = models.CharField(_("short name"), max_length=50)
    licnum = models.CharField(_("operating licence number"), max_length=50, unique=True)
    licetime = models.DateField(_("licence date"))
    business = models.CharField(_("business licence registration number"), max_length=50)
    creditcode = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    address = models.CharField(_("address"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=6)
    legal = models.CharField(_("legal representative"), max_length=50)
    contact = models.CharField(_("contact person"), max_length=50)
    phone = models.CharField(_("telephone"), max_length=32)
    busiscope = models.CharField(_("business scope"), max_length=100)
    busistatus = models.CharField(_("business status"), max_length=8)
    level = models.CharField(_("classification grade"), max_length=2)
    coachnumber = models.PositiveIntegerField(_("total number of coaches"))
    grasupvnum = models.PositiveIntegerField(_("number of examiners"))
    safmngnum = models.PositiveIntegerField(_("number of safety officers"))
    tracarnum = models.PositiveIntegerField(_("total number of training cars"))
    classroom = models.DecimalField(_("classroom area"), max_digits=10, decimal_places=2, null=True)
    thclassroom = models.DecimalField(
        _("theory classroom area"), max_digits=10, decimal_places=2, null=True
    )
    praticefield = models.DecimalField(_("training ground area"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("training institution")
        verbose_name_plural = _("training institutions")
        ordering = ["inscode"]

    def __str__(self) -> str:
        return f"{self.inscode} {self.name}"

    @property
    def classes(self) -> list[str]:
        return [c for c in self.busiscope.split(",") if c]


class PersonnelRole(models.TextChoices):
    COACH = "coach", _("coach")
    EXAMINER = "examiner", _("examiner")
    SECURITYGUARD = "securityguard", _("safety officer")


class Personnel(Filed):
    """教练员, 考核员 and 安全员 share one table: the standard gives them the same fields.

    A person is identified by (role, idcard); ``number`` is coachnum / examnum / secunum.
    """

    REGION_PATH = "institution__district_id"  # the region code, for the audit trail

    role = models.CharField(_("category"), max_length=16, choices=PersonnelRole.choices)
    number = models.CharField(_("unified number"), max_length=16, unique=True)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="staff")
    name = models.CharField(_("full name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=1)
    idcard = models.CharField(_("ID card number"), max_length=18)
    mobile = models.CharField(_("mobile number"), max_length=20)
    address = models.CharField(_("contact address"), max_length=200, blank=True)
    photo = models.ForeignKey(
        "registry.UploadedFile", null=True, on_delete=models.PROTECT, related_name="+"
    )
    fingerprint = models.CharField(_("fingerprint"), max_length=64, blank=True)
    drilicence = models.CharField(_("driving licence number"), max_length=32, blank=True)
    fstdrilicdate = models.DateField(_("driving licence first issue date"), null=True)
    occupationno = models.CharField(
        _("vocational qualification certificate number"), max_length=50, blank=True
    )
    occupationlevel = models.CharField(
        _("vocational qualification level"), max_length=1, blank=True
    )
    dripermitted = models.CharField(
        _("permitted driving vehicle classes"), max_length=64, blank=True
    )
    teachpermitted = models.CharField(
        _("permitted teaching vehicle classes"), max_length=64, blank=True
    )
    employstatus = models.CharField(_("employment status"), max_length=2)
    hiredate = models.DateField(_("hire date"))
    leavedate = models.DateField(_("leaving date"), null=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["role", "idcard"], name="personnel_role_idcard_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.number} {self.name}"


class TrainingCar(Filed):
    REGION_PATH = "institution__district_id"  # the region code, for the audit trail

    carnum = models.CharField(_("training car number"), max_length=16, unique=True)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="cars")
    franum = models.CharField(_("VIN"), max_length=32, blank=True)
    engnum = models.CharField(_("engine number"), max_length=32, blank=True)
    licnum = models.CharField(_("plate number"), max_length=16, unique=True)
    platecolor = models.CharField(_("plate colour"), max_length=2)
    photo = models.ForeignKey(
        "registry.UploadedFile", null=True, on_delete=models.PROTECT, related_name="+"
    )
    manufacture = models.CharField(_("manufacturer"), max_length=64)
    brand = models.CharField(_("vehicle brand"), max_length=64)
    model = models.CharField(_("vehicle model"), max_length=64, blank=True)
    perdritype = models.CharField(_("training vehicle class"), max_length=4)
    buydate = models.DateField(_("purchase date"), null=True)

    class Meta:
        verbose_name = _("training car")
        verbose_name_plural = _("training cars")
        ordering = ["carnum"]

    def __str__(self) -> str:
        return f"{self.carnum} {self.licnum}"


class Device(Filed):
    """计时终端. Identified by (vender, sn) before it has a unified number."""

    REGION_PATH = "institution__district_id"  # the region code, for the audit trail

    devnum = models.CharField(_("terminal number"), max_length=16, unique=True)
    institution = models.ForeignKey(
        Institution, null=True, on_delete=models.PROTECT, related_name="devices"
    )
    termtype = models.CharField(_("terminal type"), max_length=2)
    vender = models.CharField(_("manufacturer"), max_length=64)
    model = models.CharField(_("terminal model"), max_length=32)
    imei = models.CharField(_("IMEI"), max_length=32)
    sn = models.CharField(_("factory serial number"), max_length=64)
    cerbase64 = models.TextField(_("terminal certificate"), blank=True)

    class Meta:
        verbose_name = _("timing terminal")
        verbose_name_plural = _("timing terminals")
        ordering = ["devnum"]
        constraints = [
            models.UniqueConstraint(fields=["vender", "sn"], name="device_vender_sn_unique")
        ]

    def __str__(self) -> str:
        return self.devnum


class DeviceBinding(models.Model):
    """A terminal installed in a car. ``unbound_at`` is null while the binding holds."""

    REGION_PATH = "device__institution__district_id"  # the region code, for the audit trail

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="bindings")
    car = models.ForeignKey(TrainingCar, on_delete=models.PROTECT, related_name="bindings")
    sim = models.CharField(_("SIM card number"), max_length=20)
    bound_at = ClockDateTimeField(_("binding time"), auto_now_add=True)
    unbound_at = models.DateTimeField(_("unbinding time"), null=True)

    class Meta:
        verbose_name = _("terminal binding")
        verbose_name_plural = _("terminal bindings")
        constraints = [
            models.UniqueConstraint(
                fields=["device"],
                condition=models.Q(unbound_at__isnull=True),
                name="binding_one_active_per_device",
            ),
            models.UniqueConstraint(
                fields=["car"],
                condition=models.Q(unbound_at__isnull=True),
                name="binding_one_active_per_car",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device_id}→{self.car_id}"


class Student(Filed):
    """学员: one enrolment for one licence class. Identified by (cardtype, idcard, traintype)."""

    REGION_PATH = "institution__district_id"  # the region code, for the audit trail

    stunum = models.CharField(_("student number"), max_length=16, unique=True)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="students")
    cardtype = models.CharField(_("ID document type"), max_length=2)
    idcard = models.CharField(_("ID document number"), max_length=32)
    nationality = models.CharField(_("nationality"), max_length=32)
    name = models.CharField(_("full name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=1)
    phone = models.CharField(_("mobile number"), max_length=20)
    address = models.CharField(_("contact address"), max_length=200, blank=True)
    photo = models.ForeignKey(
        "registry.UploadedFile", null=True, on_delete=models.PROTECT, related_name="+"
    )
    fingerprint = models.CharField(_("fingerprint"), max_length=64, blank=True)
    busitype = models.CharField(_("application type"), max_length=2)
    drilicnum = models.CharField(_("driving licence number"), max_length=32, blank=True)
    fstdrilicdate = models.DateField(_("driving licence first issue date"), null=True)
    perdritype = models.CharField(_("original permitted vehicle class"), max_length=16, blank=True)
    traintype = models.CharField(_("training vehicle class"), max_length=4)
    applydate = models.DateField(_("enrolment date"))

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["stunum"]
        constraints = [
            models.UniqueConstraint(
                fields=["cardtype", "idcard", "traintype"], name="student_identity_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.stunum} {self.name}"


class TransferStatus(models.TextChoices):
    REQUESTED = "requested", _("requested")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class StudentTransfer(models.Model):
    """学员转校: the receiving school's request to take a student over, and its outcome.

    ``platform`` is the receiving school's platform (the requester). Across platforms the move
    happens only on the releasing platform's or a regulator's approval, with the student's
    consent (a signed document, ``consent_file``) recorded; within one platform it is approved
    at once.
    """

    REGION_PATH = "to_institution__district_id"  # the region code, for the audit trail

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="transfers")
    from_institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    to_institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    platform = models.ForeignKey(TimingPlatform, on_delete=models.PROTECT, related_name="+")
    at = ClockDateTimeField(auto_now_add=True)
    status = models.CharField(_("status"), max_length=16, choices=TransferStatus.choices)
    consent_file = models.ForeignKey(
        "registry.UploadedFile", null=True, on_delete=models.PROTECT, related_name="+"
    )
    consent_date = models.DateField(_("date of the student's consent"), null=True)
    decided_at = ClockDateTimeField(null=True)
    decided_by = models.CharField(_("decided by"), max_length=150, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("student transfer")
        verbose_name_plural = _("student transfers")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "to_institution"],
                condition=models.Q(status="requested"),
                name="one_open_transfer_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.student_id}: {self.from_institution_id}→{self.to_institution_id}"


class AreaType(models.TextChoices):
    """教学区域类型. The wire codes are not confirmed by a public source (standards.md §2.2 [U])."""

    SITE = "1", _("part 2 training ground")
    ROAD = "2", _("part 3 road")


class AreaStatus(models.TextChoices):
    PENDING = "pending", _("pending review")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    DELETED = "deleted", _("withdrawn")


class TeachingArea(models.Model):
    """教学区域 / 电子围栏. Filed by a school's timing platform, or entered by a city regulator
    for police-designated road-training routes (``institution`` is then null and
    ``time_windows`` lists when the route may be used)."""

    REGION_PATH = "region_id"  # the region code, for the audit trail

    institution = models.ForeignKey(
        Institution, null=True, blank=True, on_delete=models.PROTECT, related_name="areas"
    )
    region = models.ForeignKey(
        "accounts.Region", on_delete=models.PROTECT, related_name="teaching_areas"
    )
    platform = models.ForeignKey(
        TimingPlatform, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    seq = models.CharField(_("area number"), max_length=4)
    name = models.CharField(_("name"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=200)
    area = models.DecimalField(_("area"), max_digits=12, decimal_places=2)
    type = models.CharField(_("area type"), max_length=2, choices=AreaType.choices)
    vehicletype = models.CharField(_("training vehicle class"), max_length=64)
    polygon = models.JSONField(_("boundary (WGS-84 longitude/latitude)"))
    totalvehnum = models.PositiveIntegerField(_("vehicle capacity"), null=True)
    curvehnum = models.PositiveIntegerField(_("number of vehicles deployed"), null=True)
    time_windows = models.JSONField(_("training time windows"), default=list, blank=True)
    police_designated = models.BooleanField(_("police-designated route"), default=False)
    status = models.CharField(
        _("review status"), max_length=16, choices=AreaStatus.choices, default=AreaStatus.PENDING
    )
    review_reason = models.TextField(_("review comments"), blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = ClockDateTimeField(auto_now_add=True)
    updated_at = ClockDateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("teaching area")
        verbose_name_plural = _("teaching areas")
        ordering = ["region_id", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "seq"],
                condition=models.Q(institution__isnull=False),
                name="area_institution_seq_unique",
            ),
            models.UniqueConstraint(
                fields=["region", "seq"],
                condition=models.Q(institution__isnull=True),
                name="area_route_region_seq_unique",
            ),
        ]

    def __str__(self) -> str:
        owner = self.institution.inscode if self.institution else self.region_id
        return f"{owner}/{self.seq} {self.name}"


class FeeStandard(Filed):
    """收费标准 (charstandard)."""

    REGION_PATH = "institution__district_id"  # the region code, for the audit trail

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="fees")
    seq = models.CharField(_("number"), max_length=8)
    vehicletype = models.CharField(_("training vehicle class"), max_length=4)
    trainningmode = models.CharField(_("training mode"), max_length=8, blank=True)
    subject = models.CharField(_("training part"), max_length=8, blank=True)
    trainningtime = models.CharField(_("training time slot"), max_length=16, blank=True)
    chargemode = models.CharField(_("charging mode"), max_length=8, blank=True)
    paymode = models.CharField(_("payment mode"), max_length=8, blank=True)
    service = models.CharField(_("service content"), max_length=200, blank=True)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2)
    classcurr = models.CharField(_("course"), max_length=200)
    uptime = models.DateField(_("update date"))

    class Meta:
        verbose_name = _("fee schedule")
        verbose_name_plural = _("fee schedules")
        constraints = [
            models.UniqueConstraint(fields=["institution", "seq"], name="fee_institution_seq")
        ]

    def __str__(self) -> str:
        return f"{self.institution_id}/{self.seq} {self.price}"


class UploadedFile(models.Model):
    """A file sent to ``imageup/{type}``. Identical bytes of the same type from the same
    platform get the same id back, so a retried upload stores nothing new."""

    kind = models.CharField(_("file type"), max_length=32)
    platform = models.ForeignKey(TimingPlatform, on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    content = models.FileField(upload_to="uploads/%Y/%m/")
    created_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("uploaded file")
        verbose_name_plural = _("uploaded files")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "kind", "sha256"], name="upload_content_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class SignatureUse(models.Model):
    """One use of a signed request's ``(user, ts, sign)``: the replay cache.

    The unique constraint makes the first use win across every process; a row is kept until its
    ``ts`` leaves the signature window (after that ``ts`` is refused anyway) and then pruned.
    ``status`` and ``answer`` (the reply's bytes, zlib-compressed) are the first answer to a
    write, returned unchanged to an identical retry; reads keep neither and are answered afresh.
    """

    platform = models.ForeignKey(TimingPlatform, on_delete=models.CASCADE, related_name="+")
    ts = models.BigIntegerField()
    sign_sha256 = models.CharField(max_length=64)
    resource = models.CharField(max_length=200)
    body_sha256 = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)
    answer = models.BinaryField(null=True)
    expires_at = ClockDateTimeField(db_index=True)

    class Meta:
        verbose_name = _("signature use")
        verbose_name_plural = _("signature uses")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "ts", "sign_sha256"], name="signature_used_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform_id} {self.ts} {self.resource}"
