"""GNSS tracks of simulated training cars, one fix per training minute.

A car drives between waypoints inside an area (a part-2 training ground, or a part-3 road
route whose perimeter it follows). Each minute yields what a terminal puts in a 0x0203 record
(standards.md §1.6): the fix at second 30, the highest speed within the minute and the distance
driven in it. Distances are consistent with the positions: the car really covers the reported
distance along its path (except in the behaviours that plant a 跑马机 or a jump on purpose).

Everything is a pure function of its arguments and a seeded ``random.Random``; positions are
computed on a local flat-earth plane (km), which is exact enough within a few kilometres.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

KM_PER_DEG = 111.0

# What a car does during one minute. Only DRIVE is honest; the others plant violations.
DRIVE = "drive"  # normal driving at the part's speeds
OUT = "out"  # driving outside the area (OUT_OF_FENCE, VALID_SHARE)
PARKED = "parked"  # speed 0, mileage 0, fix still, engine idling (STATIONARY)
CREEP = "creep"  # 2-4 km/h, 20-40 m moved, mileage reported 0 (NO_MILEAGE)
CRAWL = "crawl"  # 1 km/h, 2-4 m moved, mileage 0 (SHORT_DISTANCE)
FAST = "fast"  # max speed 45 km/h (SPEED on part 2)
ENGINE_OFF = "engine_off"  # normal driving reported with rpm 0 (ENGINE_OFF)
FROZEN = "frozen"  # speed and mileage reported, fix does not move (ODOMETER_GNSS_MISMATCH)


@dataclass(frozen=True)
class Area:
    """An axis-aligned rectangle in WGS-84 degrees (our fences and routes are squares)."""

    west: float
    south: float
    east: float
    north: float

    @classmethod
    def from_points(cls, points: Sequence[Sequence[float | str]]) -> Area:
        """The bounding box of a polygon given as [(lng, lat), ...]."""
        lngs = [float(p[0]) for p in points]
        lats = [float(p[1]) for p in points]
        return cls(min(lngs), min(lats), max(lngs), max(lats))

    @classmethod
    def from_wire(cls, polygon: str) -> Area:
        """The bounding box of a terminal-style polygon "lng,lat;lng,lat;..."."""
        return cls.from_points([p.split(",") for p in polygon.split(";") if p])

    @property
    def centre(self) -> tuple[float, float]:
        return (self.west + self.east) / 2, (self.south + self.north) / 2

    @property
    def half_km(self) -> tuple[float, float]:
        """Half the width and half the height in km."""
        lng0, lat0 = self.centre
        return (
            (self.east - lng0) * KM_PER_DEG * math.cos(math.radians(lat0)),
            (self.north - lat0) * KM_PER_DEG,
        )

    def to_lnglat(self, x: float, y: float) -> tuple[float, float]:
        """Local km offsets from the centre to (lng, lat), rounded like a terminal (1e-6)."""
        lng0, lat0 = self.centre
        lng = lng0 + x / (KM_PER_DEG * math.cos(math.radians(lat0)))
        return round(lng, 6), round(lat0 + y / KM_PER_DEG, 6)

    def contains(self, lng: float, lat: float) -> bool:
        return self.west < lng < self.east and self.south < lat < self.north


@dataclass(frozen=True)
class MinuteFix:
    """One minute of a track: the fix at second 30, max speed (km/h), reported mileage (km,
    a multiple of 0.1 as on the wire) and engine rpm."""

    lng: float
    lat: float
    max_speed: float
    mileage: float
    rpm: int


def speed_range(part: int) -> tuple[float, float]:
    """Average speeds (km/h) of honest driving in a minute: part 2 manoeuvres on the ground
    stay slow; part 3 road traffic is 20-60 km/h. Part 2's floor of 6.5 km/h keeps every honest
    minute above 100 m, the wire's 0.1 km resolution, so no honest minute reports 0 mileage."""
    return (6.5, 15.0) if part == 2 else (22.0, 50.0)


