"""Ingest of minute records (0x0203), one or a batch at a time.

Each item is judged on its own: a malformed item is refused with its field errors and stores
nothing; a well-formed one is stored once, either accepted or rejected at ingest (seed 000:
hours from an unfiled or revoked coach or car, from a terminal not bound to the car, or from
outside the approved fence are never credited, but they are kept with the reason so the school
can see why). A replayed item returns the result it got the first time and stores nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiapei.core import services as trail
from jiapei.core.actors import Actor
from jiapei.core.columns import integer_range, value_error
from jiapei.core.errors import FieldError, FieldErrors
from jiapei.core.wire import Fields
from jiapei.registry.models import (
    DeviceBinding,
    FilingStatus,
    Personnel,
    PersonnelRole,
    Student,
    TimingPlatform,
    TrainingCar,
)
from jiapei.training import bulk, fences, wire
from jiapei.training.bans import Window, banned
from jiapei.training.bans import windows as ban_windows
from jiapei.training.bulk import NewMinute
from jiapei.training.fences import SchoolFences
from jiapei.training.models import IngestResult, MinuteRecord, TeachingLog
from jiapei.training.services.requests import request_audit

MAX_BATCH = 2000
REPEATED = "MINUTE_REPEATED"
MAX_SPEED_TENTHS = 2500  # 250 km/h: beyond any training car
MAX_MILEAGE_TENTHS = 50  # 5 km in one minute


@dataclass
class ItemResult:
    """The reply for one item: ``accepted``, ``rejected`` (stored, with codes) or ``refused``
    (malformed, not stored, with field errors). ``duplicate`` marks a replay."""

    index: int
    recordnum: Any
    result: str
    codes: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    duplicate: bool = False

    def wire(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "index": self.index,
            "recordnum": self.recordnum,
            "result": self.result,
        }
        if self.codes:
            data["codes"] = self.codes
        if self.errors:
            data["errors"] = self.errors
        if self.duplicate:
            data["duplicate"] = True
        return data


def _tenths(limit: int) -> Callable[[str, str], float]:
    def parse(name: str, value: str) -> float:
        try:
            number = int(str(value))
        except ValueError:
            raise FieldError(name, value, "应为整数，单位0.1 (integer in tenths)") from None
        if not 0 <= number <= limit:
            raise FieldError(name, value, f"应在 0–{limit} 之间 (out of range)")
        return number / 10

    return parse


# The text columns a minute's own fields go to unchanged (the bulk insert skips pre_save).
_TEXT_COLUMNS = ("coachnum", "classid")
_RPM_COLUMN = MinuteRecord._meta.get_field("engine_rpm")


def _rpm(value: Any) -> int:
    """The engine speed as the column holds it: a whole number within its range."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError
    number = float(value) if not isinstance(value, int) else value
    if isinstance(number, float):
        if not number.is_integer():
            raise ValueError
        number = int(number)  # OverflowError for infinity, ValueError for NaN
    low, high = integer_range(_RPM_COLUMN)
    if not low <= number <= high:
        raise ValueError
    return number


def _parse(item: Any, students: Mapping[str, Student]) -> dict[str, Any]:
    """Validate one item's fields; raises FieldError(s). Returns the parsed values."""
    if not isinstance(item, dict):
        raise FieldError("item", type(item).__name__, "每条记录应为 JSON 对象 (object expected)")
    f = Fields(item)
    number = f.get("recordnum", wire.record_number)
    stunum = f.get("stunum")
    course = f.get("subjcode", wire.course)
    values: dict[str, Any] = {
        "recordnum": str(item.get("recordnum", "")).strip(),
        "subjcode": str(item.get("subjcode", "")).strip(),
        "coachnum": f.get("coachnum", required=False, default=""),
        "classid": f.get("classid"),
        "max_speed": f.get("maxspeed", _tenths(MAX_SPEED_TENTHS)),
        "mileage": f.get("mileage", _tenths(MAX_MILEAGE_TENTHS)),
    }
    if number is not None:
        values["at"] = f.get("rectime", lambda n, v: wire.minute_time(n, v, number.day))
        values["devnum"] = number.devnum
    gnss = item.get("gnss")
    values["lng"] = values["lat"] = values["engine_rpm"] = None
    if gnss is not None:
        if not isinstance(gnss, dict):
            f.add(FieldError("gnss", gnss, "应为对象 {lng, lat, rpm} (object expected)"))
        else:
            try:
                lng, lat = float(gnss["lng"]), float(gnss["lat"])
                if not (-180 <= lng <= 180 and -90 <= lat <= 90):
                    raise ValueError
                values["lng"], values["lat"] = lng, lat
                rpm = gnss.get("rpm")
                values["engine_rpm"] = None if rpm is None else _rpm(rpm)
            except (KeyError, TypeError, ValueError, OverflowError):
                f.add(FieldError("gnss", gnss, "坐标或转速无效 (bad lng/lat/rpm)"))
    for name in _TEXT_COLUMNS:
        error = value_error(MinuteRecord._meta.get_field(name), values.get(name))
        if error is not None:
            f.add(error)
    if stunum is not None and stunum not in students:
        f.add(
            FieldError("stunum", stunum, "学员未在本平台备案 (student not filed by this platform)")
        )
    f.check()
    values["student"] = students[stunum]
    values["course"] = course
    return values


