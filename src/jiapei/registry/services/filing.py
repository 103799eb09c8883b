"""Filing institutions, personnel, students and fee standards (standards.md §2.2).

Each ``file_*`` validates every field first (so a rejected request stores nothing), resolves the
unified number (given, already known by natural key, or issued by the national platform), then
creates or updates the row in one transaction. Filing the same record again updates it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from django.db import transaction

from jiapei.accounts.models import Region, RegionLevel
from jiapei.core import columns
from jiapei.core import services as trail
from jiapei.core import wire as v
from jiapei.core.actors import Actor
from jiapei.core.errors import Conflict, FieldError, NotFound
from jiapei.core.wire import Fields, integer, one_of, unified_number
from jiapei.registry.models import (
    Device,
    Filed,
    FilingStatus,
    Institution,
    Personnel,
    PersonnelRole,
    Student,
    TimingPlatform,
    TrainingCar,
)
from jiapei.registry.services.bindings import end_bindings
from jiapei.registry.services.common import (
    resolve_number,
    served_institution,
    shown,
    today,
    uploaded,
    upsert,
)

PHOTO_KIND = {"coach": "coachimg", "examiner": "examinerimg", "securityguard": "securityguardimg"}
NUMBER_FIELD = {
    PersonnelRole.COACH: "coachnum",
    PersonnelRole.EXAMINER: "examnum",
    PersonnelRole.SECURITYGUARD: "secunum",
}


def _area(name: str) -> Callable[[str, str], str]:
    """The parser of an institution's area figure (m²): exactly what its column holds."""
    return columns.decimal_of(Institution, name)


def _district(field: str, value: str) -> Region:
    from django.conf import settings

    region = Region.objects.filter(code=value).first()
    if region is None or not value.startswith(settings.JIAPEI_PROVINCE[:2]):
        raise FieldError(field, value, "行政区划代码不属于本省 (not a district of this province)")
    if region.level == RegionLevel.PROVINCE:
        raise FieldError(field, value, "应填写市州或区县代码 (a city or county code)")
    return region


def file_institution(
    *, actor: Actor, platform: TimingPlatform, data: Mapping[str, Any]
) -> tuple[Institution, bool]:
    """File (or re-file) a training institution. Natural key: ``licnum``."""
    f = Fields(data)
    inscode = f.get("inscode", unified_number, required=False)
    values = {
        "district": f.get("district", _district),
        "name": f.get("name"),
        "shortname": f.get("shortname"),
        "licnum": f.get("licnum"),
        "licetime": f.get("licetime", v.wire_date),
        "business": f.get("business"),
        "creditcode": f.get("creditcode", required=False, default=""),
        "address": f.get("address"),
        "postcode": f.get("postcode"),
        "legal": f.get("legal"),
        "contact": f.get("contact"),
        "phone": f.get("phone"),
        "busiscope": f.get("busiscope", v.licence_classes),
        "busistatus": f.get("busistatus"),
        "level": f.get("level", one_of("1", "2", "3")),
        "coachnumber": f.get("coachnumber", integer),
        "grasupvnum": f.get("grasupvnum", integer),
        "safmngnum": f.get("safmngnum", integer),
        "tracarnum": f.get("tracarnum", integer),
        "classroom": f.get("classroom", _area("classroom"), required=False),
        "thclassroom": f.get("thclassroom", _area("thclassroom"), required=False),
        "praticefield": f.get("praticefield", _area("praticefield")),
    }
    if values["licetime"] and values["licetime"] > today():
        f.add(FieldError("licetime", data.get("licetime"), "许可日期不能晚于今天 (in the future)"))
    f.check()
    values["busiscope"] = ",".join(values["busiscope"])
    values["platform"] = platform
    values["filing_status"] = FilingStatus.ACTIVE

    by_licnum = Institution.objects.filter(licnum=values["licnum"]).first()
    existing = Institution.objects.filter(inscode=inscode).first() if inscode else by_licnum
    if existing is not None and existing.platform_id != platform.pk:
        raise Conflict(
            f"inscode={existing.inscode!r}: 该机构由其他计时平台对接 (served by another platform)",
            field="inscode",
            value=existing.inscode,
        )
    if by_licnum is not None and (existing is None or by_licnum.pk != existing.pk):
        raise Conflict(
            f"licnum={values['licnum']!r}: 经营许可证号已被"
            f"{shown(by_licnum, platform.pk, f'机构 {by_licnum.inscode}')}使用 "
            "(licence number belongs to another institution)",
            field="licnum",
            value=values["licnum"],
        )
    columns.fit(Institution, values)  # before a number is issued
    number = resolve_number("institution", inscode, existing, "inscode", dict(data))
    return upsert(
        Institution,
        actor=actor,
        action="institution.file",
        lookup={"inscode": number},
        values=values,
        existing=existing,
    )


