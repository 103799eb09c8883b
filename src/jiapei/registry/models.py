"""Filings (备案): the entities a timing platform files, under their national unified numbers.

Field names follow standards.md §2.2 in English; ``wire`` maps live in ``registry/wire.py``.
Filings are never physically deleted: ``filing_status`` records 注销 (deleted by the timing
platform) and 撤销 (revoked by a regulator), so hours and audit history keep their references.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlatformStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    SUSPENDED = "suspended", _("暂停")
    REVOKED = "revoked", _("吊销")


class TimingPlatform(models.Model):
    """A vendor's timing platform (计时平台), the caller of the signed interface."""

    platnum = models.CharField(_("平台编号"), max_length=5, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    cert_serial = models.CharField(_("证书序列号"), max_length=64, unique=True)
    public_key_pem = models.TextField(_("证书公钥 (PEM)"))
    status = models.CharField(
        _("状态"), max_length=16, choices=PlatformStatus.choices, default=PlatformStatus.ACTIVE
    )
    status_reason = models.TextField(_("状态原因"), blank=True)
    callback_url = models.URLField(_("回调地址"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("计时平台")
        verbose_name_plural = _("计时平台")
        ordering = ["platnum"]

    def __str__(self) -> str:
        return f"{self.platnum} {self.name}"


class FilingStatus(models.TextChoices):
    ACTIVE = "active", _("已备案")
    DELETED = "deleted", _("已注销")
    REVOKED = "revoked", _("已撤销")


class Filed(models.Model):
    """Common columns of every filed record."""

    filing_status = models.CharField(
        _("备案状态"), max_length=16, choices=FilingStatus.choices, default=FilingStatus.ACTIVE
    )
    status_reason = models.TextField(_("状态原因"), blank=True)
    platform = models.ForeignKey(
        TimingPlatform, on_delete=models.PROTECT, related_name="+", verbose_name=_("计时平台")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = models.Manager()

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        return self.filing_status == FilingStatus.ACTIVE


class Institution(Filed):
    """培训机构. ``district`` is the county (or city) it is licensed in; it scopes regulators."""

    inscode = models.CharField(_("机构编号"), max_length=16, unique=True)
    district = models.ForeignKey(
        "accounts.Region", on_delete=models.PROTECT, related_name="institutions"
    )
    name = models.CharField(_("名称"), max_length=100)
    shortname = models.CharField(_("简称"), max_length=50)
    licnum = models.CharField(_("经营许可证号"), max_length=50, unique=True)
    licetime = models.DateField(_("许可日期"))
    business = models.CharField(_("营业执照注册号"), max_length=50)
    creditcode = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    address = models.CharField(_("地址"), max_length=200)
    postcode = models.CharField(_("邮编"), max_length=6)
    legal = models.CharField(_("法定代表人"), max_length=50)
    contact = models.CharField(_("联系人"), max_length=50)
    phone = models.CharField(_("电话"), max_length=32)
    busiscope = models.CharField(_("经营范围"), max_length=100)
    busistatus = models.CharField(_("经营状态"), max_length=8)
    level = models.CharField(_("分类等级"), max_length=2)
    coachnumber = models.PositiveIntegerField(_("教练员总数"))
    grasupvnum = models.PositiveIntegerField(_("考核员数"))
    safmngnum = models.PositiveIntegerField(_("安全员数"))
    tracarnum = models.PositiveIntegerField(_("教练车总数"))
    classroom = models.DecimalField(_("教室面积"), max_digits=10, decimal_places=2, null=True)
    thclassroom = models.DecimalField(_("理论教室面积"), max_digits=10, decimal_places=2, null=True)
    praticefield = models.DecimalField(_("教练场面积"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("培训机构")
        verbose_name_plural = _("培训机构")
        ordering = ["inscode"]

    def __str__(self) -> str:
        return f"{self.inscode} {self.name}"

    @property
    def classes(self) -> list[str]:
        return [c for c in self.busiscope.split(",") if c]


class PersonnelRole(models.TextChoices):
    COACH = "coach", _("教练员")
    EXAMINER = "examiner", _("考核员")
    SECURITYGUARD = "securityguard", _("安全员")


class Personnel(Filed):
    """教练员, 考核员 and 安全员 share one table: the standard gives them the same fields.

    A person is identified by (role, idcard); ``number`` is coachnum / examnum / secunum.
    """

    role = models.CharField(_("类别"), max_length=16, choices=PersonnelRole.choices)
    number = models.CharField(_("统一编号"), max_length=16, unique=True)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="staff")
    name = models.CharField(_("姓名"), max_length=50)
    sex = models.CharField(_("性别"), max_length=1)
    idcard = models.CharField(_("身份证号"), max_length=18)
    mobile = models.CharField(_("手机号码"), max_length=20)
    address = models.CharField(_("联系地址"), max_length=200, blank=True)
    photo = models.ForeignKey(
        "registry.UploadedFile", null=True, on_delete=models.PROTECT, related_name="+"
    )
    fingerprint = models.CharField(_("指纹"), max_length=64, blank=True)
    drilicence = models.CharField(_("驾驶证号"), max_length=32, blank=True)
    fstdrilicdate = models.DateField(_("驾驶证初领日期"), null=True)
    occupationno = models.CharField(_("职业资格证号"), max_length=50, blank=True)
    occupationlevel = models.CharField(_("职业资格等级"), max_length=1, blank=True)
    dripermitted = models.CharField(_("准驾车型"), max_length=64, blank=True)
    teachpermitted = models.CharField(_("准教车型"), max_length=64, blank=True)
    employstatus = models.CharField(_("供职状态"), max_length=2)
    hiredate = models.DateField(_("入职日期"))
    leavedate = models.DateField(_("离职日期"), null=True)

    class Meta:
        verbose_name = _("从业人员")
        verbose_name_plural = _("从业人员")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["role", "idcard"], name="personnel_role_idcard_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.number} {self.name}"


class TrainingCar(Filed):
    carnum = models.CharField(_("教练车编号"), max_length=16, unique=True)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="cars")
    franum = models.CharField(_("车架号"), max_length=32, blank=True)
    engnum = models.CharField(_("发动机号"), max_length=32, blank=True)
    licnum = models.CharField(_("车牌号"), max_length=16, unique=True)
    platecolor = models.CharField(_("车牌颜色"), max_length=2)
    photo = models.ForeignKey(
        "registry.UploadedFile", null=True, on_delete=models.PROTECT, related_name="+"
    )
    manufacture = models.CharField(_("生产厂家"), max_length=64)
    brand = models.CharField(_("车辆品牌"), max_length=64)
    model = models.CharField(_("车辆型号"), max_length=64, blank=True)
    perdritype = models.CharField(_("培训车型"), max_length=4)
    buydate = models.DateField(_("购买日期"), null=True)

    class Meta:
        verbose_name = _("教练车")
        verbose_name_plural = _("教练车")
        ordering = ["carnum"]

    def __str__(self) -> str:
        return f"{self.carnum} {self.licnum}"


class Device(Filed):
    """计时终端. Identified by (vender, sn) before it has a unified number."""

    devnum = models.CharField(_("终端编号"), max_length=16, unique=True)
    institution = models.ForeignKey(
        Institution, null=True, on_delete=models.PROTECT, related_name="devices"
    )
    termtype = models.CharField(_("终端类型"), max_length=2)
    vender = models.CharField(_("生产厂家"), max_length=64)
    model = models.CharField(_("终端型号"), max_length=32)
    imei = models.CharField(_("IMEI"), max_length=32)
    sn = models.CharField(_("出厂序列号"), max_length=64)
    cerbase64 = models.TextField(_("终端证书"), blank=True)

    class Meta:
        verbose_name = _("计时终端")
        verbose_name_plural = _("计时终端")
        ordering = ["devnum"]
        constraints = [
            models.UniqueConstraint(fields=["vender", "sn"], name="device_vender_sn_unique")
        ]

    def __str__(self) -> str:
        return self.devnum


class DeviceBinding(models.Model):
    """A terminal installed in a car. ``unbound_at`` is null while the binding holds."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="bindings")
    car = models.ForeignKey(TrainingCar, on_delete=models.PROTECT, related_name="bindings")
    sim = models.CharField(_("SIM卡号"), max_length=20)
    bound_at = models.DateTimeField(_("绑定时间"), auto_now_add=True)
    unbound_at = models.DateTimeField(_("解绑时间"), null=True)

    class Meta:
        verbose_name = _("终端绑定")
        verbose_name_plural = _("终端绑定")
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

    stunum = models.CharField(_("学员编号"), max_length=16, unique=True)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="students")
    cardtype = models.CharField(_("证件类型"), max_length=2)
    idcard = models.CharField(_("证件号码"), max_length=32)
    nationality = models.CharField(_("国籍"), max_length=32)
    name = models.CharField(_("姓名"), max_length=50)
    sex = models.CharField(_("性别"), max_length=1)
    phone = models.CharField(_("手机号码"), max_length=20)
    address = models.CharField(_("联系地址"), max_length=200, blank=True)
    photo = models.ForeignKey(
        "registry.UploadedFile", null=True, on_delete=models.PROTECT, related_name="+"
    )
    fingerprint = models.CharField(_("指纹"), max_length=64, blank=True)
    busitype = models.CharField(_("业务类型"), max_length=2)
    drilicnum = models.CharField(_("驾驶证号"), max_length=32, blank=True)
    fstdrilicdate = models.DateField(_("驾驶证初领日期"), null=True)
    perdritype = models.CharField(_("原准驾车型"), max_length=16, blank=True)
    traintype = models.CharField(_("培训车型"), max_length=4)
    applydate = models.DateField(_("报名日期"))

    class Meta:
        verbose_name = _("学员")
        verbose_name_plural = _("学员")
        ordering = ["stunum"]
        constraints = [
            models.UniqueConstraint(
                fields=["cardtype", "idcard", "traintype"], name="student_identity_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.stunum} {self.name}"


class StudentTransfer(models.Model):
    """学员转校: a student moved from one institution to another."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="transfers")
    from_institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    to_institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    platform = models.ForeignKey(TimingPlatform, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("学员转校")
        verbose_name_plural = _("学员转校")

    def __str__(self) -> str:
        return f"{self.student_id}: {self.from_institution_id}→{self.to_institution_id}"


class AreaType(models.TextChoices):
    """教学区域类型. The wire codes are not confirmed by a public source (standards.md §2.2 [U])."""

    SITE = "1", _("第二部分场地")
    ROAD = "2", _("第三部分道路")


class AreaStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已启用")
    REJECTED = "rejected", _("已驳回")
    DELETED = "deleted", _("已注销")


class TeachingArea(models.Model):
    """教学区域 / 电子围栏. Filed by a school's timing platform, or entered by a city regulator
    for police-designated road-training routes (``institution`` is then null and
    ``time_windows`` lists when the route may be used)."""

    institution = models.ForeignKey(
        Institution, null=True, blank=True, on_delete=models.PROTECT, related_name="areas"
    )
    region = models.ForeignKey(
        "accounts.Region", on_delete=models.PROTECT, related_name="teaching_areas"
    )
    platform = models.ForeignKey(
        TimingPlatform, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    seq = models.CharField(_("区域编号"), max_length=4)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    address = models.CharField(_("地址"), max_length=200)
    area = models.DecimalField(_("面积"), max_digits=12, decimal_places=2)
    type = models.CharField(_("区域类型"), max_length=2, choices=AreaType.choices)
    vehicletype = models.CharField(_("培训车型"), max_length=64)
    polygon = models.JSONField(_("边界 (WGS-84 经纬度)"))
    totalvehnum = models.PositiveIntegerField(_("可容纳车辆数"), null=True)
    curvehnum = models.PositiveIntegerField(_("已投放车辆数"), null=True)
    time_windows = models.JSONField(_("训练时段"), default=list, blank=True)
    police_designated = models.BooleanField(_("公安指定路线"), default=False)
    status = models.CharField(
        _("审核状态"), max_length=16, choices=AreaStatus.choices, default=AreaStatus.PENDING
    )
    review_reason = models.TextField(_("审核意见"), blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("教学区域")
        verbose_name_plural = _("教学区域")
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

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="fees")
    seq = models.CharField(_("编号"), max_length=8)
    vehicletype = models.CharField(_("培训车型"), max_length=4)
    trainningmode = models.CharField(_("培训模式"), max_length=8, blank=True)
    subject = models.CharField(_("培训部分"), max_length=8, blank=True)
    trainningtime = models.CharField(_("培训时段"), max_length=16, blank=True)
    chargemode = models.CharField(_("收费模式"), max_length=8, blank=True)
    paymode = models.CharField(_("付费模式"), max_length=8, blank=True)
    service = models.CharField(_("服务内容"), max_length=200, blank=True)
    price = models.DecimalField(_("价格"), max_digits=10, decimal_places=2)
    classcurr = models.CharField(_("课程"), max_length=200)
    uptime = models.DateField(_("更新日期"))

    class Meta:
        verbose_name = _("收费标准")
        verbose_name_plural = _("收费标准")
        constraints = [
            models.UniqueConstraint(fields=["institution", "seq"], name="fee_institution_seq")
        ]

    def __str__(self) -> str:
        return f"{self.institution_id}/{self.seq} {self.price}"


class UploadedFile(models.Model):
    """A file sent to ``imageup/{type}``. Identical bytes of the same type from the same
    platform get the same id back, so a retried upload stores nothing new."""

    kind = models.CharField(_("文件类型"), max_length=32)
    platform = models.ForeignKey(TimingPlatform, on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    content = models.FileField(upload_to="uploads/%Y/%m/")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("上传文件")
        verbose_name_plural = _("上传文件")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "kind", "sha256"], name="upload_content_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"
