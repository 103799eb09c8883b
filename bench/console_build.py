"""The province of the console benchmark: a PostgreSQL database built once and kept.

Registry rows (schools, staff, cars, terminals, students, fences) go in with the ORM's
``bulk_create``; the big tables (teaching logs, minute records, uploaded files and photos,
audit-log entries) with ``COPY … FROM STDIN`` through psycopg. Every step records itself in a
``bench_steps`` table when it commits, so an interrupted build resumes at the first step not
done, and a finished database is reused as it is. Times are spread over the last
:data:`DAYS` days up to the moment of the build, sessions of 60 minutes, in time order (so the
minute records' ids grow with time, as ingest writes them).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

DAYS = 60
SESSION = 60  # minutes per session
PHOTOS_PER_SESSION = 6
STEPS = ("registry", "training", "photos", "supervision", "trail", "analyze")


@dataclass(frozen=True)
class Sizes:
    students: int
    minutes: int
    photos: int
    schools: int

    @classmethod
    def at(cls, scale: float) -> Sizes:
        return cls(
            students=max(200, round(200_000 * scale)),
            minutes=max(6_000, round(20_000_000 * scale)),
            photos=max(600, round(2_000_000 * scale)),
            schools=max(14, round(1_000 * scale)),
        )

    @property
    def sessions(self) -> int:
        return self.minutes // SESSION


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def _done(cursor: Any) -> set[str]:
    cursor.execute("CREATE TABLE IF NOT EXISTS bench_steps (step text PRIMARY KEY, at timestamptz)")
    cursor.execute("SELECT step FROM bench_steps")
    return {row[0] for row in cursor.fetchall()}


def build(sizes: Sizes, password: str) -> None:
    """Every step not yet done, each in its own transaction."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        done = _done(cursor)
    from console_build_more import supervision, trail

    steps: dict[str, Callable[[Sizes, str], None]] = {
        "registry": _registry,
        "training": _training,
        "photos": _photos,
        "supervision": supervision,
        "trail": trail,
        "analyze": _analyze,
    }
    for name in STEPS:
        if name in done:
            log(f"{name}: already built")
            continue
        started = datetime.now()  # noqa: DTZ005 - a stopwatch, not a platform time
        if name == "analyze":  # VACUUM cannot run in a transaction
            steps[name](sizes, password)
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO bench_steps VALUES (%s, now())", [name])
        else:
            with transaction.atomic(), connection.cursor() as cursor:
                steps[name](sizes, password)
                cursor.execute("INSERT INTO bench_steps VALUES (%s, now())", [name])
        log(f"{name}: built in {(datetime.now() - started).total_seconds():.0f} s")  # noqa: DTZ005


# Registry.


def _registry(sizes: Sizes, password: str) -> None:
    from jiapei.accounts.models import Region, RegionLevel
    from jiapei.registry import models as r
    from jiapei.sim import world as sim_world

    sim_world.ensure_demo_users(password)
    platforms = [
        r.TimingPlatform.objects.create(
            platnum=f"B{n:04d}",
            name=f"基准计时平台{n}",
            cert_serial=f"BENCH{n:08d}",
            public_key_pem="-",
            status="active",
        )
        for n in range(1, 6)
    ]
    counties = list(Region.objects.filter(level=RegionLevel.COUNTY).order_by("code"))
    schools = []
    for n in range(sizes.schools):
        schools.append(
            r.Institution(
                inscode=f"43{n:014d}",
                district=counties[n % len(counties)],
                name=f"基准驾校{n:04d}",
                shortname=f"基准{n:04d}",
                licnum=f"LIC{n:08d}",
                licetime="2020-01-01",
                business=f"BUS{n:08d}",
                address="湖南省",
                postcode="410000",
                legal="张三",
                contact="李四",
                phone="0731-00000000",
                busiscope="C1",
                busistatus="1",
                level="1",
                coachnumber=20,
                grasupvnum=1,
                safmngnum=1,
                tracarnum=15,
                praticefield=10000,
                platform=platforms[n % len(platforms)],
            )
        )
    r.Institution.objects.bulk_create(schools, batch_size=2000)
    schools = list(r.Institution.objects.filter(inscode__startswith="43").order_by("pk"))
    staff, cars, devices = [], [], []
    for i, school in enumerate(schools):
        for k in range(20):
            staff.append(
                r.Personnel(
                    role="coach",
                    number=f"C{i:07d}{k:02d}",
                    institution=school,
                    name="教练",
                    sex="1",
                    idcard=f"430104{i:07d}{k:05d}",
                    mobile="13800000000",
                    teachpermitted="C1",
                    hiredate="2020-01-01",
                    employstatus="0",
                    platform_id=school.platform_id,
                )
            )
        for k in range(15):
            cars.append(
                r.TrainingCar(
                    carnum=f"K{i:07d}{k:02d}",
                    institution=school,
                    licnum=f"湘A{i:04d}{k:02d}",
                    platecolor="2",
                    manufacture="-",
                    brand="-",
                    perdritype="C1",
                    platform_id=school.platform_id,
                )
            )
            devices.append(
                r.Device(
                    devnum=f"D{i:07d}{k:02d}".ljust(16, "0"),
                    institution=school,
                    termtype="1",
                    vender="-",
                    model="-",
                    imei=f"{i:07d}{k:02d}",
                    sn=f"SN{i:07d}{k:02d}",
                    platform_id=school.platform_id,
                )
            )
    r.Personnel.objects.bulk_create(staff, batch_size=5000)
    r.TrainingCar.objects.bulk_create(cars, batch_size=5000)
    r.Device.objects.bulk_create(devices, batch_size=5000)
    car_ids = dict(r.TrainingCar.objects.values_list("carnum", "pk"))
    bindings = [
        r.DeviceBinding(device_id=d.pk, car_id=car_ids["K" + d.devnum[1:10]], sim="1440000000001")
        for d in r.Device.objects.only("pk", "devnum")
    ]
    r.DeviceBinding.objects.bulk_create(bindings, batch_size=5000)
    students = [
        r.Student(
            stunum=f"S{n:015d}",
            institution=schools[n % len(schools)],
            cardtype="1",
            idcard=f"430104{n:012d}",
            nationality="中国",
            name=f"学员{n}",
            sex="1",
            phone="13900000000",
            busitype="0",
            traintype="C1",
            applydate="2026-01-01",
            platform_id=schools[n % len(schools)].platform_id,
        )
        for n in range(sizes.students)
    ]
    r.Student.objects.bulk_create(students, batch_size=5000)
    areas = [
        r.TeachingArea(
            institution=school,
            region_id=school.district_id,
            platform_id=school.platform_id,
            seq="1",
            address="-",
            area=10000,
            type="1",
            vehicletype="C1",
            polygon=[[112.9, 28.2], [112.91, 28.2], [112.91, 28.21], [112.9, 28.2]],
            status="pending" if i % 7 == 0 else "approved",
        )
        for i, school in enumerate(schools)
    ]
    r.TeachingArea.objects.bulk_create(areas, batch_size=2000)
    log(
        f"registry: {len(schools)} schools, {len(staff)} coaches, {len(devices)} terminals, "
        f"{len(students)} students"
    )


