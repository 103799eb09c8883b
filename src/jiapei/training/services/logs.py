"""Ingest of teaching logs, training photos, stage records, completions and videos.

A teaching log (``classrecord``) is uploaded when the session closes; it queues the student for
audit. Every item is idempotent by its natural number: the log by ``rnum`` (stunum + recnum),
a photo or video by its file id, a stage record by (student, part), a completion by student.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from jiapei.core import columns
from jiapei.core import services as trail
from jiapei.core.actors import Actor
from jiapei.core.errors import Conflict, FieldError, NotFound
from jiapei.core.wire import Fields, integer, one_of, row_id, unified_number, wire_date
from jiapei.integrations.national import messages as national
from jiapei.outbox.models import Destination
from jiapei.outbox.services import enqueue_message
from jiapei.registry.models import (
    Device,
    Personnel,
    PersonnelRole,
    Student,
    TimingPlatform,
    TrainingCar,
    UploadedFile,
)
from jiapei.registry.services.uploads import open_image
from jiapei.training import wire
from jiapei.training.models import (
    Graduation,
    StageRecord,
    TeachingLog,
    TrainingPhoto,
    VideoRecord,
)
from jiapei.training.queries import local_days
from jiapei.training.services.requests import request_audit

PHOTO_KINDS = ("classroom", "simulation", "onlineimg", "stuimg", "coachimg")


def platform_student(platform: TimingPlatform, f: Fields) -> Student | None:
    stunum = f.get("stunum", unified_number)
    if stunum is None:
        return None
    student = (
        Student.objects.filter(stunum=stunum, platform=platform)
        .select_related("institution")
        .first()
    )
    if student is None:
        f.add(
            FieldError("stunum", stunum, "学员未在本平台备案 (student not filed by this platform)")
        )
    return student


def _recnum(field: str, value: str) -> str:
    if not (value.isascii() and value.isdigit()) or len(value) > 5:
        raise FieldError(field, value, "教学日志编号应为5位数字 (5 digits)")
    return f"{int(value):05d}"


def _file(platform: TimingPlatform, *kinds: str) -> Callable[[str, str], UploadedFile]:
    def parse(field: str, value: str) -> UploadedFile:
        row = None
        if (pk := row_id(value)) is not None:
            row = UploadedFile.objects.filter(pk=pk, platform=platform).first()
        if row is None:
            raise FieldError(field, value, "文件编号不存在 (unknown file id; upload it first)")
        if kinds and row.kind not in kinds:
            raise FieldError(field, value, f"文件类型为 {row.kind}，应为 {'/'.join(kinds)}")
        return row

    return parse


def file_classrecord(
    *, actor: Actor, platform: TimingPlatform, data: Mapping[str, Any]
) -> tuple[TeachingLog, bool]:
    """Store a closed teaching session and queue its student for audit."""
    f = Fields(data)
    student = platform_student(platform, f)
    recnum = f.get("recnum", _recnum)
    course = f.get("subjcode", wire.course)
    start = f.get("starttime", wire.stamp)
    end = f.get("endtime", wire.stamp)
    coachnum = f.get("coachnum", required=False)
    carnum = f.get("carnum", required=False)
    devnum = f.get("simunum", required=False)
    values: dict[str, Any] = {
        "duration": f.get("duration", integer),
        "mileage": f.get("mileage", columns.decimal_of(TeachingLog, "mileage")),
        "avevelocity": f.get(
            "avevelocity", columns.decimal_of(TeachingLog, "avevelocity"), required=False
        ),
        "coacmt": f.get("coacmt", required=False, default=""),
        "classid": f.get("classid", required=False, default=""),
    }
    photo_parse = _file(platform, *PHOTO_KINDS)
    photos = {
        name: f.get(name, photo_parse, required=name != "photo2")
        for name in ("photo1", "photo2", "photo3")
    }
    _check_classrecord(
        f, data, platform=platform, student=student, course=course, span=(start, end)
    )
    f.check()
    assert student is not None and course is not None
    values.update(
        student=student,
        institution=student.institution,
        platform=platform,
        **_filed_links(platform, coachnum=coachnum, carnum=carnum, devnum=devnum),
        recnum=recnum,
        subjcode=str(data["subjcode"]),
        mode=course.mode,
        part=course.part,
        starttime=start,
        endtime=end,
        photos={k: p.pk for k, p in photos.items() if p is not None},
        reported={k: data[k] for k in ("total", "part1", "part2", "part3", "part4") if k in data},
    )
    return _store_classrecord(
        actor=actor, student=student, rnum=student.stunum + recnum, values=values
    )


def _check_classrecord(
    f: Fields,
    data: Mapping[str, Any],
    *,
    platform: TimingPlatform,
    student: Student | None,
    course: wire.Course | None,
    span: tuple[datetime | None, datetime | None],
) -> None:
    """Rules across the log's fields: the caller's own platform number, a session that ends
    after it starts, and a course of the student's class."""
    platnum = f.get("platnum")
    if platnum is not None and platnum != platform.platnum:
        f.add(
            FieldError(
                "platnum", platnum, f"与调用方平台编号 {platform.platnum} 不符 (not the caller)"
            )
        )
    start, end = span
    if start and end and end <= start:
        f.add(
            FieldError("endtime", data.get("endtime"), "签退时间应晚于签到时间 (end before start)")
        )
    if (
        student is not None
        and course is not None
        and course.vehicle_class not in ("", student.traintype)
    ):
        f.add(
            FieldError(
                "subjcode", data.get("subjcode"), f"课程车型与学员培训车型 {student.traintype} 不符"
            )
        )


