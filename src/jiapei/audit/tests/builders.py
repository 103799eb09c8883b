"""Small builders of audit facts for the pure tests: honest by default, one knob per fraud.

An honest practical minute is a C1 car driving around an oval training ground near Nanjing
at 10–20 km/h with the engine running, inside its fence, filed coach and car. Photos come
every 15 minutes with a good face match and distinct fingerprints.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from jiapei.audit.facts import Interval, MinuteFact, Mode, PhotoFact, SessionFact, StudentFact
from jiapei.audit.syllabus import Syllabus, load
from jiapei.audit.thresholds import Thresholds

# Asia/Shanghai has had no daylight saving since 1991; a fixed offset needs no tz database.
CST = timezone(timedelta(hours=8), "CST")
DAY = date(2024, 5, 6)
STUDENT = "3201000000000001"
COACH = "3201000000000C01"
CAR = "3201000000000V01"
GROUND = (118.7800, 32.0400)  # centre of the training ground (lng, lat)
OVAL = (75.0, 40.0)  # semi-axes of the driven oval, metres
M_PER_DEG_LAT = 111_320.0


def when(hour: int, minute: int = 0, second: int = 0, day: date = DAY) -> datetime:
    """A local (UTC+8) time on ``day``."""
    return datetime.combine(day, time(hour, minute, second), tzinfo=CST)


def student(vehicle_class: str = "C1", enrolled_on: date = date(2024, 3, 1)) -> StudentFact:
    return StudentFact(stunum=STUDENT, vehicle_class=vehicle_class, enrolled_on=enrolled_on)


def thresholds(**changes: Any) -> Thresholds:
    return dataclasses.replace(Thresholds(), **changes)


def syllabus() -> Syllabus:
    return load("2016")


def oval_point(distance_m: float, centre: tuple[float, float] = GROUND) -> tuple[float, float]:
    """The (lng, lat) reached after driving ``distance_m`` around the oval (arc ≈ angle)."""
    a, b = OVAL
    perimeter = 2 * math.pi * math.sqrt((a * a + b * b) / 2)
    angle = 2 * math.pi * (distance_m % perimeter) / perimeter
    east, north = a * math.cos(angle), b * math.sin(angle)
    lat = centre[1] + north / M_PER_DEG_LAT
    lng = centre[0] + east / (M_PER_DEG_LAT * math.cos(math.radians(centre[1])))
    return lng, lat


def minute(minute_id: int, at: datetime, *, session_key: str = "S1", **changes: Any) -> MinuteFact:
    """An honest practical part-2 minute ending at ``at``; ``changes`` override any field."""
    lng, lat = oval_point(minute_id * 197.0)
    fields: dict[str, Any] = {
        "id": minute_id,
        "at": at,
        "session_key": session_key,
        "student": STUDENT,
        "coach": COACH,
        "car": CAR,
        "mode": Mode.PRACTICAL,
        "part": 2,
        "vehicle_class": "C1",
        "max_speed": 18.0,
        "mileage": 0.25,
        "lng": lng,
        "lat": lat,
        "engine_rpm": 1500,
        "coach_classes": ("C1", "C2"),
        "car_class": "C1",
    }
    fields.update(changes)
    return MinuteFact(**fields)


def theory_minute(
    minute_id: int, at: datetime, *, mode: int = Mode.CLASSROOM, **changes: Any
) -> MinuteFact:
    """A classroom (or simulator/remote) minute: no car, no movement, no fix."""
    fields: dict[str, Any] = {
        "car": None,
        "mode": mode,
        "part": 1,
        "vehicle_class": "",
        "max_speed": 0.0,
        "mileage": 0.0,
        "lng": None,
        "lat": None,
        "engine_rpm": None,
        "car_ok": None,
        "car_class": None,
        "in_fence": None,
    }
    fields.update(changes)
    return minute(minute_id, at, **fields)


def driving(
    first_id: int, start: datetime, count: int, *, rng: random.Random | None = None, **changes: Any
) -> tuple[MinuteFact, ...]:
    """``count`` honest practical minutes from ``start`` around the oval at varying speeds."""
    rng = rng or random.Random(first_id)
    travelled = rng.uniform(0, 400)
    minutes = []
    for index in range(count):
        speed = rng.uniform(10, 20)  # average km/h within this minute
        km = speed / 60
        lng, lat = oval_point(travelled + km * 500)  # the fix is taken at second 30
        travelled += km * 1000
        at = start + timedelta(minutes=index, seconds=59)
        fields = {"max_speed": round(speed + rng.uniform(1, 6), 1), "mileage": round(km, 3)}
        fields |= {"lng": lng, "lat": lat}
        minutes.append(minute(first_id + index, at, **(fields | changes)))
    return tuple(minutes)


def fingerprint(rng: random.Random) -> str:
    """A random 64-bit perceptual hash as 16 hex digits."""
    return f"{rng.getrandbits(64):016x}"


def photos(
    start: datetime,
    count: int,
    *,
    interval: int = 15,
    confidence: int | None = 95,
    rng: random.Random | None = None,
    signin: bool = True,
    signout: bool = True,
) -> list[PhotoFact]:
    """Sign-in at ``start``, timed photos every ``interval`` minutes, sign-out at the end."""
    rng = rng or random.Random(int(start.timestamp()))
    end = start + timedelta(minutes=count)
    result = []
    if signin:
        result.append(PhotoFact(start, 17, confidence, fingerprint(rng)))
    moment = start + timedelta(minutes=interval)
    while moment < end:
        result.append(PhotoFact(moment, 5, confidence, fingerprint(rng)))
        moment += timedelta(minutes=interval)
    if signout:
        result.append(PhotoFact(end, 18, confidence, fingerprint(rng)))
    return result


def session(
    session_id: int,
    start: datetime,
    count: int = 60,
    *,
    mode: int = Mode.PRACTICAL,
    part: int = 2,
    minutes: tuple[MinuteFact, ...] | None = None,
    photo_list: list[PhotoFact] | None = None,
    **changes: Any,
) -> SessionFact:
    """An honest session: ``count`` minutes from ``start`` with photos every 15 minutes.

    Minute ids are ``session_id * 1000 + n`` so that sessions never share a minute id.
    """
    key = changes.pop("key", f"S{session_id}")
    if minutes is None:
        if mode == Mode.PRACTICAL:
            minutes = driving(session_id * 1000, start, count, part=part, session_key=key)
        else:
            minutes = tuple(
                theory_minute(
                    session_id * 1000 + i,
                    start + timedelta(minutes=i, seconds=59),
                    mode=mode,
                    part=part,
                    session_key=key,
                )
                for i in range(count)
            )
    fields: dict[str, Any] = {
        "id": session_id,
        "key": key,
        "student": STUDENT,
        "coach": COACH,
        "car": CAR if mode == Mode.PRACTICAL else None,
        "mode": mode,
        "part": part,
        "start": start,
        "end": start + timedelta(minutes=count),
        "minutes": minutes,
        "photos": tuple(photo_list if photo_list is not None else photos(start, count)),
    }
    fields.update(changes)
    return SessionFact(**fields)


def at_positions(positions: Iterable[int], **fields: Any) -> dict[int, dict[str, Any]]:
    """The same field changes for each minute position, for :func:`replace_minutes`."""
    return {index: dict(fields) for index in positions}


def replace_minutes(source: SessionFact, changes: dict[int, dict[str, Any]]) -> SessionFact:
    """The session with the minutes at the given positions changed."""
    minutes = list(source.minutes)
    for index, fields in changes.items():
        minutes[index] = dataclasses.replace(minutes[index], **fields)
    return dataclasses.replace(source, minutes=tuple(minutes))


def interval(start: datetime, end: datetime, **changes: Any) -> Interval:
    """Another student's session on the same coach and car (override what differs)."""
    fields: dict[str, Any] = {
        "key": "OTHER",
        "student": "3201000000000099",
        "coach": COACH,
        "car": CAR,
        "start": start,
        "end": end,
        "mode": Mode.PRACTICAL,
    }
    fields.update(changes)
    return Interval(**fields)