def file_personnel(
    *, actor: Actor, platform: TimingPlatform, role: str, data: Mapping[str, Any]
) -> tuple[Personnel, bool]:
    """File a coach, examiner or safety officer. Natural key: (role, idcard)."""
    number_field = NUMBER_FIELD[PersonnelRole(role)]
    f = Fields(data)
    now = today()
    institution = served_institution(platform, f.get("inscode"))
    number = f.get(number_field, unified_number, required=False)
    values = _person_values(f, platform=platform, institution=institution, role=role, now=now)
    _check_person_dates(f, data, values, now)
    _check_teaching_classes(f, data, values, institution)
    f.check()
    values["dripermitted"] = ",".join(values["dripermitted"])
    values["teachpermitted"] = ",".join(values["teachpermitted"])
    values["platform"] = platform
    values["filing_status"] = FilingStatus.ACTIVE
    existing = _filed_person(role, number_field, number, values["idcard"], platform)
    columns.fit(Personnel, values)  # before a number is issued
    resolved = resolve_number(role, number, existing, "number", dict(data))
    return upsert(
        Personnel,
        actor=actor,
        action=f"{role}.file",
        lookup={"number": resolved},
        values={**values, "role": role},
        existing=existing,
    )


def _person_values(
    f: Fields, *, platform: TimingPlatform, institution: Institution, role: str, now: date
) -> dict[str, Any]:
    """The person's fields as read from the wire (errors collected in ``f``)."""
    needs_licence = role != PersonnelRole.SECURITYGUARD
    return {
        "institution": institution,
        "name": f.get("name"),
        "sex": f.get("sex", one_of("1", "2")),
        "idcard": f.get("idcard", lambda n, x: v.idcard(n, x, today=now)),
        "mobile": f.get("mobile", v.mobile),
        "address": f.get("address", required=False, default=""),
        "photo": f.get(
            "photo", uploaded(platform, PHOTO_KIND[role]), required=role == PersonnelRole.COACH
        ),
        "fingerprint": f.get("fingerprint", required=False, default=""),
        "drilicence": f.get("drilicence", required=needs_licence, default=""),
        "fstdrilicdate": f.get("fstdrilicdate", v.wire_date, required=needs_licence),
        "occupationno": f.get("occupationno", required=False, default=""),
        "occupationlevel": f.get(
            "occupationlevel", one_of("1", "2", "3", "4"), required=False, default=""
        ),
        "dripermitted": f.get(
            "dripermitted", v.licence_classes, required=needs_licence, default=[]
        ),
        "teachpermitted": f.get(
            "teachpermitted", v.licence_classes, required=role == PersonnelRole.COACH, default=[]
        ),
        "employstatus": f.get("employstatus"),
        "hiredate": f.get("hiredate", v.wire_date),
        "leavedate": f.get("leavedate", v.wire_date, required=False),
    }


def _check_teaching_classes(
    f: Fields, data: Mapping[str, Any], values: dict[str, Any], institution: Institution
) -> None:
    """A coach may teach only classes within the school's business scope."""
    if values["teachpermitted"]:
        try:
            v.within(
                "teachpermitted",
                data.get("teachpermitted", ""),
                values["teachpermitted"],
                institution.classes,
                "机构经营范围",
            )
        except FieldError as exc:
            f.add(exc)


