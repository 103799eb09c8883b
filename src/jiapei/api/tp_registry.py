"""The timing-platform filing interface: ``POST /{resource}?v=&ts=&sign=&user=``.

Each handler authenticates the caller by signature (``SignedPlatform``), hands the body to the
registry service and replies with the envelope. Filing the same record again updates it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Router
from ninja.files import UploadedFile as NinjaFile

from jiapei.api import tp_schemas as s
from jiapei.api.auth import SignedPlatform
from jiapei.api.common import ENVELOPE, data_of, platform_of
from jiapei.api.envelope import ok
from jiapei.registry import queries, services
from jiapei.registry.models import TransferStatus

router = Router(auth=SignedPlatform(), tags=["计时平台接口 / timing-platform interface"])
upload_router = Router(
    auth=SignedPlatform(file_field="file"), tags=["计时平台接口 / timing-platform interface"]
)


@router.post("institution", response=ENVELOPE, summary="培训机构备案 (file an institution)")
def institution(request: HttpRequest, payload: s.InstitutionIn) -> dict[str, Any]:
    platform, actor = platform_of(request)
    row, created = services.file_institution(actor=actor, platform=platform, data=data_of(payload))
    return ok({"inscode": row.inscode, "created": created})


def _person_endpoint(role: str, schema: type[s.PersonIn], number_field: str) -> None:
    def handler(request: HttpRequest, payload: Any) -> dict[str, Any]:
        platform, actor = platform_of(request)
        row, created = services.file_personnel(
            actor=actor, platform=platform, role=role, data=data_of(payload)
        )
        return ok({number_field: row.number, "created": created})

    handler.__annotations__["payload"] = schema
    handler.__name__ = role
    router.post(role, response=ENVELOPE, summary=f"{role} 备案 (file a {role})")(handler)


_person_endpoint("coach", s.CoachIn, "coachnum")
_person_endpoint("examiner", s.ExaminerIn, "examnum")
_person_endpoint("securityguard", s.SecurityGuardIn, "secunum")


@router.post("trainingcar", response=ENVELOPE, summary="教练车备案 (file a training car)")
def trainingcar(request: HttpRequest, payload: s.TrainingCarIn) -> dict[str, Any]:
    platform, actor = platform_of(request)
    row, created = services.file_trainingcar(actor=actor, platform=platform, data=data_of(payload))
    return ok({"carnum": row.carnum, "created": created})


@router.post("device", response=ENVELOPE, summary="计时终端备案 (file a timing terminal)")
def device(request: HttpRequest, payload: s.DeviceIn) -> dict[str, Any]:
    platform, actor = platform_of(request)
    row, created = services.file_device(actor=actor, platform=platform, data=data_of(payload))
    return ok({"devnum": row.devnum, "created": created})


@router.post("devassign", response=ENVELOPE, summary="终端绑定教练车 (bind terminal to car)")
def devassign(request: HttpRequest, payload: s.BindingIn) -> dict[str, Any]:
    platform, actor = platform_of(request)
    binding, created = services.bind_device(actor=actor, platform=platform, data=data_of(payload))
    return ok({"devnum": binding.device.devnum, "carnum": binding.car.carnum, "created": created})


@router.post("devrembinding", response=ENVELOPE, summary="终端解绑 (unbind terminal)")
def devrembinding(request: HttpRequest, payload: s.BindingIn) -> dict[str, Any]:
    platform, actor = platform_of(request)
    binding = services.unbind_device(actor=actor, platform=platform, data=data_of(payload))
    return ok({"devnum": payload.devnum, "carnum": payload.carnum, "unbound": binding is not None})


@router.post("student", response=ENVELOPE, summary="学员备案 (file a student)")
def student(request: HttpRequest, payload: s.StudentIn) -> dict[str, Any]:
    platform, actor = platform_of(request)
    row, created = services.file_student(actor=actor, platform=platform, data=data_of(payload))
    return ok({"stunum": row.stunum, "created": created})


@router.post(
    "transfer",
    response=ENVELOPE,
    summary="学员转校申请 (the receiving school requests a student's transfer)",
    description="Within one platform the student moves at once. From another platform's school "
    "it is a request (`status` requested) until that platform (`transfer/approve`) or a "
    "regulator approves it; `consentfile` (the student's signed consent, `imageup/epdfimg`) "
    "and `consentdate` (YYYYMMDD) are then required.",
)
def transfer(request: HttpRequest, payload: s.TransferIn) -> dict[str, Any]:
    platform, actor = platform_of(request)
    row, _created = services.request_transfer(actor=actor, platform=platform, data=data_of(payload))
    if row is None:
        return ok({"stunum": payload.stunum, "inscode": payload.inscode, "moved": False})
    moved = row.status == TransferStatus.APPROVED and _created
    return ok(
        {
            "stunum": payload.stunum,
            "inscode": payload.inscode,
            "moved": moved,
            "id": str(row.pk),
            "status": row.status,
        }
    )


def _decision_endpoint(name: str, approve: bool, summary: str) -> None:
    def handler(request: HttpRequest, payload: s.TransferDecisionIn) -> dict[str, Any]:
        platform, actor = platform_of(request)
        row = services.decide_by_platform(
            actor=actor, platform=platform, data=data_of(payload), approve=approve
        )
        return ok({"id": str(row.pk), "stunum": payload.stunum, "status": row.status})

    handler.__name__ = f"transfer_{name}"
    router.post(f"transfer/{name}", response=ENVELOPE, summary=summary)(handler)


_decision_endpoint("approve", True, "同意转出 (the releasing platform approves a transfer)")
_decision_endpoint("reject", False, "拒绝转出 (the releasing platform rejects a transfer)")


@router.post("transfer/get", response=ENVELOPE, summary="转校申请查询 (transfer requests)")
def transfer_get(request: HttpRequest, payload: s.StudentKeyIn) -> dict[str, Any]:
    platform, _actor = platform_of(request)
    return ok({"items": queries.transfers_for_platform(platform, payload.stunum)})


@router.post("region", response=ENVELOPE, summary="教学区域备案 (file a teaching area / fence)")
def region(request: HttpRequest, payload: s.AreaIn) -> dict[str, Any]:
    platform, actor = platform_of(request)
    row, created = services.file_area(actor=actor, platform=platform, data=data_of(payload))
    return ok(
        {"inscode": payload.inscode, "seq": row.seq, "status": row.status, "created": created}
    )


@router.post("region/delete", response=ENVELOPE, summary="教学区域注销 (withdraw a teaching area)")
def region_delete(request: HttpRequest, payload: s.AreaKeyIn) -> dict[str, Any]:
    platform, actor = platform_of(request)
    row = services.delete_area(actor=actor, platform=platform, data=data_of(payload))
    return ok({"inscode": payload.inscode, "seq": row.seq, "status": row.status})


@router.post("regionreview/get", response=ENVELOPE, summary="教学区域审核结果 (area review result)")
def regionreview_get(request: HttpRequest, payload: s.AreaKeyIn) -> dict[str, Any]:
    platform, _actor = platform_of(request)
    return ok(queries.area_review(platform, payload.inscode, payload.seq))


@router.post("charstandard", response=ENVELOPE, summary="收费标准备案 (file a fee standard)")
def charstandard(request: HttpRequest, payload: s.FeeIn) -> dict[str, Any]:
    platform, actor = platform_of(request)
    row, created = services.file_fee_standard(actor=actor, platform=platform, data=data_of(payload))
    return ok({"inscode": payload.inscode, "seq": row.seq, "created": created})


@router.post(
    "charstandard/delete", response=ENVELOPE, summary="收费标准注销 (withdraw a fee standard)"
)
def charstandard_delete(request: HttpRequest, payload: s.AreaKeyIn) -> dict[str, Any]:
    platform, actor = platform_of(request)
    row = services.delete_fee_standard(actor=actor, platform=platform, data=data_of(payload))
    return ok({"inscode": payload.inscode, "seq": row.seq, "status": row.filing_status})


_KEYS: list[tuple[str, type[s.WireSchema], str]] = [
    ("coach", s.CoachKeyIn, "coachnum"),
    ("examiner", s.ExaminerKeyIn, "examnum"),
    ("securityguard", s.SecurityGuardKeyIn, "secunum"),
    ("trainingcar", s.CarKeyIn, "carnum"),
    ("device", s.DeviceKeyIn, "devnum"),
]


def _delete_endpoint(kind: str, schema: type[s.WireSchema], field: str) -> None:
    def handler(request: HttpRequest, payload: Any) -> dict[str, Any]:
        platform, actor = platform_of(request)
        number = getattr(payload, field)
        row = services.delete_filing(actor=actor, platform=platform, kind=kind, number=number)
        return ok({field: number, "filingstatus": row.filing_status})

    handler.__annotations__["payload"] = schema
    handler.__name__ = f"{kind}_delete"
    router.post(f"{kind}/delete", response=ENVELOPE, summary=f"{kind} 注销 (withdraw)")(handler)


def _get_endpoint(kind: str, schema: type[s.WireSchema], field: str) -> None:
    def handler(request: HttpRequest, payload: Any) -> dict[str, Any]:
        platform, _actor = platform_of(request)
        return ok(queries.get_for_platform(platform, kind, getattr(payload, field)))

    handler.__annotations__["payload"] = schema
    handler.__name__ = f"{kind}_get"
    router.post(f"{kind}/get", response=ENVELOPE, summary=f"{kind} 备案查询 (query a filing)")(
        handler
    )


for _kind, _schema, _field in _KEYS:
    _delete_endpoint(_kind, _schema, _field)
    _get_endpoint(_kind, _schema, _field)
_get_endpoint("institution", s.InstitutionKeyIn, "inscode")
_get_endpoint("student", s.StudentKeyIn, "stunum")


@router.post("stuinfoquery/get", response=ENVELOPE, summary="学员信息查询 (query a student)")
def stuinfoquery_get(request: HttpRequest, payload: s.StudentKeyIn) -> dict[str, Any]:
    platform, _actor = platform_of(request)
    return ok(queries.get_for_platform(platform, "student", payload.stunum))


@upload_router.post("imageup/{kind}", response=ENVELOPE, summary="上传文件 (upload a file)")
def imageup(request: HttpRequest, kind: str, file: NinjaFile = File(...)) -> dict[str, Any]:  # noqa: B008
    platform, actor = platform_of(request)
    row, created = services.store_upload(
        actor=actor, platform=platform, kind=kind, content=file.read()
    )
    return ok({"id": str(row.pk), "created": created})