def _filed_links(
    platform: TimingPlatform, *, coachnum: str | None, carnum: str | None, devnum: str | None
) -> dict[str, Any]:
    """The coach, car and terminal the log names, as the calling platform filed them; None
    where unnamed, not filed, or filed by another platform: a log never links to another
    tenant's records, and whether they exist is not told (the audit treats all three alike)."""
    coach = (
        Personnel.objects.filter(
            number=coachnum, role=PersonnelRole.COACH, platform=platform
        ).first()
        if coachnum
        else None
    )
    car = TrainingCar.objects.filter(carnum=carnum, platform=platform).first() if carnum else None
    device = Device.objects.filter(devnum=devnum, platform=platform).first() if devnum else None
    return {"coach": coach, "car": car, "device": device}


def _store_classrecord(
    *, actor: Actor, student: Student, rnum: str, values: dict[str, Any]
) -> tuple[TeachingLog, bool]:
    """Create or update the log ``rnum`` and queue its days for audit, in one transaction.

    Two identical logs filed at the same moment both find no row and both insert; the loser's
    unique violation is answered as what it is, a re-filing: once the winner has committed,
    the loser files again and updates the row (created False), never a server error."""
    try:
        return _write_classrecord(actor=actor, student=student, rnum=rnum, values=values)
    except IntegrityError:
        if not TeachingLog.objects.filter(rnum=rnum).exists():
            raise
        return _write_classrecord(actor=actor, student=student, rnum=rnum, values=values)


def _write_classrecord(
    *, actor: Actor, student: Student, rnum: str, values: dict[str, Any]
) -> tuple[TeachingLog, bool]:
    with transaction.atomic():
        row = TeachingLog.objects.select_for_update().filter(rnum=rnum).first()
        if row is not None and row.platform_id != values["platform"].pk:
            # The student's earlier platform filed this number (before a transfer): its log
            # stays its own, and what it holds is not told.
            raise Conflict(
                f"recnum={values['recnum']!r}: 该学员的此日志编号已被使用 (log number already in "
                "use for this student)",
                field="recnum",
                value=values["recnum"],
            )
        created = row is None
        before = None if created else trail.snapshot(row)
        if row is None:
            row = TeachingLog(rnum=rnum, **values)
        else:
            for key, value in values.items():
                setattr(row, key, value)
        row.save()
        trail.record(
            actor=actor,
            action=f"classrecord.{'create' if created else 'update'}",
            obj=row,
            before=before,
            after=trail.snapshot(row),
        )
        request_audit(
            student_id=student.pk,
            days=local_days(row.starttime, row.endtime),
            reason="classrecord",
        )
        return row, created


def fingerprint(content: bytes, *, field: str = "fileid", value: Any = None) -> str:
    """A 64-bit perceptual hash (pHash) of an image, as 16 hex digits; '' if not an image.
    An image over the pixel limit is refused (FieldError naming ``field``) before decoding."""
    import imagehash

    with open_image(field, content, value) as image:
        if image is None:
            return ""
        try:
            return str(imagehash.phash(image))
        except (OSError, ValueError, SyntaxError):
            return ""


def file_photo(
    *, actor: Actor, platform: TimingPlatform, data: Mapping[str, Any]
) -> tuple[TrainingPhoto, bool]:
    """``trainimginfo``: a photo taken during training, with its event type and face confidence."""
    f = Fields(data)
    student = platform_student(platform, f)
    photo = f.get("fileid", _file(platform, *PHOTO_KINDS))
    values: dict[str, Any] = {
        "coachnum": f.get("coachnum", required=False, default=""),
        "recnum": f.get("recnum", _recnum),
        "subjcode": f.get("subjcode"),
        "ptime": f.get("ptime", wire.stamp),
        "event": f.get("event", one_of("5", "17", "18", "19", "20", "21")),
        "confidence": f.get("confidence", integer, required=False),
    }
    f.get("subjcode", wire.course)
    if values["confidence"] is not None and values["confidence"] > 100:
        f.add(FieldError("confidence", data.get("confidence"), "置信度应为 0–100 (0-100)"))
    f.check()
    assert student is not None and photo is not None
    with transaction.atomic():
        existing = TrainingPhoto.objects.filter(
            platform=platform,
            file=photo,
            student=student,
            ptime=values["ptime"],
            event=int(values["event"]),
        ).first()
        if existing is not None:
            return existing, False
        row = TrainingPhoto.objects.create(
            platform=platform,
            student=student,
            file=photo,
            fingerprint=fingerprint(photo.content.read(), value=data.get("fileid")),
            **{**values, "event": int(values["event"])},
        )
        trail.record(actor=actor, action="trainimginfo", obj=row, after=trail.snapshot(row))
        return row, True