def _filed_person(
    role: str, number_field: str, number: str | None, idcard: str, platform: TimingPlatform
) -> Personnel | None:
    """The filing this request updates (by number, else by ID number), or None for a new one.
    :class:`Conflict` when the number and the ID number name different people, or the person
    works at a school of another platform."""
    by_id = Personnel.objects.filter(role=role, idcard=idcard).first()
    existing = Personnel.objects.filter(number=number).first() if number else by_id
    if existing is not None and existing.role != role:
        raise Conflict(
            f"{number_field}={number!r}: 该编号属于{existing.get_role_display()} (number of "
            "another kind of personnel)",
            field=number_field,
            value=number,
        )
    if by_id is not None and (existing is None or by_id.pk != existing.pk):
        raise Conflict(
            f"idcard={idcard!r}: 该身份证号已备案为 {shown(by_id, platform.pk, by_id.number)} "
            "(already filed "
            "under another number)",
            field="idcard",
            value=idcard,
        )
    if existing is not None and existing.idcard != idcard:
        raise Conflict(
            f"{number_field}={number!r}: 该编号属于另一人 "
            f"{shown(existing, platform.pk, existing.name)} (number belongs to "
            "another person; a person's ID number cannot change)",
            field=number_field,
            value=number,
        )
    if (
        existing is not None
        and existing.is_active
        and existing.institution.platform_id != platform.pk
    ):
        raise Conflict(
            f"idcard={idcard!r}: 该人员在其他计时平台的机构供职 (employed at an "
            "institution of another platform)",
            field="idcard",
            value=idcard,
        )
    return existing


def _check_person_dates(f: Fields, data: Mapping[str, Any], values: dict, now: Any) -> None:
    born = v.birth_date(values["idcard"]) if values.get("idcard") else None
    first = values.get("fstdrilicdate")
    hired = values.get("hiredate")
    left = values.get("leavedate")
    if first and first > now:
        f.add(
            FieldError(
                "fstdrilicdate", data.get("fstdrilicdate"), "初领日期不能晚于今天 (in the future)"
            )
        )
    if first and born and first < born:
        f.add(
            FieldError(
                "fstdrilicdate", data.get("fstdrilicdate"), "初领日期早于出生日期 (before birth)"
            )
        )
    if hired and born and hired < born:
        f.add(FieldError("hiredate", data.get("hiredate"), "入职日期早于出生日期 (before birth)"))
    if hired and left and left < hired:
        f.add(
            FieldError("leavedate", data.get("leavedate"), "离职日期早于入职日期 (before hiredate)")
        )


def file_student(
    *, actor: Actor, platform: TimingPlatform, data: Mapping[str, Any]
) -> tuple[Student, bool]:
    """File a student's enrolment. Natural key: (cardtype, idcard, traintype)."""
    f = Fields(data)
    now = today()
    institution = served_institution(platform, f.get("inscode"))
    stunum = f.get("stunum", unified_number, required=False)
    cardtype = f.get("cardtype")
    values = _student_values(
        f, platform=platform, institution=institution, cardtype=cardtype, now=now
    )
    _check_enrolment(f, data, values, institution, now)
    f.check()
    values["perdritype"] = ",".join(values["perdritype"])
    values["platform"] = platform
    values["filing_status"] = FilingStatus.ACTIVE
    existing = _filed_student(stunum, values, institution)
    columns.fit(Student, values)  # before a number is issued
    number = resolve_number("student", stunum, existing, "stunum", dict(data))
    return upsert(
        Student,
        actor=actor,
        action="student.file",
        lookup={"stunum": number},
        values=values,
        existing=existing,
    )


def _student_values(
    f: Fields,
    *,
    platform: TimingPlatform,
    institution: Institution,
    cardtype: str | None,
    now: date,
) -> dict[str, Any]:
    """The enrolment's fields as read from the wire (errors collected in ``f``). Only a
    resident ID card (cardtype 1) is checked as a GB 11643 number."""
    idcard_parse = (lambda n, x: v.idcard(n, x, today=now)) if cardtype == "1" else None
    return {
        "institution": institution,
        "cardtype": cardtype,
        "idcard": f.get("idcard", idcard_parse),
        "nationality": f.get("nationality"),
        "name": f.get("name"),
        "sex": f.get("sex", one_of("1", "2")),
        "phone": f.get("phone", v.mobile),
        "address": f.get("address", required=False, default=""),
        "photo": f.get("photo", uploaded(platform, "stuimg")),
        "fingerprint": f.get("fingerprint", required=False, default=""),
        "busitype": f.get("busitype", one_of("0", "1", "9")),
        "drilicnum": f.get("drilicnum", required=False, default=""),
        "fstdrilicdate": f.get("fstdrilicdate", v.wire_date, required=False),
        "perdritype": f.get("perdritype", v.licence_classes, required=False, default=[]),
        "traintype": f.get("traintype", v.licence_class),
        "applydate": f.get("applydate", v.wire_date),
    }


