"""The world as the training-day simulator sees it: each school's coaches, cars and students.

:func:`prepare` reads the registry facts of a :class:`~jiapei.sim.world.World` and files
(idempotently, through the signed API) what sessions need besides them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from jiapei.registry.models import (
    AreaStatus,
    AreaType,
    Institution,
    Personnel,
    TeachingArea,
    TrainingCar,
)
from jiapei.sim import identities as ids
from jiapei.sim import tracks
from jiapei.sim.client import TimingPlatformClient
from jiapei.sim.images import portrait
from jiapei.sim.world import FiledInstitution, World, square


@dataclass(frozen=True)
class Coach:
    number: str
    classes: frozenset[str]


@dataclass(frozen=True)
class Car:
    carnum: str
    devnum: str  # the terminal bound to it
    klass: str


@dataclass(frozen=True)
class Learner:
    stunum: str
    klass: str
    applydate: date
    seed: int  # portrait seed of the registration photo: training photos show the same face
    photo: str  # registration photo file id


@dataclass
class School:
    """One institution with what its sessions need; ``teacher`` takes classroom and remote
    sessions, ``spare_dev`` is a filed terminal bound to no car, ``unfiled_coach`` a number
    that no coach holds."""

    index: int
    inscode: str
    ground: tracks.Area
    route: tracks.Area
    route_windows: list[dict[str, Any]]
    coaches: list[Coach]
    cars: list[Car]
    students: list[Learner]
    teacher: str
    classroom_dev: str
    remote_dev: str
    spare_dev: str
    unfiled_coach: str


def prepare(client: TimingPlatformClient, world: World) -> tuple[str, list[School]]:
    """Read the world's registry facts and file (idempotently, through the API) what sessions
    need besides it: a theory teacher, classroom/remote terminals, an unbound spare terminal,
    and a coach lacking a class when every coach teaches it (for COACH_CLASS plants)."""
    first = Institution.objects.select_related("platform").get(
        inscode=world.institutions[0].inscode
    )
    routes = {a.region_id: a for a in TeachingArea.objects.filter(pk__in=world.routes)}
    schools = []
    for index, inst in enumerate(world.institutions):
        rng = random.Random(f"school:{index}")
        filed = {p.number: p for p in Personnel.objects.filter(number__in=inst.coaches)}
        coaches = [
            Coach(n, frozenset(filed[n].teachpermitted.split(",")))
            for n in inst.coaches
            if n in filed and filed[n].is_active
        ]
        kinds = dict(TrainingCar.objects.filter(carnum__in=inst.cars).values_list(
            "carnum", "perdritype"))  # fmt: skip
        cars = [Car(c, d, kinds[c]) for c, d in zip(inst.cars, inst.devices, strict=True)]
        students = [
            Learner(s["stunum"], s["traintype"], datetime.strptime(s["applydate"], "%Y%m%d").date(),
                    (index + 1) * 100000 + 500 + i, s["photo"])
            for i, s in enumerate(inst.students)
        ]  # fmt: skip
        for klass in sorted({s.klass for s in students}):
            if all(klass in c.classes for c in coaches):
                other = "C2" if klass == "C1" else "C1"
                coaches.append(Coach(_file_coach(client, rng, inst, other), frozenset({other})))
        ground = TeachingArea.objects.filter(
            institution__inscode=inst.inscode, type=AreaType.SITE, status=AreaStatus.APPROVED
        ).first()
        route = routes[inst.city]
        unfiled = f"430020{rng.randrange(10**10):010d}"
        while Personnel.objects.filter(number=unfiled).exists():
            unfiled = f"430020{rng.randrange(10**10):010d}"
        schools.append(School(
            index, inst.inscode,
            tracks.Area.from_points(ground.polygon) if ground else
            tracks.Area.from_wire(square(inst.centre, 0.4)),
            tracks.Area.from_points(route.polygon), list(route.time_windows),
            coaches, cars, students, _file_coach(client, rng, inst, "C1,C2"),
            _file_device(client, inst, "2", "CLS"), _file_device(client, inst, "2", "WEB"),
            _file_device(client, inst, "1", "SPR"), unfiled,
        ))  # fmt: skip
    return first.platform.platnum, schools


def _file_coach(
    client: TimingPlatformClient, rng: random.Random, inst: FiledInstitution, classes: str
) -> str:
    photo = client.upload("coachimg", portrait(rng.randrange(10**9)))
    reply = client.post("coach", {
        "inscode": inst.inscode, "name": ids.name(rng), "sex": "1",
        "idcard": ids.idcard(rng, inst.district, born_between=(1970, 1990)),
        "mobile": ids.mobile(rng), "photo": photo,
        "drilicence": f"4301{rng.randrange(10**14):014d}",
        "fstdrilicdate": "20060610", "dripermitted": "C1", "teachpermitted": classes,
        "employstatus": "0", "hiredate": "20190301", "occupationlevel": "3",
    })  # fmt: skip
    return str(reply["coachnum"])


def _file_device(client: TimingPlatformClient, inst: FiledInstitution, kind: str, tag: str) -> str:
    reply = client.post("device", {
        "inscode": inst.inscode, "termtype": kind, "vender": "湖南示例电子", "model": "JP-T1",
        "imei": f"86{'CWS'.index(tag[0])}{inst.inscode[-12:]}", "sn": f"SIM-{tag}-{inst.inscode}",
    })  # fmt: skip
    return str(reply["devnum"])