class _Car:
    """Waypoint follower on the local plane. Waypoints are chosen inside ``inner`` (km half
    sizes); part 3 follows the inner rectangle's corners, i.e. drives the route's perimeter."""

    def __init__(self, rng: random.Random, area: Area, part: int) -> None:
        self.rng = rng
        self.part = part
        hx, hy = area.half_km
        self.inner = (hx * (0.8 if part == 2 else 0.85), hy * (0.8 if part == 2 else 0.85))
        self.hx, self.hy = hx, hy
        self.x = rng.uniform(-self.inner[0], self.inner[0])
        self.y = rng.uniform(-self.inner[1], self.inner[1])
        self.corner = rng.randrange(4)
        self.mode = "inside"  # "inside", "edge" (about to leave) or "out"
        self.target = self._next()

    def _next(self) -> tuple[float, float]:
        if self.mode == "out":
            return self.outside_target()
        if self.mode == "edge":
            return self.edge_target()
        return self._next_inside()

    def steer(self, mode: str) -> None:
        if mode != self.mode:
            self.mode = mode
            self.target = self._next()

    def _next_inside(self) -> tuple[float, float]:
        ix, iy = self.inner
        if self.part != 2 and self.rng.random() < 0.8:
            # Road training: go round the route, corner after corner.
            self.corner = (self.corner + 1) % 4
            sx, sy = [(-1, -1), (1, -1), (1, 1), (-1, 1)][self.corner]
            return sx * ix, sy * iy
        for _ in range(20):
            point = self.rng.uniform(-ix, ix), self.rng.uniform(-iy, iy)
            # Legs of at least 150 m: a car turning back every few metres would look parked.
            if math.dist(point, (self.x, self.y)) >= 0.15:
                return point
        return -self.x, -self.y

    def outside_target(self) -> tuple[float, float]:
        """A point 150-350 m beyond the nearest edge, on that side."""
        gaps = {"e": self.hx - self.x, "w": self.hx + self.x, "n": self.hy - self.y}
        gaps["s"] = self.hy + self.y
        side = min(gaps, key=lambda k: gaps[k])
        beyond = self.rng.uniform(0.15, 0.35)
        along_x = max(-self.hx, min(self.hx, self.x + self.rng.uniform(-0.2, 0.2)))
        along_y = max(-self.hy, min(self.hy, self.y + self.rng.uniform(-0.2, 0.2)))
        return {
            "e": (self.hx + beyond, along_y),
            "w": (-self.hx - beyond, along_y),
            "n": (along_x, self.hy + beyond),
            "s": (along_x, -self.hy - beyond),
        }[side]

    def edge_target(self) -> tuple[float, float]:
        """The point 20 m inside the nearest edge (to leave the area quickly afterwards)."""
        ox, oy = self.outside_target()
        return (
            max(-self.hx + 0.02, min(self.hx - 0.02, ox)),
            max(-self.hy + 0.02, min(self.hy - 0.02, oy)),
        )

    def inside(self) -> bool:
        return abs(self.x) < self.hx and abs(self.y) < self.hy

    def advance(self, km: float) -> None:
        """Drive ``km`` along the path, picking the next waypoint whenever one is reached."""
        for _ in range(1000):  # bounded: a degenerate waypoint must not hang the simulator
            if km <= 1e-9:
                return
            tx, ty = self.target
            leg = math.dist((self.x, self.y), (tx, ty))
            if leg <= km:
                self.x, self.y = tx, ty
                km -= leg
                self.target = self._next()
            else:
                self.x += (tx - self.x) * km / leg
                self.y += (ty - self.y) * km / leg
                return


def _jitter(rng: random.Random, metres: float) -> tuple[float, float]:
    return rng.uniform(-metres, metres) / 1000, rng.uniform(-metres, metres) / 1000


