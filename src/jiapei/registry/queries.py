"""Reads of the filing registry: wire-shaped views and region-scoped lists for regulators."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, QuerySet, Value, When

from jiapei.accounts import access
from jiapei.accounts.models import User
from jiapei.core.errors import NotFound
from jiapei.registry.models import (
    AreaStatus,
    Device,
    Institution,
    Personnel,
    Student,
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
