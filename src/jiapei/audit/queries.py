"""Reads of audit results (a student's progress, in words a school or student can act on) and of
the audit's threshold settings."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from jiapei.accounts import access
from jiapei.accounts.models import User
from jiapei.audit.facts import Mode
from jiapei.audit.models import PartResult, ThresholdSetting
from jiapei.audit.reasons import REASONS, explain, ordered
from jiapei.audit.thresholds import ThresholdOverride, Thresholds, resolve
from jiapei.registry.models import Institution, Student
from jiapei.training.models import AuditStatus, MinuteRecord, TeachingLog

MODE_NAMES = {
    Mode.PRACTICAL: ("practical", "实操"),
    Mode.CLASSROOM: ("classroom", "课堂"),
    Mode.SIMULATOR: ("simulator", "模拟"),
    Mode.REMOTE: ("remote", "远程"),
}
PART_NAMES = {1: "第一部分", 2: "第二部分", 3: "第三部分", 4: "第四部分"}


def _why(code: str, lang: str) -> str:
    if code in REASONS:
        return explain(code, lang=lang)
    if code == "NO_TEACHING_LOG":
        return (
            "该分钟学时没有对应的电子教学日志，不计学时"
            if lang == "zh-hans"
            else "No teaching log covers this minute; it does not count."
        )
    return code


def progress(student: Student, *, lang: str = "zh-hans") -> dict[str, Any]:
    """Per part: required vs credited minutes by mode, mileage, what remains, and every void
    or partly void session with its reasons; minutes with no session are listed too."""
    parts = {p.part: p for p in PartResult.objects.filter(student=student)}
    logs = list(TeachingLog.objects.filter(student=student).order_by("starttime", "id"))
    out_parts = []
    for number in sorted(parts) or [1, 2, 3, 4]:
        result = parts.get(number)
        modes = []
        for mode, (key, zh) in MODE_NAMES.items():
            required = int(result.required.get(str(mode), 0)) if result else 0
            credited = int(result.credited.get(str(mode), 0)) if result else 0
            if required or credited:
                modes.append({"mode": key, "name": zh, "required": required, "credited": credited})
        sessions = [_session(log, lang) for log in logs if log.part == number]
        out_parts.append(
            {
                "part": number,
                "name": PART_NAMES[number],
                "complete": bool(result and result.complete),
                "modes": modes,
                "mileage": {
                    "required": result.mileage_required if result else 0,
                    "credited": result.mileage if result else 0,
                },
                "remaining": result.remaining if result else {},
                "sessions": [s for s in sessions if s["status"] != AuditStatus.VALID],
                "sessions_total": len(sessions),
            }
        )
    orphans = MinuteRecord.objects.filter(student=student, codes=["NO_TEACHING_LOG"])
    pending = sum(1 for log in logs if log.audit_status == AuditStatus.PENDING)
    return {
        "stunum": student.stunum,
        "name": student.name,
        "traintype": student.traintype,
        "syllabus": next((p.syllabus for p in parts.values()), None),
        "rule_version": next((p.rule_version for p in parts.values()), None),
        "pending_sessions": pending,
        "parts": out_parts,
        "minutes_without_log": orphans.count(),
    }


def _session(log: TeachingLog, lang: str) -> dict[str, Any]:
    minute_codes: Counter[str] = Counter()
    for codes in MinuteRecord.objects.filter(
        student_id=log.student_id, at__gte=log.starttime, at__lte=log.endtime, valid=False
    ).values_list("codes", flat=True):
        minute_codes.update(codes)
    reasons = [
        {"code": code, "level": "session", "why": _why(code, lang)} for code in log.codes
    ] + [
        {"code": code, "level": "minute", "minutes": n, "why": _why(code, lang)}
        for code, n in sorted(minute_codes.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return {
        "rnum": log.rnum,
        "start": log.starttime.isoformat(),
        "end": log.endtime.isoformat(),
        "mode": MODE_NAMES.get(log.mode, ("?", "?"))[0],
        "status": log.audit_status,
        "minutes": log.total_minutes,
        "valid": log.valid_minutes,
        "credited": log.credited_minutes,
        "reasons": reasons,
    }


def summary() -> dict[str, Any]:
    """Province-wide figures a regulator reads first: sessions by verdict, minutes credited
    and void (by reason), minutes rejected at ingest, and parts completed."""
    minutes = MinuteRecord.objects
    void_reasons: Counter[str] = Counter()
    for codes in minutes.filter(valid=False).values_list("codes", flat=True).iterator():
        void_reasons.update(codes[:1])  # the first (most fundamental) reason of each minute
    sessions = Counter(TeachingLog.objects.values_list("audit_status", flat=True))
    return {
        "students": Student.objects.count(),
        "students_trained": TeachingLog.objects.values("student").distinct().count(),
        "sessions": dict(sessions),
        "minutes": minutes.count(),
        "minutes_valid": minutes.filter(valid=True).count(),
        "minutes_void": minutes.filter(valid=False).count(),
        "minutes_rejected_at_ingest": minutes.filter(result="rejected").count(),
        "void_by_reason": dict(void_reasons.most_common()),
        "parts_complete": dict(
            Counter(PartResult.objects.filter(complete=True).values_list("part", flat=True))
        ),
    }


def thresholds_for(user: User) -> QuerySet[ThresholdSetting]:
    """The threshold settings in force somewhere in the user's region: the province's, its own
    city's (a county's city included) and those of cities below it, and its institutions'.
    Another city's settings and other regions' institutions' are not shown."""
    schools = access.scope(user, Institution.objects.all(), region_field="district__code")
    regional = ~Q(scope_kind="institution") & access.region_q(
        user, "scope_code", include_above=True
    )
    own_schools = Q(scope_kind="institution", scope_code__in=schools.values("inscode"))
    return ThresholdSetting.objects.filter(regional | own_schools).order_by(
        "field", "scope_kind", "effective_from"
    )


