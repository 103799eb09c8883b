"""The traffic plan of the ingest benchmark: which sessions run on which day and their minute
records and teaching logs. Pure data and functions (no Django until the test factories build a
minute), shared by the parent and the client processes."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

MINUTES_PER_SLOT = 240  # one student's training minutes on one day (the brief's ceiling)
SLOT_STARTS = ((8, 0), (13, 30))  # a terminal's morning and afternoon sessions


def sessions(plan: dict[str, Any], index: int) -> list[dict[str, Any]]:
    """The training sessions of day ``index`` (0 = yesterday, 1 = the day before, -1 = today,
    …): every terminal runs a morning and an afternoon session of MINUTES_PER_SLOT minutes,
    each with a different student; a student trains at most one session a day (students rotate
    through the days), so nobody gets more than MINUTES_PER_SLOT minutes on one day."""
    day = date.fromisoformat(plan["first_day"]) - timedelta(days=index)
    recnum = f"{index % 99999 + 1:05d}"  # one session per student and day: unique per student
    found = []
    for school in plan["schools"]:
        devices, coaches, students = school["devices"], school["coaches"], school["students"]
        slots = min(len(devices) * len(SLOT_STARTS), len(students))
        for slot in range(slots):
            device = slot // len(SLOT_STARTS)
            hour, minute_of_hour = SLOT_STARTS[slot % len(SLOT_STARTS)]
            student = students[(index * slots + slot) % len(students)]
            klass = "22" if student["traintype"] == "C2" else "21"
            found.append(
                {
                    "inscode": school["inscode"],
                    "devnum": devices[device],
                    "carnum": school["cars"][device],
                    "coachnum": coaches[device % len(coaches)],
                    "stunum": student["stunum"],
                    "recnum": recnum,
                    "subjcode": f"1{klass}2110000",  # practical, part 2, item 11
                    # A wall-clock time in Shanghai, sent as yyyyMMddHHmmss (no offset on the wire).
                    "start": datetime(day.year, day.month, day.day, hour, minute_of_hour),  # noqa: DTZ001
                    "seq0": (slot % len(SLOT_STARTS)) * MINUTES_PER_SLOT,
                    "centre": school["centre"],
                    "phase": device + 0.37 * index,
                }
            )
    return found


def day_minutes(plan: dict[str, Any], index: int) -> list[dict[str, Any]]:
    """All minute records of day ``index``, ordered by time and interleaved across terminals,
    as a timing platform relays them. Points move inside the school's approved 0.8 km square
    training ground (±0.24 km around its centre)."""
    from jiapei.testing.factories import minute

    items = []
    found = sessions(plan, index)
    for m in range(MINUTES_PER_SLOT):
        for s in found:
            lng0, lat0 = s["centre"]
            items.append(
                minute(
                    s["devnum"],
                    s["stunum"],
                    s["coachnum"],
                    s["start"] + timedelta(minutes=m, seconds=59),
                    s["seq0"] + m + 1,
                    subjcode=s["subjcode"],
                    lng=round(lng0 + 0.0025 * math.sin(m / 7 + s["phase"]), 6),
                    lat=round(lat0 + 0.0020 * math.cos(m / 5 + s["phase"]), 6),
                    speed=100 + (m * 37) % 200,
                    mileage=2 + m % 4,
                    classid=s["recnum"],
                    rpm=1500 + (m * 53) % 900,
                )
            )
    return items


def day_logs(plan: dict[str, Any], index: int, minutes: int = MINUTES_PER_SLOT) -> list[dict]:
    """The teaching logs (``classrecord``) closing day ``index``'s sessions after ``minutes``."""
    logs = []
    for s in sessions(plan, index):
        mileage = sum(2 + m % 4 for m in range(minutes)) / 10
        logs.append(
            {
                "inscode": s["inscode"],
                "stunum": s["stunum"],
                "coachnum": s["coachnum"],
                "carnum": s["carnum"],
                "simunum": s["devnum"],
                "platnum": plan["platnum"],
                "recnum": s["recnum"],
                "classid": s["recnum"],
                "subjcode": s["subjcode"],
                "photo1": plan["photos"][0],
                "photo3": plan["photos"][1],
                "starttime": f"{s['start']:%Y%m%d%H%M%S}",
                "endtime": f"{s['start'] + timedelta(minutes=minutes):%Y%m%d%H%M%S}",
                "duration": minutes,
                "mileage": f"{mileage:.1f}",
            }
        )
    return logs


def first_minutes(plan: dict[str, Any], count: int) -> tuple[list[dict[str, Any]], int]:
    """The first ``count`` minutes of the plan, over as many days as needed."""
    items: list[dict[str, Any]] = []
    index = 0
    while len(items) < count:
        items.extend(day_minutes(plan, index))
        index += 1
    return items[:count], index


def chunk(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
