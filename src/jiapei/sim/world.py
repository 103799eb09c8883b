"""Build a province-like world through the real signed API: institutions in several cities,
their coaches, cars, terminals (bound to cars), students, fee standards and site fences, plus
police-designated road routes entered by the city regulators, and the regulators' reviews.

The same seed builds the same world; running it again re-files the same records (updates, never
duplicates), which is itself a check of the interface's idempotency.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count

from jiapei.accounts.models import Region, RegionLevel, Role, User
from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.registry import services
from jiapei.registry.models import AreaStatus, TeachingArea, TimingPlatform
from jiapei.sim import identities as ids
from jiapei.sim.client import TimingPlatformClient
from jiapei.sim.images import portrait

# Approximate WGS-84 centres of Hunan's 14 市州 (for placing fences and routes).
CITY_CENTRES = {
    "430100": (112.94, 28.23),
    "430200": (113.13, 27.83),
    "430300": (112.94, 27.83),
    "430400": (112.57, 26.89),
    "430500": (111.47, 27.24),
    "430600": (113.13, 29.36),
    "430700": (111.70, 29.03),
    "430800": (110.48, 29.12),
    "430900": (112.36, 28.55),
    "431000": (113.01, 25.77),
    "431100": (111.61, 26.42),
    "431200": (110.00, 27.57),
    "431300": (112.00, 27.70),
    "433100": (109.74, 28.31),
}


@dataclass
class WorldConfig:
    seed: int = 20260901
    cities: int = 3
    institutions_per_city: int = 2
    coaches_per_institution: int = 3
    cars_per_institution: int = 3
    students_per_institution: int = 12
    today: date = field(default_factory=clock.today)


@dataclass
class FiledInstitution:
    inscode: str
    city: str
    district: str
    centre: tuple[float, float]
    coaches: list[str] = field(default_factory=list)
    cars: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    students: list[dict[str, Any]] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)


@dataclass
class World:
    institutions: list[FiledInstitution] = field(default_factory=list)
    routes: list[int] = field(default_factory=list)


def square(centre: tuple[float, float], half_km: float) -> str:
    """A square fence around ``centre`` in the terminals' "lng,lat;…" form."""
    lng, lat = centre
    dlat = half_km / 111.0
    dlng = half_km / (111.0 * math.cos(math.radians(lat)))
    corners = [
        (lng - dlng, lat - dlat),
        (lng + dlng, lat - dlat),
        (lng + dlng, lat + dlat),
        (lng - dlng, lat + dlat),
    ]
    return ";".join(f"{x:.6f},{y:.6f}" for x, y in corners)


def institution_payload(rng: random.Random, n: int, city: Region, county: Region) -> dict[str, Any]:
    short = f"{city.name[:2]}{'安顺通达平盛鑫华'[n % 8]}驾校"
    return {
        "district": county.code,
        "name": f"{city.name}{short[2:]}机动车驾驶培训有限公司{n}",
        "shortname": short,
        "licnum": f"湘交运管许可{city.code[:4]}{n:05d}号",
        "licetime": "20180315",
        "business": f"91{county.code}MA4L{n:06d}",
        "creditcode": f"91{county.code}MA4L{n:06d}"[:18],
        "address": f"{county.name}学车路{n}号",
        "postcode": "410000",
        "legal": ids.name(rng),
        "contact": ids.name(rng),
        "phone": ids.mobile(rng),
        "busiscope": "C1,C2",
        "busistatus": "1",
        "level": "2",
        "coachnumber": 30,
        "grasupvnum": 2,
        "safmngnum": 2,
        "tracarnum": 25,
        "classroom": "120",
        "thclassroom": "80",
        "praticefield": "25000",
    }


def ensure_demo_users(password: str) -> dict[str, User]:
    """Regulator accounts for the demo: one province, one per city, one county in 长沙."""
    from jiapei.accounts.services import create_user

    system = Actor.system("demo")
    wanted = [("hunan", Role.PROVINCE_REGULATOR, "430000")]
    for city in Region.objects.filter(level=RegionLevel.CITY):
        wanted.append((f"city{city.code[:4]}", Role.CITY_REGULATOR, city.code))
    wanted.append(("county430104", Role.COUNTY_REGULATOR, "430104"))
    users = {}
    for username, role, code in wanted:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = create_user(
                actor=system, username=username, password=password, role=role, region_code=code,
                # An address, so `jiapei digest` has someone to write to (the demo's mail
                # backend prints the mails; .invalid never reaches a real mailbox).
                email=f"{username}@demo.invalid",
            )  # fmt: skip
        users[username] = user
    return users


