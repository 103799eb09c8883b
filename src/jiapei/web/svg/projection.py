"""A local equirectangular projection from WGS-84 to metres, for city-scale drawings.

``x = R·cos φ₀·(λ − λ₀)``, ``y = −R·(φ − φ₀)`` in radians, with the origin at the centre of the
bounding box. The east–west error is cos φ / cos φ₀ − 1: about ±0.5 % at 28° N and ±0.5° from
the origin, which is fine for display. (Projecting longitude and latitude to a box independently,
or one scale per degree without cos φ, stretches maps east–west by 1/cos φ: 13 % at 28° N.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8

LngLat = tuple[float, float]


@dataclass(frozen=True)
class Projection:
    """Metres east (x) and south (y, SVG's direction) of the origin ``(lng0, lat0)``."""

    lng0: float
    lat0: float

    @classmethod
    def around(cls, points: Iterable[LngLat]) -> Projection:
        """The projection centred on the bounding box of ``points`` (at least one point)."""
        pts = list(points)
        if not pts:
            raise ValueError("a projection needs at least one point")
        lngs = [p[0] for p in pts]
        lats = [p[1] for p in pts]
        return cls((min(lngs) + max(lngs)) / 2, (min(lats) + max(lats)) / 2)

    def __call__(self, lng: float, lat: float) -> tuple[float, float]:
        k = EARTH_RADIUS_M * math.pi / 180
        return (
            k * math.cos(math.radians(self.lat0)) * (lng - self.lng0),
            -k * (lat - self.lat0),
        )


def nice_length(target_m: float) -> float:
    """The largest 1-2-5×10ⁿ length not above ``target_m`` (a scale bar's length)."""
    if target_m <= 0:
        return 1.0
    exponent = math.floor(math.log10(target_m))
    for step in (5, 2, 1):
        value = step * 10.0**exponent
        if value <= target_m:
            return value
    return 10.0**exponent


def format_length(metres: float) -> str:
    """``500 m`` or ``2 km``, as the scale bar labels it."""
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