# Reads for the console's student file and session page.


def part_progress(student: Student) -> list[dict[str, Any]]:
    """Per syllabus part, from the last audit run, in one query: required and credited minutes
    by mode, mileage, whether the part is complete and what remains. The same figures as
    :func:`progress` without the per-session detail (a page lists the sessions itself). Parts
    are 1 to 4 with zeros before the first audit."""
    parts = {p.part: p for p in PartResult.objects.filter(student=student)}
    out = []
    for number in sorted(parts) or [1, 2, 3, 4]:
        result = parts.get(number)
        modes = []
        for mode, (key, zh) in MODE_NAMES.items():
            required = int(result.required.get(str(mode), 0)) if result else 0
            credited = int(result.credited.get(str(mode), 0)) if result else 0
            if required or credited:
                modes.append(
                    {
                        "mode": key,
                        "name": zh,
                        "required": required,
                        "credited": credited,
                        "remaining": max(required - credited, 0),
                    }
                )
        out.append(
            {
                "part": number,
                "name": PART_NAMES.get(number, str(number)),
                "complete": bool(result and result.complete),
                "modes": modes,
                "mileage_required": result.mileage_required if result else 0,
                "mileage": result.mileage if result else 0,
                "remaining": result.remaining if result else {},
                "syllabus": result.syllabus if result else "",
                "audited_at": result.audited_at if result else None,
            }
        )
    return out


def thresholds_in_force(institution: Institution, on: date) -> Thresholds:
    """The thresholds the audit applied to ``institution``'s sessions on day ``on`` (the
    province's, the city's and the school's settings, most specific first), so an explanation
    names the number that was actually used."""
    overrides = [
        ThresholdOverride(
            s.scope_kind, s.scope_code, s.field, s.value, s.effective_from, s.effective_to
        )
        for s in ThresholdSetting.objects.order_by("id")
    ]
    return resolve(
        overrides,
        province=settings.JIAPEI_PROVINCE,
        city=institution.district_id[:4] + "00",
        inscode=institution.inscode,
        on=on,
    )


def reasons(
    codes: list[str], *, lang: str = "zh-hans", thresholds: Thresholds | None = None
) -> list[dict[str, str]]:
    """Each code of a verdict (in canonical order) with its explanation in ``lang``; codes
    given at ingest and ``NO_TEACHING_LOG`` included, an unknown code shown as itself."""
    out = []
    for code in ordered(list(codes)):
        if code in REASONS:
            why = explain(code, lang=lang, thresholds=thresholds)
        else:
            why = _why(code, lang)
        out.append({"code": code, "why": why})
    return out


# The console's thresholds page.


def thresholds_with_sources(user: User, on: date) -> list[dict[str, Any]]:
    """Every threshold in force in the user's region on ``on`` (the province's settings for a
    province regulator, its city's otherwise — a county's are its city's), each with its
    default and where its value comes from: ``source`` is ``default``, ``province`` or
    ``city`` and ``setting`` the :class:`ThresholdSetting` that set it (None for a default).
    Settings of single institutions are listed by :func:`thresholds_for`."""
    region = access.regulator(user).region
    assert region is not None
    city = None if region.code == settings.JIAPEI_PROVINCE else region.code[:4] + "00"
    wanted = {"province": settings.JIAPEI_PROVINCE, "city": city}
    chosen: dict[str, ThresholdSetting] = {}
    for row in ThresholdSetting.objects.exclude(scope_kind="institution").order_by("id"):
        if wanted.get(row.scope_kind) != row.scope_code or row.effective_from > on:
            continue
        if row.effective_to is not None and row.effective_to < on:
            continue
        rank = (row.scope_kind == "city", row.effective_from)
        current = chosen.get(row.field)
        if current is None or rank > (current.scope_kind == "city", current.effective_from):
            chosen[row.field] = row
    in_force = resolve(
        [
            ThresholdOverride(r.scope_kind, r.scope_code, r.field, r.value, r.effective_from)
            for r in chosen.values()
        ],
        province=settings.JIAPEI_PROVINCE,
        city=city,
        inscode=None,
        on=on,
    )
    defaults = Thresholds()
    return [
        {
            "field": name,
            "value": getattr(in_force, name),
            "default": getattr(defaults, name),
            "source": chosen[name].scope_kind if name in chosen else "default",
            "setting": chosen.get(name),
        }
        for name in Thresholds.__dataclass_fields__
    ]