def build_world(
    client: TimingPlatformClient, platform: TimingPlatform, users: dict[str, User], cfg: WorldConfig
) -> World:
    rng = random.Random(cfg.seed)
    world = World()
    cities = list(Region.objects.filter(level=RegionLevel.CITY).order_by("code"))[: cfg.cities]
    n = 0
    for city in cities:
        counties = list(Region.objects.filter(parent=city).order_by("code"))
        centre = CITY_CENTRES[city.code]
        regulator = Actor.for_user(users[f"city{city.code[:4]}"])
        route, _ = services.enter_police_route(
            actor=regulator,
            data={
                "seq": "1",
                "name": f"{city.name}公安指定道路训练路线一",
                "vehicletype": "C1,C2",
                "polygon": square((centre[0] + 0.03, centre[1] + 0.02), 1.5),
                "time_windows": [
                    {"start": "09:00", "end": "11:30", "weekdays": [1, 2, 3, 4, 5]},
                    {"start": "14:00", "end": "17:00", "weekdays": [1, 2, 3, 4, 5, 6, 7]},
                ],
            },
        )
        world.routes.append(route.pk)
        for _ in range(cfg.institutions_per_city):
            n += 1
            county = counties[n % len(counties)]
            site = (centre[0] + rng.uniform(-0.05, 0.05), centre[1] + rng.uniform(-0.05, 0.05))
            data = client.post("institution", institution_payload(rng, n, city, county))
            inst = FiledInstitution(data["inscode"], city.code, county.code, site)
            _file_staff_and_cars(client, rng, inst, county, cfg, n)
            _file_students(client, rng, inst, county, cfg, n)
            client.post(
                "charstandard",
                {
                    "inscode": inst.inscode,
                    "seq": "1",
                    "vehicletype": "C1",
                    "price": "4800",
                    "classcurr": "C1 全部课程 (1-4 部分)",
                    "uptime": "20260901",
                    "chargemode": "1",
                    "paymode": "1",
                    "trainningmode": "1",
                },
            )
            reply = client.post(
                "region",
                {
                    "inscode": inst.inscode,
                    "seq": "1",
                    "name": "第二部分训练场",
                    "address": county.name,
                    "area": "25000",
                    "type": "1",
                    "vehicletype": "C1,C2",
                    "polygon": square(site, 0.4),
                    "totalvehnum": 30,
                    "curvehnum": len(inst.cars),
                },
            )
            inst.areas.append(reply["seq"])
            world.institutions.append(inst)
        for area in TeachingArea.objects.filter(region__parent=city, status=AreaStatus.PENDING):
            services.review_area(actor=regulator, area_id=area.pk, approve=True, reason="")
    return world


def _file_staff_and_cars(
    client: TimingPlatformClient,
    rng: random.Random,
    inst: FiledInstitution,
    county: Region,
    cfg: WorldConfig,
    n: int,
) -> None:
    for i in range(cfg.coaches_per_institution):
        photo = client.upload("coachimg", portrait(n * 1000 + i))
        reply = client.post(
            "coach",
            {
                "inscode": inst.inscode,
                "name": ids.name(rng),
                "sex": rng.choice("12"),
                "idcard": ids.idcard(rng, county.code, born_between=(1970, 1995)),
                "mobile": ids.mobile(rng),
                "photo": photo,
                "drilicence": f"4301{rng.randrange(10**14):014d}",
                "fstdrilicdate": "20080610",
                "dripermitted": "C1",
                "teachpermitted": "C1,C2" if i % 2 else "C1",
                "employstatus": "0",
                "hiredate": "20190301",
                "occupationlevel": "3",
            },
        )
        inst.coaches.append(reply["coachnum"])
    for i in range(cfg.cars_per_institution):
        car = client.post(
            "trainingcar",
            {
                "inscode": inst.inscode,
                "licnum": ids.plate(rng, inst.city),
                "platecolor": "2",
                "manufacture": "上汽大众",
                "brand": "桑塔纳",
                "model": "SVW7155",
                "franum": f"LSV{n:03d}{i:011d}",
                "perdritype": "C2" if i == cfg.cars_per_institution - 1 else "C1",
                "buydate": "20220101",
            },
        )
        device = client.post(
            "device",
            {
                "inscode": inst.inscode,
                "termtype": "1",
                "vender": "湖南示例电子",
                "model": "JP-T1",
                "imei": f"86{n:04d}{i:09d}",
                "sn": f"SN{n:04d}{i:06d}",
            },
        )
        client.post(
            "devassign",
            {"devnum": device["devnum"], "carnum": car["carnum"], "sim": f"1440{n:04d}{i:05d}"},
        )
        inst.cars.append(car["carnum"])
        inst.devices.append(device["devnum"])


def _file_students(
    client: TimingPlatformClient,
    rng: random.Random,
    inst: FiledInstitution,
    county: Region,
    cfg: WorldConfig,
    n: int,
) -> None:
    for i in range(cfg.students_per_institution):
        photo = client.upload("stuimg", portrait(n * 100000 + 500 + i))
        applied = cfg.today - timedelta(days=rng.randrange(5, 90))
        payload = {
            "inscode": inst.inscode,
            "cardtype": "1",
            "idcard": ids.idcard(rng, county.code, born_between=(1980, 2006)),
            "nationality": "中国",
            "name": ids.name(rng),
            "sex": rng.choice("12"),
            "phone": ids.mobile(rng),
            "photo": photo,
            "busitype": "0",
            "traintype": "C2" if i % 4 == 3 else "C1",
            "applydate": applied.strftime("%Y%m%d"),
        }
        reply = client.post("student", payload)
        inst.students.append({**payload, "stunum": reply["stunum"]})


def summary() -> dict[str, Any]:
    """Counts a regulator would look at after the world was built."""
    from jiapei.registry.models import Device, Institution, Personnel, Student, TrainingCar

    return {
        "institutions": Institution.objects.count(),
        "coaches": Personnel.objects.filter(role="coach").count(),
        "cars": TrainingCar.objects.count(),
        "devices": Device.objects.count(),
        "students": Student.objects.count(),
        "areas": dict(TeachingArea.objects.values_list("status").annotate(n=Count("id"))),
    }