def drive(
    rng: random.Random,
    area: Area,
    part: int,
    behaviours: Sequence[str],
    profile: Sequence[tuple[float, float]] | None = None,
) -> list[MinuteFix]:
    """One fix per minute for a session of ``len(behaviours)`` minutes inside ``area``.

    ``behaviours[i]`` says what the car does in minute i (``DRIVE`` for honest minutes; see the
    module constants for the planted ones). Reported mileage comes from an odometer rounded to
    0.1 km, so the per-minute values add up to the distance really driven. ``profile`` imposes
    (average speed, max speed) in km/h per minute on DRIVE minutes instead of drawing them, as
    an emulator's scripted speed curve would (``sim.fraud``); the positions still follow it.
    """
    car = _Car(rng, area, part)
    low, high = speed_range(part)
    fixes: list[MinuteFix] = []
    odometer = 0.0  # km really driven (what the reported mileage accumulates)
    reported = 0  # tenths of km reported so far
    for index, behaviour in enumerate(behaviours):
        upcoming = behaviours[index + 1 : index + 4]
        # Leaving the area: head for the nearest edge during the three minutes before, so
        # that the first OUT minute's fix already lies outside.
        car.steer("out" if behaviour == OUT else "edge" if OUT in upcoming else "inside")
        average = rng.uniform(low, high)
        if car.mode != "inside" and part == 2:
            average = max(average, 12.0)
        elif behaviour == FAST:
            average = rng.uniform(18.0, 25.0)
        elif behaviour == FROZEN:
            # A 跑马机 claims brisk driving, so every 3-minute window claims well over 0.5 km.
            average = rng.uniform(15.0, 20.0)
        scripted = profile is not None and behaviour == DRIVE
        if scripted:
            assert profile is not None
            average = profile[index][0]
        km = average / 60
        x0, y0 = car.x, car.y
        if behaviour in (PARKED, FROZEN):
            jx, jy = _jitter(rng, 3)
            lng, lat = area.to_lnglat(x0 + jx, y0 + jy)
            if behaviour == PARKED:
                fixes.append(MinuteFix(lng, lat, 0.0, 0.0, rng.randrange(750, 851)))
                continue
            odometer += km  # the 跑马机 spins the odometer, not the car
        elif behaviour in (CREEP, CRAWL):
            metres = rng.uniform(20, 40) if behaviour == CREEP else rng.uniform(2, 4)
            car.advance(metres / 2000)
            lng, lat = area.to_lnglat(car.x, car.y)
            car.advance(metres / 2000)
            speed = rng.uniform(2.0, 4.0) if behaviour == CREEP else 1.0
            fixes.append(MinuteFix(lng, lat, round(speed, 1), 0.0, rng.randrange(800, 1000)))
            continue
        else:
            car.advance(km / 2)
            lng, lat = area.to_lnglat(car.x, car.y)
            car.advance(km / 2)
            odometer += km
        top = 45.0 if behaviour == FAST else min(average * rng.uniform(1.15, 1.45), high + 5)
        if scripted:
            assert profile is not None
            top = profile[index][1]
        tenths = max(round(odometer * 10) - reported, 0)
        reported += tenths
        rpm = 0 if behaviour == ENGINE_OFF else int(900 + top * 45 + rng.randrange(-80, 80))
        fixes.append(MinuteFix(lng, lat, round(top, 1), tenths / 10, rpm))
    return fixes


def teleport(fixes: list[MinuteFix], index: int, km: float = 20.0) -> list[MinuteFix]:
    """The track with minute ``index``'s fix moved ``km`` to the north-east (a GNSS jump)."""
    fix = fixes[index]
    step = km / math.sqrt(2)
    lng = fix.lng + step / (KM_PER_DEG * math.cos(math.radians(fix.lat)))
    moved = MinuteFix(
        round(lng, 6), round(fix.lat + step / KM_PER_DEG, 6), fix.max_speed, fix.mileage, fix.rpm
    )
    return [*fixes[:index], moved, *fixes[index + 1 :]]


def path_km(fixes: Sequence[MinuteFix]) -> float:
    """Straight-line distance between consecutive fixes (a lower bound of the driven path)."""
    total = 0.0
    for a, b in itertools.pairwise(fixes):
        dx = (b.lng - a.lng) * KM_PER_DEG * math.cos(math.radians(a.lat))
        total += math.hypot(dx, (b.lat - a.lat) * KM_PER_DEG)
    return total


# --- forged tracks (sim.fraud) ---------------------------------------------------------------


