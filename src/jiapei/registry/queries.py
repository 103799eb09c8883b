"""Reads of the filing registry: wire-shaped views and region-scoped lists for regulators."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Subquery, Value, When

from jiapei.accounts import access
from jiapei.accounts.models import User
from jiapei.core.errors import NotFound
from jiapei.registry.models import (
    AreaStatus,
    AreaType,
    Device,
    DeviceBinding,
    FeeStandard,
    Institution,
    Personnel,
    Student,
    StudentTransfer,
    TeachingArea,
    TimingPlatform,
    TrainingCar,
)

NUMBER_FIELD = {"coach": "coachnum", "examiner": "examnum", "securityguard": "secunum"}


def _date(value: Any) -> str | None:
    return value.strftime("%Y%m%d") if value else None


def institution_wire(row: Institution) -> dict[str, Any]:
    return {
        "inscode": row.inscode,
        "district": row.district_id,
        "name": row.name,
        "shortname": row.shortname,
        "licnum": row.licnum,
        "licetime": _date(row.licetime),
        "busiscope": row.busiscope,
        "level": row.level,
        "filingstatus": row.filing_status,
    }


def personnel_wire(row: Personnel) -> dict[str, Any]:
    return {
        NUMBER_FIELD[row.role]: row.number,
        "inscode": row.institution.inscode,
        "name": row.name,
        "idcard": row.idcard,
        "teachpermitted": row.teachpermitted,
        "dripermitted": row.dripermitted,
        "employstatus": row.employstatus,
        "hiredate": _date(row.hiredate),
        "filingstatus": row.filing_status,
        "reason": row.status_reason,
    }


def car_wire(row: TrainingCar) -> dict[str, Any]:
    binding = row.bindings.filter(unbound_at__isnull=True).select_related("device").first()
    return {
        "carnum": row.carnum,
        "inscode": row.institution.inscode,
        "licnum": row.licnum,
        "perdritype": row.perdritype,
        "filingstatus": row.filing_status,
        "reason": row.status_reason,
        "devnum": binding.device.devnum if binding else None,
    }


def device_wire(row: Device) -> dict[str, Any]:
    binding = row.bindings.filter(unbound_at__isnull=True).select_related("car").first()
    return {
        "devnum": row.devnum,
        "inscode": row.institution.inscode if row.institution else None,
        "vender": row.vender,
        "sn": row.sn,
        "filingstatus": row.filing_status,
        "carnum": binding.car.carnum if binding else None,
    }


def student_wire(row: Student) -> dict[str, Any]:
    return {
        "stunum": row.stunum,
        "inscode": row.institution.inscode,
        "name": row.name,
        "idcard": row.idcard,
        "traintype": row.traintype,
        "applydate": _date(row.applydate),
        "busitype": row.busitype,
        "filingstatus": row.filing_status,
    }


def area_wire(row: TeachingArea) -> dict[str, Any]:
    return {
        "id": row.pk,
        "inscode": row.institution.inscode if row.institution else None,
        "region": row.region_id,
        "seq": row.seq,
        "name": row.name,
        "address": row.address,
        "type": row.type,
        "vehicletype": row.vehicletype,
        "polygon": row.polygon,
        "timewindows": row.time_windows,
        "police": row.police_designated,
        "status": row.status,
        "reason": row.review_reason,
        "reviewedat": row.reviewed_at.isoformat() if row.reviewed_at else None,
    }


def platform_wire(row: TimingPlatform) -> dict[str, Any]:
    return {
        "platnum": row.platnum,
        "name": row.name,
        "cert_serial": row.cert_serial,
        "status": row.status,
        "reason": row.status_reason,
        "callback_url": row.callback_url,
    }


def get_for_platform(platform: TimingPlatform, kind: str, number: str) -> dict[str, Any]:
    """One filed record the calling platform filed, in wire shape."""
    row: Any
    if kind == "institution":
        row = Institution.objects.filter(inscode=number, platform=platform).first()
        view = institution_wire
    elif kind in NUMBER_FIELD:
        row = Personnel.objects.filter(role=kind, number=number, platform=platform).first()
        view = personnel_wire  # type: ignore[assignment]
    elif kind == "trainingcar":
        row = TrainingCar.objects.filter(carnum=number, platform=platform).first()
        view = car_wire  # type: ignore[assignment]
    elif kind == "device":
        row = Device.objects.filter(devnum=number, platform=platform).first()
        view = device_wire  # type: ignore[assignment]
    else:
        row = Student.objects.filter(stunum=number, platform=platform).first()
        view = student_wire  # type: ignore[assignment]
    if row is None:
        field = {
            "trainingcar": "carnum",
            "device": "devnum",
            "student": "stunum",
            "institution": "inscode",
        }.get(kind) or NUMBER_FIELD[kind]
        raise NotFound(f"{field}={number!r}: 未备案 (not filed)", field=field, value=number)
    return view(row)


def area_review(platform: TimingPlatform, inscode: str, seq: str) -> dict[str, Any]:
    """``regionreview/get``: flag 1 = approved (同意启用), otherwise 0 with the reason."""
    # Area numbers have at most 4 digits (the filing refuses more); longer ones name no area.
    seq = f"{int(seq):04d}" if seq.isascii() and seq.isdigit() and len(seq) <= 4 else seq
    row = TeachingArea.objects.filter(
        institution__inscode=inscode, seq=seq, platform=platform
    ).first()
    if row is None:
        raise NotFound(
            f"seq={seq[:20]!r}: 教学区域未备案 (area not filed)", field="seq", value=seq[:20]
        )
    return {
        "inscode": inscode,
        "seq": row.seq,
        "flag": 1 if row.status == AreaStatus.APPROVED else 0,
        "status": row.status,
        "reason": row.review_reason,
    }


# Region-scoped lists for regulators. Every list a regulator sees goes through one of these.


def platforms_for(user: User) -> QuerySet[TimingPlatform]:
    """Every timing platform: they serve the whole province, so every regulator reads their
    names and status (certificates and callbacks are the province's: READ_PLATFORM_CREDENTIALS)."""
    access.regulator(user)
    return TimingPlatform.objects.order_by("platnum")


def institutions_for(user: User) -> QuerySet[Institution]:
    return access.scope(
        user, Institution.objects.select_related("district"), region_field="district__code"
    )


def personnel_for(user: User, role: str | None = None) -> QuerySet[Personnel]:
    qs = access.scope(
        user,
        Personnel.objects.select_related("institution"),
        region_field="institution__district__code",
    )
    return qs.filter(role=role) if role else qs


def cars_for(user: User) -> QuerySet[TrainingCar]:
    return access.scope(
        user,
        TrainingCar.objects.select_related("institution"),
        region_field="institution__district__code",
    )


def devices_for(user: User) -> QuerySet[Device]:
    return access.scope(
        user,
        Device.objects.select_related("institution"),
        region_field="institution__district__code",
    )


def students_for(user: User) -> QuerySet[Student]:
    return access.scope(
        user,
        Student.objects.select_related("institution"),
        region_field="institution__district__code",
    )


def areas_for(user: User) -> QuerySet[TeachingArea]:
    return access.scope(
        user, TeachingArea.objects.select_related("institution"), region_field="region__code"
    )


def transfer_wire(row: StudentTransfer, *, names: bool = False) -> dict[str, Any]:
    """A transfer request as either side (and a regulator) sees it: schools and status, never
    the student's personal data (the releasing side has it; the receiving side gets it from
    the student). ``names`` adds the schools' names, for regulators."""
    view: dict[str, Any] = {
        "id": row.pk if names else str(row.pk),
        "stunum": row.student.stunum,
        "frominscode": row.from_institution.inscode,
        "toinscode": row.to_institution.inscode,
        "status": row.status,
        "consentfile": str(row.consent_file_id) if row.consent_file_id else None,
        "consentdate": _date(row.consent_date),
        "requested": row.at.isoformat(),
        "decided": row.decided_at.isoformat() if row.decided_at else None,
        "reason": row.reason,
    }
    if names:
        view["fromname"] = row.from_institution.name
        view["toname"] = row.to_institution.name
        view["decidedby"] = row.decided_by
    return view


def transfers_for_platform(platform: TimingPlatform, stunum: str) -> list[dict[str, Any]]:
    """``transfer/get``: the requests about ``stunum`` that the caller made (receiving side) or
    that concern its student (releasing side); nothing about other platforms' requests."""
    rows = (
        StudentTransfer.objects.filter(student__stunum=stunum)
        .filter(Q(platform=platform) | Q(from_institution__platform=platform))
        .select_related("student", "from_institution", "to_institution")
        .order_by("-at", "-pk")
    )
    return [transfer_wire(row) for row in rows]


def transfers_for(user: User, status: str | None = None) -> QuerySet[StudentTransfer]:
    """The transfer requests a regulator sees: those from or to a school in its region."""
    qs = StudentTransfer.objects.filter(
        access.region_q(user, "from_institution__district__code")
        | access.region_q(user, "to_institution__district__code")
    ).select_related("student", "from_institution", "to_institution")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-at", "-pk")


def fees_for(user: User) -> QuerySet[FeeStandard]:
    return access.scope(
        user,
        FeeStandard.objects.select_related("institution"),
        region_field="institution__district__code",
    )


def bindings_for(user: User) -> QuerySet[DeviceBinding]:
    """Terminal bindings, current and past, of the cars in the user's region (a binding
    belongs to the car's school: the terminal follows the car it is installed in)."""
    return access.scope(
        user,
        DeviceBinding.objects.select_related("device", "car", "car__institution"),
        region_field="car__institution__district__code",
    )


def platform_institutions_for(user: User, platform: TimingPlatform) -> QuerySet[Institution]:
    """The schools in the user's region that ``platform`` serves (a platform serves the whole
    province, but a city reads only its own schools' names and counts)."""
    return institutions_for(user).filter(platform=platform)


def _current_binding(field: str) -> QuerySet[DeviceBinding]:
    return DeviceBinding.objects.filter(**{field: OuterRef("pk")}, unbound_at__isnull=True)


def with_current_terminal(cars: QuerySet[TrainingCar]) -> QuerySet[TrainingCar]:
    """Annotate each car with the number of the terminal bound to it now (``current_devnum``,
    None when none is): one subquery per row, on the partial unique index of open bindings."""
    return cars.annotate(
        current_devnum=Subquery(_current_binding("car").values("device__devnum")[:1])
    )


def without_bound_terminal(cars: QuerySet[TrainingCar]) -> QuerySet[TrainingCar]:
    """The cars no terminal is bound to now (seed 001 应装尽装: every car must carry one)."""
    return cars.filter(~Exists(_current_binding("car")))


def with_current_car(devices: QuerySet[Device]) -> QuerySet[Device]:
    """Annotate each terminal with the car it is installed in now (``current_carnum``,
    ``current_licnum``; None when it is not bound)."""
    bound = _current_binding("device")
    return devices.annotate(
        current_carnum=Subquery(bound.values("car__carnum")[:1]),
        current_licnum=Subquery(bound.values("car__licnum")[:1]),
    )


def not_installed(devices: QuerySet[Device]) -> QuerySet[Device]:
    """The terminals bound to no car now."""
    return devices.filter(~Exists(_current_binding("device")))


# The console's fences and police routes (teaching areas filed by schools are reviewed; routes
# are entered by the cities).


def area_queue_for(user: User) -> QuerySet[TeachingArea]:
    """Teaching areas filed by the schools of the user's region, pending ones first, then the
    most recently changed."""
    pending_first = Case(When(status=AreaStatus.PENDING, then=Value(0)), default=Value(1))
    return (
        areas_for(user)
        .filter(institution__isnull=False)
        .select_related("region", "reviewed_by")
        .annotate(pending_first=pending_first)
        .order_by("pending_first", "-updated_at")
    )


def police_routes_for(user: User) -> QuerySet[TeachingArea]:
    """Police-designated routes the user reads: those of its region and of the city above it
    (a county's regulators follow their city's routes; only cities and the province enter them)."""
    return access.scope(
        user,
        TeachingArea.objects.filter(police_designated=True, institution__isnull=True)
        .select_related("region", "reviewed_by")
        .order_by("region_id", "seq"),
        region_field="region__code",
        include_above=True,
    )


def city_routes(user: User, region_code: str) -> QuerySet[TeachingArea]:
    """The approved police routes of the city containing ``region_code`` the user may read."""
    return police_routes_for(user).filter(
        region_id=region_code[:4] + "00", status=AreaStatus.APPROVED
    )


def school_areas(area: TeachingArea) -> QuerySet[TeachingArea]:
    """The other teaching areas of ``area``'s school (withdrawn ones left out)."""
    return (
        TeachingArea.objects.filter(institution=area.institution)
        .exclude(pk=area.pk)
        .exclude(status=AreaStatus.DELETED)
        .order_by("seq")
    )


def student_transfers(student: Student) -> QuerySet[StudentTransfer]:
    """The student's transfers between institutions (学员转校), oldest first. The student comes
    from :func:`students_for`, so the caller already may see it; the schools named may lie in
    another region (a transfer crosses cities), and a transfer is part of the student's file."""
    return (
        StudentTransfer.objects.filter(student=student)
        .select_related("from_institution__district", "to_institution__district", "platform")
        .order_by("at", "pk")
    )


def session_areas(institution_id: int, city_code: str, *, part: int) -> QuerySet[TeachingArea]:
    """The teaching areas a session map of syllabus ``part`` shows, the fences its minutes were
    held to: for part 2 the school's training grounds, for part 3 its road areas and its
    city's approved police-designated routes (the school's own in every status but withdrawn,
    so a pending or rejected area is seen too); none for the theory parts."""
    kind = {2: AreaType.SITE, 3: AreaType.ROAD}.get(part)
    if kind is None:
        return TeachingArea.objects.none()
    own = Q(institution_id=institution_id, type=kind) & ~Q(status=AreaStatus.DELETED)
    routes = Q(
        institution__isnull=True,
        police_designated=True,
        status=AreaStatus.APPROVED,
        region_id=city_code,
    )
    shown = own | routes if part == 3 else own
    return TeachingArea.objects.filter(shown).order_by("institution_id", "seq", "pk")