def ingest(*, actor: Actor, platform: TimingPlatform, items: Sequence[Any]) -> list[ItemResult]:
    """Ingest up to MAX_BATCH minute records. Returns one result per item, in order."""
    if len(items) > MAX_BATCH:
        raise FieldError("records", len(items), f"每批最多 {MAX_BATCH} 条 (batch too large)")
    stunums = {str(i.get("stunum")) for i in items if isinstance(i, dict)}
    students = {
        s.stunum: s
        for s in Student.objects.filter(stunum__in=stunums, platform=platform).select_related(
            "institution"
        )
    }
    results: list[ItemResult] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(items):
        try:
            parsed.append((index, _parse(item, students)))
        except (FieldError, FieldErrors) as exc:
            errors = exc.as_data()["errors"]
            results.append(ItemResult(index, _get(item, "recordnum"), "refused", errors=errors))
    with transaction.atomic():
        # The replay check runs inside the write transaction: on SQLite writers are serialised
        # from here on, and on PostgreSQL ON CONFLICT settles a concurrent duplicate. The
        # students' rows are locked (in key order) so that two batches cannot both find a
        # wall-clock minute still free and both credit it (one minute, one credit).
        _lock_students(parsed)
        fresh, replayed = _split_replays(parsed, platform)
        results.extend(replayed)
        rows = _resolve(platform, fresh)
        stored = bulk.insert([row for _, row in rows])
        _request_audits({row.student_id for _, row in rows if row.recordnum in stored}, rows)
        if rows:
            trail.record_event(
                actor=actor,
                action="minuterecords.ingest",
                object_type="training.minuterecord",
                object_id=f"{rows[0][1].recordnum}..{rows[-1][1].recordnum}",
                after={
                    "stored": len(stored),
                    "refused": sum(r.result == "refused" for r in results),
                },
            )
        raced = {row.recordnum for _, row in rows} - stored
        first = _stored_results(raced, platform)
    for index, row in rows:
        if row.recordnum in raced:
            result, codes = first.get(row.recordnum, ("refused", []))
            results.append(ItemResult(index, row.recordnum, result, list(codes), duplicate=True))
        else:
            results.append(ItemResult(index, row.recordnum, row.result, list(row.reject_codes)))
    results.sort(key=lambda r: r.index)
    return results


def _get(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, dict) else None


# What a record number another platform stored is answered with: no result, no codes.
TAKEN = ("refused", ["RECORDNUM_TAKEN"])


def _stored_results(
    numbers: set[str], platform: TimingPlatform
) -> dict[str, tuple[str, list[str]]]:
    """The first result of each stored number; a number stored by another platform gets
    :data:`TAKEN`, never that platform's result."""
    if not numbers:
        return {}
    return {
        number: (result, codes) if owner == platform.pk else TAKEN
        for number, result, codes, owner in MinuteRecord.objects.filter(
            recordnum__in=numbers
        ).values_list("recordnum", "result", "reject_codes", "platform_id")
    }


