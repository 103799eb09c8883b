"""The timing-platform training-data interface: teaching logs, minute records (one or a batch),
photos, stage records, completions, videos, and the student's audited progress."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import ConfigDict

from jiapei.api.auth import SignedPlatform
from jiapei.api.common import ENVELOPE, data_of, platform_of
from jiapei.api.envelope import ok
from jiapei.api.tp_schemas import StudentKeyIn, WireSchema
from jiapei.audit import queries as audit_queries
from jiapei.core.errors import NotFound
from jiapei.registry.models import Student
from jiapei.training.services import logs, minutes

TAG = ["计时平台接口 / timing-platform interface"]
router = Router(auth=SignedPlatform(), tags=TAG)
batch_router = Router(auth=SignedPlatform(body=list), tags=TAG)

MINUTE_FIELDS = """
Fields of a minute record (standards.md §1.6, 0x0203): `recordnum` (26 characters: devnum(16)
+ YYMMDD + 4-digit daily sequence), `stunum`, `coachnum`, `classid` (the terminal's session id),
`rectime` (`HHmmss`, the last second of the minute, on the record number's day; or a full
`yyyyMMddHHmmss`), `subjcode` (10-digit course code), `maxspeed` (0.1 km/h), `mileage`
(0.1 km), `gnss` (`{"lng", "lat", "rpm"}`, WGS-84, the fix at second 30 and the engine speed).
Each item gets its own result: `accepted`, `rejected` (stored, never credited, with reason codes
such as `COACH_NOT_FILED`, `CAR_NOT_FILED`, `DEVICE_UNBOUND`, `OUT_OF_FENCE`) or `refused`
(malformed, not stored, with field errors). A replayed item returns its first result with
`"duplicate": true`.
"""


class ClassRecordIn(WireSchema):
    inscode: str
    stunum: str
    coachnum: str | None = None
    carnum: str | None = None
    simunum: str | None = None
    platnum: str
    recnum: str
    classid: str | None = None
    subjcode: str
    photo1: str
    photo2: str | None = None
    photo3: str
    starttime: str
    endtime: str
    duration: str
    mileage: str
    avevelocity: str | None = None
    coacmt: str | None = None
    total: str | None = None
    part1: str | None = None
    part2: str | None = None
    part3: str | None = None
    part4: str | None = None


class PhotoIn(WireSchema):
    inscode: str
    stunum: str
    coachnum: str | None = None
    subjcode: str
    platnum: str
    recnum: str
    ptime: str
    fileid: str
    event: str
    confidence: str | None = None


class StageIn(WireSchema):
    model_config = ConfigDict(coerce_numbers_to_str=True, extra="ignore")
    inscode: str
    stunum: str
    subject: str
    totaltime: str
    vehicletime: str | None = None
    classtime: str | None = None
    simulatortime: str | None = None
    networktime: str | None = None
    duration: str
    examresult: str
    mileage: str | None = None
    pdfid: str | None = None
    esignature: str
    rectype: str
    recarray: list[dict[str, Any]]


class GraduationIn(WireSchema):
    stunum: str
    autinscode: str
    gracertnum: str
    grantdate: str
    pdfid: str
    esignature: str


class VideoIn(WireSchema):
    devnum: str
    inscode: str
    stunum: str
    coachnum: str | None = None
    subjcode: str
    recnum: str
    starttime: str
    endtime: str
    event: str
    fileid: str


class MinuteIn(Schema):
    """One minute record; see the batch resource for the fields."""

    model_config = ConfigDict(extra="allow")


@router.post("classrecord", response=ENVELOPE, summary="电子教学日志 (teaching log of a session)")
def classrecord(request: HttpRequest, payload: ClassRecordIn) -> dict[str, Any]:
    platform, actor = platform_of(request)
    row, created = logs.file_classrecord(actor=actor, platform=platform, data=data_of(payload))
    return ok({"rnum": row.rnum, "created": created})


@router.post(
    "minuterecord",
    response=ENVELOPE,
    summary="学时记录 (one minute record)",
    description=MINUTE_FIELDS,
)
def minuterecord(request: HttpRequest, payload: MinuteIn) -> dict[str, Any]:
    platform, actor = platform_of(request)
    result = minutes.ingest(actor=actor, platform=platform, items=[json.loads(request.body)])[0]
    return ok(result.wire())


@batch_router.post(
    "minuterecords",
    response=ENVELOPE,
    summary="学时记录批量上报 (a batch of minute records, a JSON array)",
    description=MINUTE_FIELDS + "\nThe body is a JSON array of up to 2000 items; "
    "`data.results` has one entry per item, in order.",
)
def minuterecords(request: HttpRequest, payload: list[Any]) -> dict[str, Any]:
    platform, actor = platform_of(request)
    results = minutes.ingest(actor=actor, platform=platform, items=payload)
    counts = {k: sum(r.result == k for r in results) for k in ("accepted", "rejected", "refused")}
    return ok({**counts, "results": [r.wire() for r in results]})


@router.post("trainimginfo", response=ENVELOPE, summary="培训过程照片 (training photo)")
def trainimginfo(request: HttpRequest, payload: PhotoIn) -> dict[str, Any]:
    platform, actor = platform_of(request)
    row, created = logs.file_photo(actor=actor, platform=platform, data=data_of(payload))
    return ok({"id": row.pk, "created": created})


@router.post("stagetrainningtime", response=ENVELOPE, summary="阶段培训记录 (stage record)")
def stagetrainningtime(request: HttpRequest, payload: StageIn) -> dict[str, Any]:
    platform, actor = platform_of(request)
    row, created = logs.file_stage(actor=actor, platform=platform, data=data_of(payload))
    return ok({"stunum": payload.stunum, "subject": row.subject, "created": created})


@router.post("graduation", response=ENVELOPE, summary="结业 (course completion)")
def graduation(request: HttpRequest, payload: GraduationIn) -> dict[str, Any]:
    platform, actor = platform_of(request)
    row, created = logs.file_graduation(actor=actor, platform=platform, data=data_of(payload))
    return ok({"stunum": payload.stunum, "gracertnum": row.gracertnum, "created": created})


@router.post("videorecord", response=ENVELOPE, summary="培训视频 (training video)")
def videorecord(request: HttpRequest, payload: VideoIn) -> dict[str, Any]:
    platform, actor = platform_of(request)
    row, created = logs.file_video(actor=actor, platform=platform, data=data_of(payload))
    return ok({"id": row.pk, "created": created})


@router.post("traininfo/get", response=ENVELOPE, summary="学员学时进度 (audited progress)")
def traininfo_get(request: HttpRequest, payload: StudentKeyIn) -> dict[str, Any]:
    platform, _ = platform_of(request)
    student = Student.objects.filter(stunum=payload.stunum, platform=platform).first()
    if student is None:
        raise NotFound(
            f"stunum={payload.stunum!r}: 学员未备案 (student not filed)",
            field="stunum",
            value=payload.stunum,
        )
    return ok(audit_queries.progress(student))