# Training data, with COPY.


def copy_rows(model: Any, fixed: dict[str, Any], varying: list[str], rows: Iterator[tuple]) -> int:
    """COPY ``rows`` (values of the ``varying`` columns, in order) into ``model``'s table;
    every other non-key column gets ``fixed[column]`` or the field's default."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    constant: list[Any] = []
    for f in fields:
        if f.column in varying:
            continue
        value = fixed[f.column] if f.column in fixed else f.get_default()
        if value is None and (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)):
            value = datetime.now().astimezone()  # a timestamp the build did not choose
        if f.get_internal_type() == "JSONField":
            value = "[]" if value == [] else "{}" if value == {} else value
        constant.append(value)
    names = varying + [c for c in columns if c not in varying]
    table = model._meta.db_table
    count = 0
    cursor = connection.cursor().cursor  # the psycopg cursor under Django's wrapper
    with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((*row, *constant))
            count += 1
    return count


@dataclass
class Plan:
    """The sessions of the build: (student id, school index, device index, start) in time order."""

    sessions: list[tuple[int, int, int, datetime]]


def plan_sessions(sizes: Sizes) -> Plan:
    from django.utils import timezone

    from jiapei.registry.models import Student

    rng = random.Random(2)
    zone = timezone.get_current_timezone()
    now = datetime.now(zone)
    students = list(Student.objects.order_by("pk").values_list("pk", flat=True))
    first_day = now.date() - timedelta(days=DAYS - 1)
    sessions = []
    for n in range(sizes.sessions):
        day = first_day + timedelta(days=rng.randrange(DAYS))
        start = datetime.combine(day, time(rng.randrange(6, 20), rng.randrange(60)), zone)
        if start + timedelta(minutes=SESSION + 10) > now:
            start -= timedelta(days=1)
        student_index = n % len(students)
        school = student_index % sizes.schools
        sessions.append((students[student_index], school, school * 15 + rng.randrange(15), start))
    sessions.sort(key=lambda s: s[3])
    return Plan(sessions)


def _training(sizes: Sizes, password: str) -> None:
    from jiapei.registry.models import Device, Institution, Personnel, Student, TrainingCar
    from jiapei.training.models import MinuteRecord, TeachingLog

    plan = plan_sessions(sizes)
    schools = list(Institution.objects.filter(inscode__startswith="43").order_by("pk"))
    devices = list(Device.objects.order_by("pk").values_list("pk", "devnum"))
    cars = list(TrainingCar.objects.order_by("pk").values_list("pk", "carnum"))
    coaches = list(Personnel.objects.order_by("pk").values_list("pk", "number"))
    stunums = dict(Student.objects.values_list("pk", "stunum"))
    rng = random.Random(3)
    recnums: dict[int, int] = {}
    verdicts = ["valid"] * 80 + ["partial"] * 12 + ["invalid"] * 6 + ["pending"] * 2

    def logs() -> Iterator[tuple]:
        for student, school, device, start in plan.sessions:
            recnums[student] = recnums.get(student, 0) + 1
            recnum = f"{recnums[student]:05d}"
            status = rng.choice(verdicts)
            valid = {"valid": 60, "partial": 40, "invalid": 0, "pending": 0}[status]
            end = start + timedelta(minutes=SESSION)
            yield (
                stunums[student] + recnum,
                student,
                schools[school].pk,
                schools[school].platform_id,
                coaches[school * 20 + device % 20][0],
                cars[device][0],
                devices[device][0],
                recnum,
                recnum,
                "1212110000",
                1,
                2,
                start,
                end,
                SESSION,
                18.0,
                status,
                60,
                valid,
                valid,
                end + timedelta(minutes=5),
            )

    n = copy_rows(
        TeachingLog,
        {
            "photos": "{}",
            "reported": "{}",
            "codes": "[]",
            "rule_version": "bench",
            "credited_mileage": 0,
            "coacmt": "",
            "void_reason": "",
            "avevelocity": None,
            "voided_at": None,
        },
        [
            "rnum",
            "student_id",
            "institution_id",
            "platform_id",
            "coach_id",
            "car_id",
            "device_id",
            "recnum",
            "classid",
            "subjcode",
            "mode",
            "part",
            "starttime",
            "endtime",
            "duration",
            "mileage",
            "audit_status",
            "total_minutes",
            "valid_minutes",
            "credited_minutes",
            "audited_at",
        ],
        logs(),
    )
    log(f"training: {n} teaching logs")
    sequence: dict[tuple[int, str], int] = {}

    def minutes() -> Iterator[tuple]:
        for student, school, device, start in plan.sessions:
            devnum = devices[device][1]
            rejected_session = rng.random() < 0.03
            for m in range(SESSION):
                at = start + timedelta(minutes=m, seconds=59)
                key = (device, f"{at:%y%m%d}")
                sequence[key] = sequence.get(key, 0) + 1
                late = rng.random() < 0.02
                delay = timedelta(
                    seconds=rng.randrange(3600, 7200) if late else rng.randrange(2, 90)
                )
                void = rng.random() < 0.08
                yield (
                    f"{devnum}{key[1]}{sequence[key]:04d}",
                    schools[school].platform_id,
                    student,
                    devnum,
                    coaches[school * 20 + device % 20][1],
                    cars[device][1],
                    "1",
                    at,
                    "rejected" if rejected_session else "accepted",
                    '["OUT_OF_FENCE"]' if rejected_session else "[]",
                    None if rejected_session else not void,
                    '["PHOTO_GAP"]' if void else "[]",
                    at + delay,
                )

    n = copy_rows(
        MinuteRecord,
        {
            "subjcode": "1212110000",
            "mode": 1,
            "part": 2,
            "max_speed": 40.0,
            "mileage": 0.3,
            "lng": 112.905,
            "lat": 28.205,
            "engine_rpm": 1800,
            "coach_classes": "C1",
            "car_class": "C1",
            "classid": "1",
        },
        [
            "recordnum",
            "platform_id",
            "student_id",
            "devnum",
            "coachnum",
            "carnum",
            "classid",
            "at",
            "result",
            "reject_codes",
            "valid",
            "codes",
            "received_at",
        ],
        minutes(),
    )
    log(f"training: {n} minute records")


def _photos(sizes: Sizes, password: str) -> None:
    from django.db import connection

    from jiapei.registry.models import Student, UploadedFile
    from jiapei.training.models import TrainingPhoto

    plan = plan_sessions(sizes)
    wanted = sizes.photos
    per = max(1, min(PHOTOS_PER_SESSION, wanted // max(1, len(plan.sessions)) + 1))
    shots = [(s, k) for s in plan.sessions for k in range(per)][:wanted]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM registry_uploadedfile")
        first = cursor.fetchone()[0] + 1
    platforms = dict(Student.objects.values_list("pk", "platform_id"))

    def files() -> Iterator[tuple]:
        for n, ((student, _school, _device, _start), _k) in enumerate(shots):
            yield (first + n, platforms[student], f"uploads/bench/{first + n}.jpg", f"{n:064x}")

    copy_rows(
        UploadedFile,
        {"kind": "stuimg", "size": 20000, "content_type": "image/jpeg"},
        ["id", "platform_id", "content", "sha256"],
        files(),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('registry_uploadedfile', 'id'), "
            "(SELECT MAX(id) FROM registry_uploadedfile))"
        )

    def photos() -> Iterator[tuple]:
        for n, ((student, _school, _device, start), k) in enumerate(shots):
            at = start + timedelta(minutes=k * 12)
            yield (platforms[student], student, first + n, at, 17 if k == 0 else 5, 90, at)

    n = copy_rows(
        TrainingPhoto,
        {"coachnum": "", "recnum": "00001", "subjcode": "1212110000", "fingerprint": ""},
        ["platform_id", "student_id", "file_id", "ptime", "event", "confidence", "created_at"],
        photos(),
    )
    log(f"photos: {n} uploaded files and photos")


def _analyze(sizes: Sizes, password: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
