"""The regulators' API (治理端): platform management, reviews, revocations, road routes and
region-scoped lists. Authenticated by account (HTTP Basic or session); every read and write is
limited to the user's region and below."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from jiapei.accounts import access
from jiapei.api.auth import user_auth
from jiapei.api.common import REGULATOR, Page, paged, regulator_of
from jiapei.api.envelope import ok
from jiapei.audit import queries as audit_queries
from jiapei.audit import services as audit_services
from jiapei.core import wire
from jiapei.core.errors import FieldError, NotFound
from jiapei.exams import queries as exam_queries
from jiapei.registry import queries, services
from jiapei.registry.models import TimingPlatform

router = Router(auth=user_auth, tags=["监管端 / regulators"])


@router.get("regions", response=REGULATOR, summary="辖区行政区划 (regions in scope)")
def regions(request: HttpRequest) -> dict[str, Any]:
    user, _ = regulator_of(request)
    rows = access.visible_regions(user)
    return ok(
        [{"code": r.code, "name": r.name, "level": r.level, "parent": r.parent_id} for r in rows]
    )


class PlatformIn(Schema):
    platnum: str
    name: str
    cert_serial: str
    public_key_pem: str
    callback_url: str = ""


class StatusIn(Schema):
    status: Literal["active", "suspended", "revoked"]
    reason: str = ""


@router.get("platforms", response=REGULATOR, summary="计时平台列表 (timing platforms)")
def platforms(request: HttpRequest) -> dict[str, Any]:
    user, _ = regulator_of(request)
    rows = [queries.platform_wire(p) for p in TimingPlatform.objects.order_by("platnum")]
    if not access.allowed(user, access.Action.READ_PLATFORM_CREDENTIALS):
        # Certificates and callback addresses are the province's business only.
        rows = [{k: r[k] for k in ("platnum", "name", "status")} for r in rows]
    return ok(rows)


@router.post(
    "platforms",
    response=REGULATOR,
    summary="登记计时平台 (register a timing platform; province only)",
)
def register_platform(request: HttpRequest, payload: PlatformIn) -> dict[str, Any]:
    _, actor = regulator_of(request)
    platform, created = services.register_platform(actor=actor, **payload.dict())
    return ok({**queries.platform_wire(platform), "created": created})


@router.post(
    "platforms/{platnum}/status",
    response=REGULATOR,
    summary="暂停/吊销/恢复计时平台 (province only)",
)
def platform_status(request: HttpRequest, platnum: str, payload: StatusIn) -> dict[str, Any]:
    _, actor = regulator_of(request)
    platform = services.set_platform_status(
        actor=actor, platnum=platnum, status=payload.status, reason=payload.reason
    )
    return ok(queries.platform_wire(platform))


class AreaFilter(Page):
    status: str | None = None


@router.get("areas", response=REGULATOR, summary="教学区域 (teaching areas in scope)")
def areas(request: HttpRequest, filters: Query[AreaFilter]) -> dict[str, Any]:
    user, _ = regulator_of(request)
    qs = queries.areas_for(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return paged(qs, filters, queries.area_wire)


@router.get("areas/{area_id}", response=REGULATOR, summary="教学区域详情 (one teaching area)")
def area(request: HttpRequest, area_id: int) -> dict[str, Any]:
    user, _ = regulator_of(request)
    row = queries.areas_for(user).filter(pk=area_id).first()
    if row is None:
        raise NotFound(f"area {area_id}: 教学区域不存在 (no such area)", field="id", value=area_id)
    return ok(queries.area_wire(row))


class ReviewIn(Schema):
    decision: Literal["approve", "reject"]
    reason: str = ""


@router.post(
    "areas/{area_id}/review", response=REGULATOR, summary="审核教学区域 (approve or reject)"
)
def review_area(request: HttpRequest, area_id: int, payload: ReviewIn) -> dict[str, Any]:
    _, actor = regulator_of(request)
    row = services.review_area(
        actor=actor, area_id=area_id, approve=payload.decision == "approve", reason=payload.reason
    )
    return ok(queries.area_wire(row))


class TimeWindow(Schema):
    start: str
    end: str
    weekdays: list[int] = [1, 2, 3, 4, 5, 6, 7]


class RouteIn(Schema):
    region: str | None = None
    seq: str
    name: str
    address: str = ""
    vehicletype: str
    polygon: str | list[Any]
    coordtype: str | None = None
    time_windows: list[TimeWindow]


@router.post(
    "routes",
    response=REGULATOR,
    summary="录入公安指定道路训练路线 (enter a police-designated route)",
)
def enter_route(request: HttpRequest, payload: RouteIn) -> dict[str, Any]:
    _, actor = regulator_of(request)
    row, created = services.enter_police_route(actor=actor, data=payload.dict(exclude_none=True))
    return ok({**queries.area_wire(row), "created": created})


class RevokeIn(Schema):
    reason: str


FilingKind = Literal["coach", "examiner", "securityguard", "trainingcar"]


@router.post(
    "filings/{kind}/{number}/revoke", response=REGULATOR, summary="撤销备案 (revoke a filing)"
)
def revoke(
    request: HttpRequest, kind: FilingKind, number: str, payload: RevokeIn
) -> dict[str, Any]:
    _, actor = regulator_of(request)
    row = services.set_filing_revoked(
        actor=actor, kind=kind, number=number, revoked=True, reason=payload.reason
    )
    return ok({"number": number, "filingstatus": row.filing_status})


@router.post(
    "filings/{kind}/{number}/restore",
    response=REGULATOR,
    summary="恢复备案 (restore a revoked filing)",
)
def restore(
    request: HttpRequest, kind: FilingKind, number: str, payload: RevokeIn
) -> dict[str, Any]:
    _, actor = regulator_of(request)
    row = services.set_filing_revoked(
        actor=actor, kind=kind, number=number, revoked=False, reason=payload.reason
    )
    return ok({"number": number, "filingstatus": row.filing_status})


@router.get("institutions", response=REGULATOR, summary="培训机构 (institutions in scope)")
def institutions(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
    user, _ = regulator_of(request)
    return paged(queries.institutions_for(user), page, queries.institution_wire)


class PersonnelFilter(Page):
    role: Literal["coach", "examiner", "securityguard"] | None = None


@router.get(
    "personnel",
    response=REGULATOR,
    summary="从业人员 (coaches, examiners, safety officers in scope)",
)
def personnel(request: HttpRequest, filters: Query[PersonnelFilter]) -> dict[str, Any]:
    user, _ = regulator_of(request)
    return paged(queries.personnel_for(user, filters.role), filters, queries.personnel_wire)


@router.get("cars", response=REGULATOR, summary="教练车 (training cars in scope)")
def cars(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
    user, _ = regulator_of(request)
    return paged(queries.cars_for(user), page, queries.car_wire)


@router.get("devices", response=REGULATOR, summary="计时终端 (terminals in scope)")
def devices(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
    user, _ = regulator_of(request)
    return paged(queries.devices_for(user), page, queries.device_wire)


@router.get("students", response=REGULATOR, summary="学员 (students in scope)")
def students(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
    user, _ = regulator_of(request)
    return paged(queries.students_for(user), page, queries.student_wire)


@router.get(
    "students/{stunum}/progress",
    response=REGULATOR,
    summary="学员学时进度 (a student's audited progress)",
)
def student_progress(request: HttpRequest, stunum: str, lang: str = "zh-hans") -> dict[str, Any]:
    user, _ = regulator_of(request)
    student = queries.students_for(user).filter(stunum=stunum).first()
    if student is None:
        raise NotFound(
            f"stunum={stunum!r}: 学员不存在 (no such student)", field="stunum", value=stunum
        )
    return ok(audit_queries.progress(student, lang=lang))


class ThresholdIn(Schema):
    scope_kind: str
    scope_code: str
    field: str
    value: Any
    effective_from: str
    effective_to: str | None = None
    note: str = ""


@router.get("thresholds", response=REGULATOR, summary="审核阈值设置 (audit threshold settings)")
def thresholds(request: HttpRequest) -> dict[str, Any]:
    user, _ = regulator_of(request)
    rows = audit_queries.thresholds_for(user)
    return ok(
        [
            {
                "id": r.id,
                "scope_kind": r.scope_kind,
                "scope_code": r.scope_code,
                "field": r.field,
                "value": r.value,
                "effective_from": r.effective_from.isoformat(),
                "effective_to": r.effective_to.isoformat() if r.effective_to else None,
                "note": r.note,
            }
            for r in rows
        ]
    )


@router.post(
    "thresholds", response=REGULATOR, summary="设置审核阈值 (set an audit threshold from a date)"
)
def set_threshold(request: HttpRequest, payload: ThresholdIn) -> dict[str, Any]:
    _, actor = regulator_of(request)
    row = audit_services.set_threshold(actor=actor, data=payload.dict())
    return ok({"id": row.id, "field": row.field, "value": row.value})


@router.get(
    "pass-rates", response=REGULATOR, summary="考试合格率 (pass rates per school and subject)"
)
def pass_rates(request: HttpRequest, start: str, end: str) -> dict[str, Any]:
    user, _ = regulator_of(request)
    first = wire.wire_date("start", start)
    last = wire.wire_date("end", end)
    if last < first:
        raise FieldError("end", end, "结束日期早于开始日期 (end before start)")
    return ok(exam_queries.pass_rates(user, start=first, end=last))