def still_mileage(
    rng: random.Random, area: Area, part: int, minutes: int
) -> tuple[list[MinuteFix], slice, float]:
    """跑马机: a session whose minutes, over a stretch of it, report brisk speed and mileage
    while the fix stays within ``jitter`` metres (1–6 m) of one point. The stretch is the whole
    session or a contiguous part of at least half of it (the car drove honestly before or
    after). Returns (fixes, the stretch, jitter in metres)."""
    fixes = drive(rng, area, part, [DRIVE] * minutes)
    length = minutes if rng.random() < 0.5 else rng.randint((minutes + 1) // 2, minutes)
    first = rng.randint(0, minutes - length)
    stretch = slice(first, first + length)
    jitter = rng.uniform(1.0, 6.0)
    anchor = fixes[first]
    low, high = speed_range(part)
    odometer, reported = 0.0, 0
    still = []
    for _ in range(length):
        average = rng.uniform(low, high)
        odometer += average / 60
        tenths = round(odometer * 10) - reported
        reported += tenths
        top = min(average * rng.uniform(1.15, 1.45), high + 5)
        lng, lat = _moved(
            anchor.lng, anchor.lat, rng.uniform(-jitter, jitter), rng.uniform(-jitter, jitter)
        )
        rpm = int(900 + top * 45 + rng.randrange(-80, 80))
        still.append(MinuteFix(lng, lat, round(top, 1), tenths / 10, rpm))
    fixes[stretch] = still
    return fixes, stretch, jitter


def regular_profile(rng: random.Random, part: int, minutes: int) -> list[tuple[float, float]]:
    """An emulator's scripted speed curve: constant, a short cycle of 2–4 speeds, or a
    sawtooth, with at most ±0.2 km/h of noise; max speed a fixed multiple of the average."""
    low, high = speed_range(part)
    ratio = rng.uniform(1.05, 1.2)
    noise = rng.uniform(0.0, 0.2)
    form = rng.choice(("constant", "cycle", "sawtooth"))
    if form == "constant":
        cycle = [round(rng.uniform(low + 1, high - 1), 1)]
    elif form == "cycle":
        cycle = [round(rng.uniform(low + 1, high - 1), 1) for _ in range(rng.randint(2, 4))]
    else:
        steps = rng.randint(3, 6)
        begin = rng.uniform(low + 0.5, (low + high) / 2)
        step = (high - 0.5 - begin) / steps
        cycle = [round(begin + k * step, 1) for k in range(steps)]
    profile = []
    for i in range(minutes):
        average = cycle[i % len(cycle)] + rng.uniform(-noise, noise)
        profile.append((average, round(cycle[i % len(cycle)] * ratio, 1)))
    return profile


REPLAY_FORMS = ("noisy", "shifted", "resampled", "dropped", "partial")
"""How an emulator replays an earlier track (issue 19): with noise only; moved as a whole by
8–40 m; resampled at another second of each minute (between the source's fixes); with some of
the source's minutes dropped and the rest sent earlier; or only for a part of the session."""


def replayed_track(
    rng: random.Random,
    source: Sequence[MinuteFix],
    minutes: int,
    form: str = "noisy",
    own: Sequence[MinuteFix] = (),
) -> tuple[list[MinuteFix], int, float]:
    """A track replayed from ``source`` (an earlier session, at least ``minutes`` long) from a
    random minute on in one of :data:`REPLAY_FORMS`, each fix moved by up to ``noise`` metres
    (1–5 m), speeds and mileage as recorded, rpm ± 30. A ``partial`` replay keeps the session's
    ``own`` fixes before or after the replayed 12 minutes or more. Returns (fixes, the source
    minute it starts at, noise in metres)."""
    length = minutes
    if form == "partial" and len(own) >= minutes:
        length = max(12, round(minutes * rng.uniform(0.3, 0.6)))
    # The older world's replays ("noisy") draw offset and noise first, as they always did.
    offset = rng.randint(0, len(source) - length)
    noise = rng.uniform(1.0, 5.0)
    if form == "dropped":
        spare = len(source) - offset - length
        drops = min(spare, max(2, round(length * rng.uniform(0.1, 0.2))))
        window = list(range(offset, offset + length + drops))
        dropped = set(rng.sample(window[1:-1], drops)) if drops else set()
        picked = [i for i in window if i not in dropped]
    else:
        picked = list(range(offset, offset + length))
    phase = rng.uniform(0.25, 0.75) if form == "resampled" else 0.0
    east = north = 0.0
    if form == "shifted":
        angle, distance = rng.uniform(0, 2 * math.pi), rng.uniform(8, 40)
        east, north = math.cos(angle) * distance, math.sin(angle) * distance
    fixes = []
    for i in picked[:length]:
        fix = source[i]
        lng, lat = fix.lng, fix.lat
        if phase and i + 1 < len(source):
            lng += (source[i + 1].lng - lng) * phase
            lat += (source[i + 1].lat - lat) * phase
        lng, lat = _moved(
            lng, lat, east + rng.uniform(-noise, noise), north + rng.uniform(-noise, noise)
        )
        rpm = max(0, fix.rpm + rng.randrange(-30, 31)) if fix.rpm else fix.rpm
        fixes.append(MinuteFix(lng, lat, fix.max_speed, fix.mileage, rpm))
    if length < minutes:
        # The replay takes the session's first or last minutes; it drives its own otherwise.
        if rng.random() < 0.5:
            fixes = fixes + list(own[length:minutes])
        else:
            fixes = list(own[: minutes - length]) + fixes
    return fixes, offset, noise


def _moved(lng: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """A point moved by metres east and north, rounded like a terminal (1e-6 degree)."""
    dlng = east_m / 1000 / (KM_PER_DEG * math.cos(math.radians(lat)))
    return round(lng + dlng, 6), round(lat + north_m / 1000 / KM_PER_DEG, 6)


def metres(a: MinuteFix, b: MinuteFix) -> float:
    """Distance in metres between two fixes (flat earth, fine over a few km)."""
    dx = (b.lng - a.lng) * KM_PER_DEG * math.cos(math.radians(a.lat))
    return math.hypot(dx, (b.lat - a.lat) * KM_PER_DEG) * 1000
