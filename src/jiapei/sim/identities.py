"""Plausible identities for the simulator and tests: ID numbers, names, phones, plates.

Everything is drawn from a seeded ``random.Random`` so a world can be rebuilt identically.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from jiapei.core.wire import id_check_digit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红玉兰志鹏湘宇浩然思雨欣怡子轩梓涵"
PLATE_LETTERS = "ABCDEFGHJKLMN"
CITY_PLATE = {  # Hunan's plate letters by city code (湘A 长沙 … 湘U 湘西).
    "4301": "A",
    "4302": "B",
    "4303": "C",
    "4304": "D",
    "4305": "E",
    "4306": "F",
    "4307": "J",
    "4308": "G",
    "4309": "H",
    "4310": "L",
    "4311": "M",
    "4312": "N",
    "4313": "K",
    "4331": "U",
}


def idcard(rng: random.Random, county: str, *, born_between: tuple[int, int] = (1965, 2006)) -> str:
    """A syntactically valid 18-digit ID number (GB 11643) registered in ``county``."""
    start = date(born_between[0], 1, 1)
    span = (date(born_between[1], 12, 31) - start).days
    birth = start + timedelta(days=rng.randrange(span))
    first17 = f"{county}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + id_check_digit(first17)


def name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def plate(rng: random.Random, city: str) -> str:
    letter = CITY_PLATE.get(city[:4], "A")
    return f"湘{letter}{rng.randrange(10000):04d}学"
