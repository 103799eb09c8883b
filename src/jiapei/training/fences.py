"""Which minutes lie inside an approved fence (seed 000: hours outside are not accepted).

Part 2 practical minutes must lie in one of the school's approved training grounds; part 3
minutes on one of its approved road areas or on a police-designated route of its city during
that route's time windows. Points are tested in bulk with shapely's vectorised ``contains_xy``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import shapely
from shapely.geometry import Polygon

from jiapei.registry.models import AreaStatus, AreaType, TeachingArea


@dataclass
class Route:
    shape: Polygon
    windows: list[dict]

    def open_at(self, moment: datetime) -> bool:
        hhmm = moment.strftime("%H:%M")
        weekday = moment.isoweekday()
        return any(
            w["start"] <= hhmm < w["end"] and weekday in w.get("weekdays", range(1, 8))
            for w in self.windows
        )


@dataclass
class SchoolFences:
    site: shapely.Geometry | None = None
    road: shapely.Geometry | None = None
    routes: list[Route] = field(default_factory=list)


def _union(rings: list[list[list[float]]]) -> shapely.Geometry | None:
    if not rings:
        return None
    geometry = shapely.union_all([Polygon(r) for r in rings])
    shapely.prepare(geometry)
    return geometry


def load(institutions: Iterable[tuple[int, str]]) -> dict[int, SchoolFences]:
    """Approved fences for each (institution id, city code), with its city's police routes."""
    wanted = dict(institutions)
    if not wanted:
        return {}
    sites: dict[int, list] = defaultdict(list)
    roads: dict[int, list] = defaultdict(list)
    for area in TeachingArea.objects.filter(
        institution_id__in=wanted, status=AreaStatus.APPROVED
    ).only("institution_id", "type", "polygon"):
        school = int(area.institution_id or 0)
        (sites if area.type == AreaType.SITE else roads)[school].append(area.polygon)
    routes_by_city: dict[str, list[Route]] = defaultdict(list)
    for area in TeachingArea.objects.filter(
        institution__isnull=True,
        police_designated=True,
        status=AreaStatus.APPROVED,
        region_id__in=set(wanted.values()),
    ).only("region_id", "polygon", "time_windows"):
        route = Route(Polygon(area.polygon), area.time_windows)
        shapely.prepare(route.shape)
        routes_by_city[area.region_id].append(route)
    return {
        pk: SchoolFences(_union(sites[pk]), _union(roads[pk]), routes_by_city[city])
        for pk, city in wanted.items()
    }


def inside(
    fences: SchoolFences, part: int, points: Sequence[tuple[float | None, float | None, datetime]]
) -> list[bool]:
    """For each (lng, lat, time) of one school's practical minutes in ``part``: inside?"""
    n = len(points)
    xs = np.array([p[0] if p[0] is not None else np.nan for p in points], dtype=float)
    ys = np.array([p[1] if p[1] is not None else np.nan for p in points], dtype=float)
    result = np.zeros(n, dtype=bool)
    if part == 2 and fences.site is not None:
        result |= shapely.contains_xy(fences.site, xs, ys)
    elif part == 3:
        if fences.road is not None:
            result |= shapely.contains_xy(fences.road, xs, ys)
        for route in fences.routes:
            on_route = shapely.contains_xy(route.shape, xs, ys)
            for i in np.flatnonzero(on_route & ~result).tolist():
                result[i] = route.open_at(points[i][2])
    elif part not in (2, 3):
        # Parts 1 and 4 are theory; a practical minute there has no fence to be in.
        result[:] = True
    return [bool(v) for v in result]
