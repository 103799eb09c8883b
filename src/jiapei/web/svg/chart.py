"""Charts as SVG drawn on the server: lines over time, horizontal bars, and time strips.

The product's one chart library (DESIGN §9). Each chart is plain markup with ``role="img"``
and a label; the page shows the same numbers in a table beside it (``web/_chart.html``), so
nothing depends on colour, JavaScript or the network. Each series has its own dash pattern and
marker shape as well as its colour.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#1d4ed8", "#b91c1c", "#15803d", "#a16207", "#7c3aed", "#0e7490"]
DASHES = ["", "6 3", "2 3", "10 3 2 3", "4 4", "1 2"]
FONT = 12


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5 or 5 × 10ⁿ)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        top = step * 10.0**exponent
        if top >= value:
            return top
    return 10.0 ** (exponent + 1)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"


# Each chart's fill patterns get their own ids: a page often shows several charts (a finding's
# evidence panels), and an id used twice in one HTML document is invalid and lets one chart's
# ``url(#id)`` resolve to another's pattern.
_PATTERNS = itertools.count(1)


def pattern_id(base: str) -> str:
    """An id for an SVG pattern, unique in the process (and so on any page it renders)."""
    return f"{base}-{next(_PATTERNS)}"


def _open(label: str, width: int, height: int, css: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" role="img" '
        f'aria-label="{escape(label)}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" font-size="{FONT}">'
    )


def line_chart(
    label: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str = "",
    width: int = 720,
    height: int = 260,
    bands: Sequence[tuple[int, int, str]] = (),
) -> SafeString:
    """Lines over ``x_labels`` (e.g. the last 30 days); ``None`` values leave a gap.

    ``bands`` are stretches to point out, ``(first index, last index, title)``: each is shaded
    behind the lines from half a step before its first point to half a step after its last,
    hatched as well as tinted so that it reads in grey print."""
    left, right, top, bottom = 56, 16, 16, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    y_max = _nice_max(max(values, default=0.0))
    n = max(len(x_labels), 1)

    def px(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def py(v: float) -> float:
        return top + plot_h * (1 - v / y_max)

    out = [_open(label, width, height, "chart-line")]
    if bands:
        half = plot_w / (2 * (n - 1)) if n > 1 else plot_w / 2
        hatch = pattern_id("band-hatch")
        out.append(
            f'<defs><pattern id="{hatch}" width="8" height="8" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="8" height="8" fill="#fee2e2"/>'
            '<line x1="0" y1="0" x2="0" y2="8" stroke="#fca5a5" stroke-width="2"/></pattern></defs>'
        )
        for first, last, title in bands:
            x0 = max(px(first) - half, left)
            x1 = min(px(last) + half, width - right)
            out.append(
                f'<rect class="chart-band" x="{x0:.1f}" y="{top}" width="{x1 - x0:.1f}" '
                f'height="{plot_h}" fill="url(#{hatch})"><title>{escape(title)}</title></rect>'
            )
    for k in range(5):
        tick = y_max * k / 4
        y = py(tick)
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#334155">'
            f"{escape(_fmt(tick))}{escape(unit)}</text>"
        )
    step = max(1, math.ceil(n / 8))
    for i, x_label in enumerate(x_labels):
        # Every ``step``-th label and the last, but not a label crowding the last one.
        if (i % step == 0 and n - 1 - i >= step / 2) or i == n - 1:
            out.append(
                f'<text x="{px(i):.1f}" y="{height - bottom + 18}" text-anchor="middle" '
                f'fill="#334155">{escape(x_label)}</text>'
            )
    for k, s in enumerate(series):
        colour, dash = PALETTE[k % len(PALETTE)], DASHES[k % len(DASHES)]
        runs: list[list[str]] = [[]]
        for i, value in enumerate(s.values):
            if value is None:
                runs.append([])
            else:
                runs[-1].append(f"{px(i):.1f} {py(value):.1f}")
        d = " ".join("M" + " L".join(r) for r in runs if r)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}>'
            f"<title>{escape(s.name)}</title></path>"
        )
        for i, value in enumerate(s.values):
            if value is not None:
                out.append(
                    f'<circle cx="{px(i):.1f}" cy="{py(value):.1f}" r="2.5" fill="{colour}">'
                    f"<title>{escape(s.name)} {escape(x_labels[i])}: {escape(_fmt(value))}"
                    f"{escape(unit)}</title></circle>"
                )
    # The legend: a short stroke in each series' colour and dash, then its name.
    x = left
    for k, s in enumerate(series):
        colour, dash = PALETTE[k % len(PALETTE)], DASHES[k % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        y = height - 10
        out.append(
            f'<line x1="{x}" x2="{x + 24}" y1="{y - 4}" y2="{y - 4}" stroke="{colour}" '
            f'stroke-width="2"{dash_attr}/><text x="{x + 28}" y="{y}" fill="#0f172a">'
            f"{escape(s.name)}</text>"
        )
        x += 40 + FONT * len(s.name)
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text is escaped above


def bar_chart(
    label: str,
    rows: Sequence[tuple[str, float]],
    *,
    unit: str = "",
    width: int = 480,
    bar: int = 22,
) -> SafeString:
    """Horizontal bars, one per row, each with its value written at its end."""
    label_w = min(220, 12 + FONT * max((len(r[0]) for r in rows), default=4))
    top, value_w = 8, 72
    height = top * 2 + max(len(rows), 1) * (bar + 8)
    top_value = max((r[1] for r in rows), default=0.0) or 1.0
    plot_w = width - label_w - value_w
    out = [_open(label, width, height, "chart-bar")]
    for i, (name, value) in enumerate(rows):
        y = top + i * (bar + 8)
        w = plot_w * value / top_value
        out.append(
            f'<text x="{label_w - 8}" y="{y + bar / 2 + 4:.1f}" text-anchor="end" '
            f'fill="#0f172a">{escape(name)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar}" '
            f'fill="{PALETTE[0]}"><title>{escape(name)}: {escape(_fmt(value))}{escape(unit)}'
            f"</title></rect>"
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar / 2 + 4:.1f}" fill="#0f172a">'
            f"{escape(_fmt(value))}{escape(unit)}</text>"
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text is escaped above


@dataclass(frozen=True)
class Span:
    """One stretch of a time strip (e.g. a minute and its verdict)."""

    start: datetime
    end: datetime
    kind: str  # a key of STRIP_KINDS
    title: str


STRIP_KINDS = {
    "valid": ("#15803d", ""),
    "void": ("#b91c1c", "url(#hatch)"),  # ``hatch`` is replaced by the strip's own pattern id
    "pending": ("#a16207", ""),
    "other": ("#64748b", ""),
}


def time_strip(
    label: str, start: datetime, end: datetime, spans: Sequence[Span], *, width: int = 720
) -> SafeString:
    """A horizontal time axis from ``start`` to ``end`` with ``spans`` drawn on it; void spans
    are hatched as well as red, so the strip reads in grey print."""
    left, right, height, y, h = 8, 8, 64, 8, 28
    total = max((end - start).total_seconds(), 60.0)
    plot_w = width - left - right

    def px(t: datetime) -> float:
        return left + plot_w * (t - start).total_seconds() / total

    hatch = pattern_id("hatch")
    out = [
        _open(label, width, height, "chart-strip"),
        f'<defs><pattern id="{hatch}" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#b91c1c"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern></defs>',
        f'<rect x="{left}" y="{y}" width="{plot_w}" height="{h}" fill="#f1f5f9"/>',
    ]
    for span in spans:
        colour, pattern = STRIP_KINDS.get(span.kind, STRIP_KINDS["other"])
        pattern = pattern.replace("#hatch", f"#{hatch}")
        x0, x1 = px(span.start), px(span.end)
        out.append(
            f'<rect class="strip-{escape(span.kind)}" x="{x0:.1f}" y="{y}" '
            f'width="{max(x1 - x0 - 0.5, 0.8):.1f}" height="{h}" fill="{pattern or colour}">'
            f"<title>{escape(span.title)}</title></rect>"
        )
    for k in range(5):
        t = start.timestamp() + total * k / 4
        x = left + plot_w * k / 4
        anchor = "start" if k == 0 else "end" if k == 4 else "middle"
        when = datetime.fromtimestamp(t, tz=start.tzinfo)
        out.append(
            f'<text x="{x:.1f}" y="{y + h + 18}" text-anchor="{anchor}" fill="#334155">'
            f"{when:%H:%M}</text>"
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text is escaped above