def _split_replays(
    parsed: list[tuple[int, dict[str, Any]]], platform: TimingPlatform
) -> tuple[list[tuple[int, dict[str, Any]]], list[ItemResult]]:
    """Separate items already stored (or repeated within this batch) from new ones."""
    numbers = [values["recordnum"] for _, values in parsed]
    stored = _stored_results(set(numbers), platform)
    fresh: list[tuple[int, dict[str, Any]]] = []
    replayed: list[ItemResult] = []
    seen: dict[str, int] = {}
    for index, values in parsed:
        number = values["recordnum"]
        if number in stored and stored[number] is TAKEN:
            replayed.append(
                ItemResult(
                    index,
                    number,
                    "refused",
                    errors=[
                        {
                            "field": "recordnum",
                            "value": number,
                            "message": "记录编号已被使用 (record number already in use)",
                        }
                    ],
                )
            )
        elif number in stored:
            result, codes = stored[number]
            replayed.append(ItemResult(index, number, result, list(codes), duplicate=True))
        elif number in seen:
            replayed.append(
                ItemResult(
                    index,
                    number,
                    "refused",
                    duplicate=True,
                    errors=[
                        {
                            "field": "recordnum",
                            "value": number,
                            "message": f"与本批第 {seen[number]} 条重复 (repeated in the batch)",
                        }
                    ],
                )
            )
        else:
            seen[number] = index
            fresh.append((index, values))
    return fresh, replayed


def _resolve(
    platform: TimingPlatform, fresh: list[tuple[int, dict[str, Any]]]
) -> list[tuple[int, NewMinute]]:
    """Resolve terminals, cars, coaches and fences for new items, and build their rows."""
    known = _known(platform, fresh)
    rows: list[tuple[int, NewMinute]] = []
    practical: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, values in fresh:
        course = values["course"]
        student = values["student"]
        binding = known.bindings.get(values["devnum"])
        car = binding.car if binding else None
        coach = known.coaches.get(values["coachnum"]) if values["coachnum"] else None
        row = _new_minute(platform, values, car=car, coach=coach)
        row.reject_codes = _reject_codes(values, binding=binding, coach=coach, bans=known.bans)
        rows.append((index, row))
        if course.mode == 1:
            practical[(student.institution_id, course.part)].append(len(rows) - 1)
    _check_fences(rows, practical, known.fences)
    _mark_repeated_minutes(rows)
    for _, row in rows:
        row.result = IngestResult.REJECTED if row.reject_codes else IngestResult.ACCEPTED
    return rows


def _lock_students(parsed: list[tuple[int, dict[str, Any]]]) -> None:
    ids = sorted({values["student"].pk for _, values in parsed})
    if ids:
        list(Student.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))


