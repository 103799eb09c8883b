"""Maps as SVG from WGS-84 coordinates: fences, routes, tracks, with a scale bar and north arrow.

Input is WGS-84 (GCJ-02 is converted once at ingest, never here). Coordinates are projected to
local metres (:mod:`.projection`), tracks are simplified in metres (shapely, 2 m) and rounded
to 1 m, and the ``viewBox`` is in metres, so the scale bar is exact. Strokes do not scale with
the drawing. A track is given as segments: the caller splits it at time gaps and invalid
fixes, so no false straight line joins two pieces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from shapely.geometry import LineString

from jiapei.web.svg.projection import LngLat, Projection, format_length, nice_length


@dataclass(frozen=True)
class Style:
    """How a kind of feature is drawn; ``dash`` makes it tell apart without colour."""

    stroke: str
    fill: str = "none"
    width: float = 2.0
    dash: str = ""
    fill_opacity: float = 0.18


STYLES: dict[str, Style] = {
    # Fences: the one under review stands out; the school's others and police routes recede.
    "area": Style("#1d4ed8", "#3b82f6", 2.5),
    "area-other": Style("#64748b", "#94a3b8", 1.5, "6 3"),
    "area-rejected": Style("#b91c1c", "#f87171", 1.5, "2 3"),
    "route": Style("#7c3aed", "none", 3.0, "10 4"),
    # Tracks, by the minute's verdict.
    "valid": Style("#15803d", width=2.5),
    "void": Style("#b91c1c", width=2.5, dash="5 3"),
    "pending": Style("#a16207", width=2.0, dash="1 3"),
    "original": Style("#64748b", width=2.0, dash="8 4"),
    # Evidence of a replayed track: the earlier track as a broad pale band, the suspect session
    # drawn over it as a thin solid red line, so two tracks that coincide stay both visible.
    "source": Style("#94a3b8", width=9.0),
    "suspect": Style("#b91c1c", width=2.0),
}


@dataclass
class _Feature:
    kind: str
    rings: list[list[LngLat]]
    closed: bool
    title: str
    href: str = ""


@dataclass
class SvgMap:
    """A map drawing; add features, then :meth:`render`. ``label`` names the map for screen
    readers (the caption beside it gives the counts in words)."""

    label: str
    width: int = 720
    height: int = 480
    features: list[_Feature] = field(default_factory=list)
    markers: list[tuple[str, LngLat, str]] = field(default_factory=list)

    def polygon(
        self,
        ring: Sequence[Sequence[float]],
        *,
        kind: str = "area",
        title: str = "",
        href: str = "",
    ) -> None:
        """A fence (one outer ring of ``[lng, lat]``)."""
        pts = [(float(p[0]), float(p[1])) for p in ring]
        if len(pts) >= 3:
            self.features.append(_Feature(kind, [pts], True, title, href))

    def line(
        self, points: Sequence[Sequence[float]], *, kind: str = "route", title: str = ""
    ) -> None:
        """A route or one segment of a track."""
        pts = [(float(p[0]), float(p[1])) for p in points]
        if pts:
            self.features.append(_Feature(kind, [pts], False, title))

    def marker(self, point: Sequence[float], *, kind: str = "start", title: str = "") -> None:
        """A start (``start``), end (``end``) or other point of note (``point``)."""
        self.markers.append((kind, (float(point[0]), float(point[1])), title))

    @property
    def empty(self) -> bool:
        return not self.features and not self.markers

    def render(self) -> SafeString:
        """The ``<svg>`` element, or an empty string when nothing was added."""
        points = [p for f in self.features for r in f.rings for p in r]
        points += [m[1] for m in self.markers]
        if not points:
            return mark_safe("")
        project = Projection.around(points)
        projected = [project(*p) for p in points]
        xs = [p[0] for p in projected]
        ys = [p[1] for p in projected]
        # At least 200 m across, so a single point or a short track is not drawn at atom scale;
        # then stretch the shorter side to the drawing's aspect ratio.
        w = max(max(xs) - min(xs), 200.0)
        h = max(max(ys) - min(ys), 200.0)
        aspect = self.width / self.height
        if w / h < aspect:
            w = h * aspect
        else:
            h = w / aspect
        cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
        margin = 0.08 * w
        x0, y0 = cx - w / 2 - margin, cy - h / 2 - margin
        vw, vh = w + 2 * margin, h + 2 * margin
        unit = vw / self.width  # metres per screen pixel at the drawn size
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="map" role="img" '
            f'aria-label="{escape(self.label)}" viewBox="{x0:.0f} {y0:.0f} {vw:.0f} {vh:.0f}" '
            f'width="{self.width}" height="{self.height}" preserveAspectRatio="xMidYMid meet">',
            f'<rect x="{x0:.0f}" y="{y0:.0f}" width="{vw:.0f}" height="{vh:.0f}" fill="#f8fafc"/>',
        ]
        for feature in self.features:
            parts.append(self._feature(feature, project))
        for kind, point, title in self.markers:
            x, y = project(*point)
            fill = {"start": "#15803d", "end": "#b91c1c"}.get(kind, "#1d4ed8")
            shape = (
                f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{6 * unit:.1f}" fill="{fill}" '
                f'stroke="#fff" stroke-width="2" vector-effect="non-scaling-stroke">'
                if kind != "end"
                else f'<rect x="{x - 5 * unit:.1f}" y="{y - 5 * unit:.1f}" width="{10 * unit:.1f}" '
                f'height="{10 * unit:.1f}" fill="{fill}" stroke="#fff" stroke-width="2" '
                f'vector-effect="non-scaling-stroke">'
            )
            closing = "</circle>" if kind != "end" else "</rect>"
            parts.append(f"{shape}<title>{escape(title)}</title>{closing}")
        parts.append(self._scale_bar(x0, y0, vw, vh, unit))
        parts.append(self._north_arrow(x0, y0, vw, unit))
        parts.append("</svg>")
        return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above

    def _feature(self, feature: _Feature, project: Projection) -> str:
        style = STYLES.get(feature.kind, STYLES["area"])
        paths = []
        for ring in feature.rings:
            xy = [project(*p) for p in ring]
            if not feature.closed and len(xy) > 2:
                # Simplify tracks in metres: 2 m keeps every turn a regulator can see.
                xy = list(LineString(xy).simplify(2.0).coords)
            d = "M" + " L".join(f"{x:.0f} {y:.0f}" for x, y in xy)
            paths.append(d + (" Z" if feature.closed else ""))
        fill = style.fill if feature.closed else "none"
        attrs = (
            f'd="{" ".join(paths)}" fill="{fill}" fill-opacity="{style.fill_opacity}" '
            f'fill-rule="evenodd" stroke="{style.stroke}" stroke-width="{style.width}" '
            'stroke-linejoin="round" stroke-linecap="round" vector-effect="non-scaling-stroke"'
        )
        if style.dash:
            attrs += f' stroke-dasharray="{style.dash}"'
        title = escape(feature.title)
        element = f'<path class="map-{feature.kind}" {attrs}><title>{title}</title></path>'
        if feature.href:
            return f'<a href="{escape(feature.href)}">{element}</a>'
        return element

    def _scale_bar(self, x0: float, y0: float, vw: float, vh: float, unit: float) -> str:
        length = nice_length(vw / 4)
        x = x0 + 16 * unit
        y = y0 + vh - 16 * unit
        tick = 6 * unit
        return (
            f'<g class="map-scale" stroke="#0f172a" stroke-width="2" fill="none" '
            f'vector-effect="non-scaling-stroke"><path d="M{x:.0f} {y - tick:.0f} V{y:.0f} '
            f'H{x + length:.0f} V{y - tick:.0f}" vector-effect="non-scaling-stroke"/></g>'
            f'<text x="{x:.0f}" y="{y - 9 * unit:.0f}" font-size="{13 * unit:.1f}" '
            f'fill="#0f172a">{escape(format_length(length))}</text>'
        )

    def _north_arrow(self, x0: float, y0: float, vw: float, unit: float) -> str:
        x = x0 + vw - 24 * unit
        y = y0 + 14 * unit
        s = unit
        return (
            f'<g class="map-north"><path d="M{x:.1f} {y:.1f} L{x + 8 * s:.1f} {y + 24 * s:.1f} '
            f'L{x:.1f} {y + 18 * s:.1f} L{x - 8 * s:.1f} {y + 24 * s:.1f} Z" fill="#0f172a"/>'
            f'<text x="{x:.1f}" y="{y + 40 * s:.1f}" font-size="{13 * s:.1f}" '
            f'text-anchor="middle" fill="#0f172a">{escape(_("N"))}</text>'
            f"<title>{escape(_('north'))}</title></g>"
        )