def file_stage(
    *, actor: Actor, platform: TimingPlatform, data: Mapping[str, Any]
) -> tuple[StageRecord, bool]:
    """``stagetrainningtime``: the timing platform reports a part finished (reviewed later)."""
    f = Fields(data)
    student = platform_student(platform, f)
    values: dict[str, Any] = {
        "subject": f.get("subject", one_of("1", "2", "3", "4")),
        "totaltime": f.get("totaltime", integer),
        "vehicletime": f.get("vehicletime", integer, required=False, default=0),
        "classtime": f.get("classtime", integer, required=False, default=0),
        "simulatortime": f.get("simulatortime", integer, required=False, default=0),
        "networktime": f.get("networktime", integer, required=False, default=0),
        "duration": f.get("duration", integer),
        "mileage": f.get("mileage", columns.decimal_of(StageRecord, "mileage"), required=False),
        "examresult": f.get("examresult"),
        "pdf": f.get("pdfid", _file(platform, "epdfimg"), required=False),
        "esignature": f.get("esignature"),
        "rectype": f.get("rectype"),
        "recarray": f.get("recarray", _recarray, structured=True),
    }
    f.check()
    assert student is not None
    values["subject"] = int(values["subject"])
    with transaction.atomic():
        row = (
            StageRecord.objects.select_for_update()
            .filter(student=student, subject=values["subject"])
            .first()
        )
        created = row is None
        before = None if created else trail.snapshot(row)
        if row is None:
            row = StageRecord(platform=platform, student=student, **values)
        else:
            for key, value in values.items():
                setattr(row, key, value)
        row.save()
        trail.record(
            actor=actor,
            action="stagetrainningtime",
            obj=row,
            before=before,
            after=trail.snapshot(row),
        )
        return row, created


def _recarray(field: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise FieldError(field, value, "应为非空列表 [{rnum}] (non-empty list)")
    rnums = []
    for item in value:
        rnum = item.get("rnum") if isinstance(item, dict) else None
        if not isinstance(rnum, str) or len(rnum) != 21 or not rnum.isascii() or not rnum.isalnum():
            raise FieldError(field, item, "rnum 应为21位：学员编号16位+日志编号5位 (21 characters)")
        rnums.append(rnum)
    return rnums


def file_graduation(
    *, actor: Actor, platform: TimingPlatform, data: Mapping[str, Any]
) -> tuple[Graduation, bool]:
    f = Fields(data)
    student = platform_student(platform, f)
    values: dict[str, Any] = {
        "autinscode": f.get("autinscode", unified_number),
        "gracertnum": f.get("gracertnum"),
        "grantdate": f.get("grantdate", wire_date),
        "pdf": f.get("pdfid", _file(platform, "epdfimg")),
        "esignature": f.get("esignature"),
    }
    f.check()
    assert student is not None
    with transaction.atomic():
        existing = Graduation.objects.select_for_update().filter(student=student).first()
        if existing is not None:
            return existing, False
        row = Graduation.objects.create(platform=platform, student=student, **values)
        trail.record(actor=actor, action="graduation", obj=row, after=trail.snapshot(row))
        # Completions go on to the national platform (issue: "completions are forwarded").
        message = national.graduation(
            graduation_id=row.pk,
            stunum=student.stunum,
            autinscode=row.autinscode,
            gracertnum=row.gracertnum,
            grantdate=row.grantdate,
            esignature=row.esignature,
        )
        enqueue_message(message, destination=Destination.NATIONAL)
        return row, True


def file_video(
    *, actor: Actor, platform: TimingPlatform, data: Mapping[str, Any]
) -> tuple[VideoRecord, bool]:
    f = Fields(data)
    student = platform_student(platform, f)
    video = f.get("fileid", _file(platform, "video"))
    values: dict[str, Any] = {
        "devnum": f.get("devnum", unified_number),
        "coachnum": f.get("coachnum", required=False, default=""),
        "subjcode": f.get("subjcode"),
        "recnum": f.get("recnum", _recnum),
        "starttime": f.get("starttime", wire.stamp),
        "endtime": f.get("endtime", wire.stamp),
        "event": f.get("event"),
    }
    f.check()
    assert student is not None and video is not None
    if not Device.objects.filter(devnum=values["devnum"], platform=platform).exists():
        raise NotFound(
            f"devnum={values['devnum']!r}: 终端未备案 (device not filed)",
            field="devnum",
            value=values["devnum"],
        )
    with transaction.atomic():
        existing = VideoRecord.objects.filter(platform=platform, file=video).first()
        if existing is not None:
            return existing, False
        row = VideoRecord.objects.create(platform=platform, student=student, file=video, **values)
        trail.record(actor=actor, action="videorecord", obj=row, after=trail.snapshot(row))
        return row, True