def _minute_of(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _mark_repeated_minutes(rows: list[tuple[int, NewMinute]]) -> None:
    """MINUTE_REPEATED: a student is credited at most once per wall-clock minute, across every
    record number, terminal and session. A new minute whose student already has a stored
    minute record in the same wall-clock minute (under another number: a replay of the same
    number never gets here), or an earlier item of this batch, is stored rejected with this
    code; the first one stands. The ``MINUTE_RESENT`` detector turns them into findings."""
    if not rows:
        return
    students = {row.student_id for _, row in rows}
    low = _minute_of(min(row.at for _, row in rows))
    high = _minute_of(max(row.at for _, row in rows)) + timedelta(minutes=1)
    taken = {
        (student_id, _minute_of(at))
        for student_id, at in MinuteRecord.objects.filter(
            student_id__in=students, at__gte=low, at__lt=high
        ).values_list("student_id", "at")
    }
    for _, row in sorted(rows, key=lambda pair: pair[0]):
        key = (row.student_id, _minute_of(row.at))
        if key in taken:
            row.reject_codes.append(REPEATED)
        taken.add(key)


@dataclass
class _Known:
    """What the batch's items refer to, loaded in a few queries for the whole batch."""

    bindings: dict[str, DeviceBinding]  # by devnum: the terminal's current binding to a car
    coaches: dict[str, Personnel]  # by coachnum
    fences: dict[int, SchoolFences]  # by institution id: its approved fences
    bans: dict[tuple[str, str], list[Window]]  # by (kind, number): training-ban windows


def _known(platform: TimingPlatform, fresh: list[tuple[int, dict[str, Any]]]) -> _Known:
    devnums = {values["devnum"] for _, values in fresh}
    coachnums = {values["coachnum"] for _, values in fresh if values["coachnum"]}
    bindings = {
        b.device.devnum: b
        for b in DeviceBinding.objects.filter(
            device__devnum__in=devnums,
            device__platform=platform,
            unbound_at__isnull=True,
            device__filing_status=FilingStatus.ACTIVE,
        ).select_related("device", "car")
    }
    coaches = {
        c.number: c
        # Only the caller's own coaches: another platform's is "not filed" for this one.
        for c in Personnel.objects.filter(
            number__in=coachnums, role=PersonnelRole.COACH, platform=platform
        )
    }
    schools = {
        (v["student"].institution_id, v["student"].institution.district_id[:4] + "00")
        for _, v in fresh
    }
    return _Known(bindings, coaches, fences.load(schools), _bans(fresh, bindings))


def _reject_codes(
    values: dict[str, Any],
    *,
    binding: DeviceBinding | None,
    coach: Personnel | None,
    bans: dict[tuple[str, str], list[Window]],
) -> list[str]:
    """Why a well-formed minute is not credited, fences aside (seed 000): its coach, its
    terminal's binding or its car is not filed, or one of them is under a training ban."""
    course = values["course"]
    student = values["student"]
    codes: list[str] = []
    car = binding.car if binding else None
    # Remote (online) teaching has no coach; every other mode must name a filed one.
    coach_needed = course.mode != 4 or bool(values["coachnum"])
    if coach_needed and (
        coach is None or not coach.is_active or coach.institution_id != student.institution_id
    ):
        codes.append("COACH_NOT_FILED")
    if course.mode == 1:
        if binding is None:
            codes.append("DEVICE_UNBOUND")
        elif car is None or not car.is_active:
            codes.append("CAR_NOT_FILED")
    at = values["at"]
    if bans and (
        banned(bans.get(("coach", values["coachnum"])), at)
        or banned(bans.get(("device", values["devnum"])), at)
        or (car is not None and banned(bans.get(("car", car.carnum)), at))
    ):
        codes.append("TRAINING_BAN")
    return codes


def _new_minute(
    platform: TimingPlatform,
    values: dict[str, Any],
    *,
    car: TrainingCar | None,
    coach: Personnel | None,
) -> NewMinute:
    course = values["course"]
    student = values["student"]
    return NewMinute(
        recordnum=values["recordnum"],
        platform_id=platform.pk,
        student_id=student.pk,
        institution_id=student.institution_id,
        devnum=values["devnum"],
        coachnum=values["coachnum"],
        carnum=car.carnum if car else "",
        classid=str(values["classid"]),
        at=values["at"],
        subjcode=values["subjcode"],
        mode=course.mode,
        part=course.part,
        max_speed=values["max_speed"],
        mileage=values["mileage"],
        lng=values["lng"],
        lat=values["lat"],
        engine_rpm=values["engine_rpm"],
        coach_classes=coach.teachpermitted if coach else "",
        car_class=car.perdritype if car else "",
    )


def _check_fences(
    rows: list[tuple[int, NewMinute]],
    practical: dict[tuple[int, int], list[int]],
    fence_sets: dict[int, SchoolFences],
) -> None:
    """Reject practical minutes outside the school's approved fence for their part; the points
    of one (school, part) are tested together."""
    for (school, part), positions in practical.items():
        points = [(rows[p][1].lng, rows[p][1].lat, rows[p][1].at) for p in positions]
        for position, ok in zip(
            positions, fences.inside(fence_sets[school], part, points), strict=True
        ):
            if not ok:
                rows[position][1].reject_codes.append("OUT_OF_FENCE")


def _bans(
    fresh: list[tuple[int, dict[str, Any]]], bindings: Mapping[str, DeviceBinding]
) -> dict[tuple[str, str], list[Window]]:
    """The training bans (禁训) of the batch's coaches, cars and terminals that overlap its
    time span, loaded in one query so that checking each minute costs no more queries."""
    if not fresh:
        return {}
    subjects = [("coach", v["coachnum"]) for _, v in fresh if v["coachnum"]]
    subjects += [("device", v["devnum"]) for _, v in fresh]
    subjects += [("car", b.car.carnum) for b in bindings.values()]
    moments = [v["at"] for _, v in fresh]
    return ban_windows(subjects, min(moments), max(moments))


def _request_audits(student_ids: set[int], rows: list[tuple[int, NewMinute]]) -> None:
    """Minutes that arrive after their session closed (back-filled) re-audit their days."""
    if not rows:
        return
    earliest = min(row.at for _, row in rows)
    closed = set(
        TeachingLog.objects.filter(student_id__in=student_ids, endtime__gte=earliest).values_list(
            "student_id", flat=True
        )
    )
    days: dict[int, set[date]] = defaultdict(set)
    for _, row in rows:
        if row.student_id in closed:
            days[row.student_id].add(timezone.localtime(row.at).date())
    for student_id, student_days in days.items():
        request_audit(student_id=student_id, days=student_days, reason="backfill")