def _check_enrolment(
    f: Fields, data: Mapping[str, Any], values: dict[str, Any], institution: Institution, now: date
) -> None:
    """Rules across the enrolment's fields: applied by today, for a class the school may
    teach, and a 增驾 (added class) student names the licence held."""
    if values["applydate"] and values["applydate"] > now:
        f.add(
            FieldError("applydate", data.get("applydate"), "报名日期不能晚于今天 (in the future)")
        )
    if values["traintype"]:
        try:
            v.within(
                "traintype",
                data.get("traintype", ""),
                [values["traintype"]],
                institution.classes,
                "机构经营范围",
            )
        except FieldError as exc:
            f.add(exc)
    if values["busitype"] == "1" and not values["drilicnum"]:
        f.add(
            FieldError(
                "drilicnum", data.get("drilicnum"), "增驾学员须填写驾驶证号 (required for 增驾)"
            )
        )


def _filed_student(
    stunum: str | None, values: dict[str, Any], institution: Institution
) -> Student | None:
    """The enrolment this request updates (by number, else by identity and class), or None for
    a new one. :class:`Conflict` when the number and the identity name different enrolments,
    or the student belongs to another school (a transfer is its own request)."""
    key = {
        "cardtype": values["cardtype"],
        "idcard": values["idcard"],
        "traintype": values["traintype"],
    }
    by_identity = Student.objects.filter(**key).first()
    existing = Student.objects.filter(stunum=stunum).first() if stunum else by_identity
    if by_identity is not None and (existing is None or by_identity.pk != existing.pk):
        raise Conflict(
            f"idcard={values['idcard']!r}: 该学员已以 "
            f"{shown(by_identity, institution.platform_id, by_identity.stunum)} 报名同一车型 "
            "(already enrolled for this class)",
            field="idcard",
            value=values["idcard"],
        )
    if existing is not None and (existing.idcard, existing.traintype) != (
        values["idcard"],
        values["traintype"],
    ):
        raise Conflict(
            f"stunum={stunum!r}: 该编号属于另一学员或另一车型的报名 (number belongs to another "
            "enrolment; ID number and class cannot change)",
            field="stunum",
            value=stunum,
        )
    if existing is not None and existing.institution_id != institution.pk:
        if existing.platform_id != institution.platform_id:
            # The caller learns neither the number nor the school: the student brings them.
            raise Conflict(
                "该学员已在其他计时平台的机构报名，请以学员提供的编号申请转校 (enrolled at a "
                "school of another platform: request a transfer with the student's number)",
                field="stunum",
                value=stunum,
            )
        raise Conflict(
            f"stunum={existing.stunum!r}: 学员属于其他机构，请使用转校接口 (use transfer)",
            field="stunum",
            value=existing.stunum,
        )
    return existing


DELETABLE: dict[str, tuple[type[Filed], str, str]] = {
    # kind: (model, number attribute, wire field)
    "coach": (Personnel, "number", "coachnum"),
    "examiner": (Personnel, "number", "examnum"),
    "securityguard": (Personnel, "number", "secunum"),
    "trainingcar": (TrainingCar, "carnum", "carnum"),
    "device": (Device, "devnum", "devnum"),
}


def delete_filing(*, actor: Actor, platform: TimingPlatform, kind: str, number: str) -> Any:
    """注销: a timing platform withdraws a filing it made. Deleting twice is a no-op."""
    model, attr, wire_field = DELETABLE[kind]
    lookup: dict[str, Any] = {attr: number}
    if model is Personnel:
        lookup["role"] = kind
    with transaction.atomic():
        row: Any = model.objects.select_for_update().filter(**lookup).first()
        if row is None or row.platform_id != platform.pk:
            raise NotFound(
                f"{wire_field}={number!r}: 未备案 (not filed)", field=wire_field, value=number
            )
        if row.filing_status == FilingStatus.DELETED:
            return row
        before = trail.snapshot(row)
        row.filing_status = FilingStatus.DELETED
        row.save(update_fields=["filing_status", "updated_at"])
        if isinstance(row, TrainingCar | Device):
            end_bindings(row)
        trail.record(
            actor=actor, action=f"{kind}.delete", obj=row, before=before, after=trail.snapshot(row)
        )
        return row
