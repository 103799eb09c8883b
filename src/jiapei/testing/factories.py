"""Factories for wire payloads (what a timing platform sends) and for accounts.

Payload factories build dicts with the standard's field names and valid values; a test
overrides just the field it is about: ``CoachPayload(inscode=…, idcard="bad")``.
"""

from __future__ import annotations

import random
from typing import Any

import factory

from jiapei.sim import identities as ids
from jiapei.sim.world import square

_rng = random.Random(4242)


def _idcard(county: str = "430104", born: tuple[int, int] = (1975, 1995)) -> str:
    return ids.idcard(_rng, county, born_between=born)


class InstitutionPayload(factory.DictFactory):
    district = "430104"
    name = factory.Sequence(lambda n: f"长沙测试驾驶培训学校{n}")
    shortname = factory.Sequence(lambda n: f"测试驾校{n}")
    licnum = factory.Sequence(lambda n: f"湘交运管许可长字{n:06d}号")
    licetime = "20180315"
    business = factory.Sequence(lambda n: f"914301{n:08d}")
    creditcode = factory.Sequence(lambda n: f"91430104MA4L{n:06d}")
    address = "长沙市岳麓区学车路1号"
    postcode = "410000"
    legal = "张三"
    contact = "李四"
    phone = "13800000000"
    busiscope = "C1,C2"
    busistatus = "1"
    level = "2"
    coachnumber = 20
    grasupvnum = 2
    safmngnum = 2
    tracarnum = 15
    classroom = "120"
    thclassroom = "80"
    praticefield = "20000"


class CoachPayload(factory.DictFactory):
    inscode = ""
    name = factory.Sequence(lambda n: f"教练{n}")
    sex = "1"
    idcard = factory.LazyFunction(_idcard)
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    photo = ""
    drilicence = factory.Sequence(lambda n: f"43010419800101{n:04d}")
    fstdrilicdate = "20050610"
    dripermitted = "C1"
    teachpermitted = "C1"
    employstatus = "0"
    hiredate = "20190301"
    occupationlevel = "3"


class TrainingCarPayload(factory.DictFactory):
    inscode = ""
    licnum = factory.Sequence(lambda n: f"湘A{n % 10000:04d}学")
    platecolor = "2"
    manufacture = "上汽大众"
    brand = "桑塔纳"
    model = "SVW7155"
    perdritype = "C1"
    buydate = "20220101"


class DevicePayload(factory.DictFactory):
    inscode = ""
    termtype = "1"
    vender = "测试终端厂"
    model = "JP-T1"
    imei = factory.Sequence(lambda n: f"86000000{n:07d}")
    sn = factory.Sequence(lambda n: f"SN{n:08d}")


class StudentPayload(factory.DictFactory):
    inscode = ""
    cardtype = "1"
    idcard = factory.LazyFunction(lambda: _idcard(born=(1985, 2005)))
    nationality = "中国"
    name = factory.Sequence(lambda n: f"学员{n}")
    sex = "2"
    phone = factory.Sequence(lambda n: f"137{n:08d}")
    photo = ""
    busitype = "0"
    traintype = "C1"
    applydate = "20260901"


class AreaPayload(factory.DictFactory):
    inscode = ""
    seq = factory.Sequence(lambda n: f"{n % 9999 + 1:04d}")
    name = "第二部分训练场"
    address = "长沙市岳麓区"
    area = "20000"
    type = "1"
    vehicletype = "C1"
    polygon = square((112.90, 28.20), 0.4)
    totalvehnum = 20
    curvehnum = 5


class FeePayload(factory.DictFactory):
    inscode = ""
    seq = factory.Sequence(lambda n: str(n + 1))
    vehicletype = "C1"
    price = "4800"
    classcurr = "C1 全部课程"
    uptime = "20260901"


def payload(factory_cls: type[factory.DictFactory], **overrides: Any) -> dict[str, Any]:
    """Build a payload, dropping fields overridden with ``None`` (to test missing fields)."""
    built: Any = factory_cls(**{k: v for k, v in overrides.items() if v is not None})
    data: dict[str, Any] = dict(built)
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
    return data


def minute(
    devnum: str,
    stunum: str,
    coachnum: str,
    at: Any,
    seq: int,
    *,
    subjcode: str = "1212110000",
    lng: float = 112.90,
    lat: float = 28.20,
    speed: int = 150,
    mileage: int = 3,
    classid: str = "1",
    rpm: int = 1800,
) -> dict[str, Any]:
    """A minute record (0x0203) as a timing platform uploads it; ``at`` is the local time."""
    return {
        "recordnum": f"{devnum}{at:%y%m%d}{seq:04d}",
        "stunum": stunum,
        "coachnum": coachnum,
        "classid": classid,
        "rectime": f"{at:%H%M%S}",
        "subjcode": subjcode,
        "maxspeed": speed,
        "mileage": mileage,
        "gnss": {"lng": lng, "lat": lat, "rpm": rpm},
    }


class RegionFactory(factory.django.DjangoModelFactory):
    """A GB/T 2260 division outside the shipped data, such as another province's for scope
    tests (the installation's own regions are loaded by ``sync_regions`` after every migrate).
    The level follows the code's digits; give ``parent`` for a city or county."""

    class Meta:
        model = "accounts.Region"
        django_get_or_create = ("code",)

    code = "440000"
    name = factory.LazyAttribute(lambda r: f"区划{r.code}")
    level = factory.LazyAttribute(
        lambda r: (
            "province" if r.code.endswith("0000") else "city" if r.code.endswith("00") else "county"
        )
    )
    parent = None
