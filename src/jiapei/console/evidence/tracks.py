"""Evidence drawn from minute series: the claimed distance against the GNSS displacement and the
speed over time (GNSS_STILL_MILEAGE, including its no-fix variant, and SPEED_TOO_REGULAR); a
replayed track (TRACK_REPLAYED) is drawn by :mod:`~jiapei.console.evidence.replays`.

A regulator checks a 跑马机 by seeing the mileage claimed minute after minute while the position
does not move, or a speed line as flat as a ruler. Each panel also states the figures in words,
and says so when a finding's evidence or the session's minutes are no longer all there.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _t

from jiapei.console.evidence import Panel, draws
from jiapei.console.evidence.drawing import (
    distance_m,
    figure_rows,
    finding_logs,
    local,
    minute_fix,
    panel,
    plausible,
    segments,
    session_row,
)
from jiapei.fraud.models import Finding
from jiapei.training import queries as training
from jiapei.training.models import MinuteRecord
from jiapei.web.svg.chart import Series, line_chart
from jiapei.web.svg.map import SvgMap

MINUTE_COLUMNS = ("id", "recordnum", "at", "max_speed", "mileage", "lng", "lat")


def evidence_points(raw: Any) -> list[tuple[float, float, datetime]]:
    """Evidence points ``[lng, lat, iso time]`` that can be drawn, as (lng, lat, local time)."""
    result = []
    for point in raw or []:
        if not isinstance(point, list | tuple) or len(point) < 3:
            continue
        at = local(point[2])
        if at is not None and plausible(point[0], point[1]):
            result.append((float(point[0]), float(point[1]), at))
    return result


# --- GNSS_STILL_MILEAGE and SPEED_TOO_REGULAR --------------------------------------------------


def _runs(flags: Sequence[bool]) -> list[tuple[int, int]]:
    """(first, last) indices of each run of true flags."""
    runs, start = [], None
    for index, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = index
        elif not flag and start is not None:
            runs.append((start, index - 1))
            start = None
    return runs


def _displacements(minutes: Sequence[MinuteRecord]) -> list[float | None]:
    """Metres between each minute's fix and the previous minute's (None without both)."""
    result: list[float | None] = [None]
    for before, here in itertools.pairwise(minutes):
        a, b = minute_fix(before), minute_fix(here)
        close = (here.at - before.at).total_seconds() <= 120
        result.append(round(distance_m(a, b), 1) if a and b and close else None)
    return result


@draws("GNSS_STILL_MILEAGE", "SPEED_TOO_REGULAR")
def driving(finding: Finding, user: Any) -> list[Panel]:
    """The session's minutes over time (claimed distance against the GNSS displacement, and
    the top speed) with the suspicious minutes marked, and its track on a map."""
    evidence = finding.evidence or {}
    still = finding.detector == "GNSS_STILL_MILEAGE"
    nofix = still and "minutes_without_fix" in (evidence.get("figures") or {})
    flagged_numbers = set(evidence.get("minutes") or [])
    logs = finding_logs(finding, user)
    log = logs[0] if logs else None
    minutes = list(training.minutes_of(log).only(*MINUTE_COLUMNS)) if log else []
    if nofix:
        heading = _t("上报行驶但没有卫星定位")
    elif still:
        heading = _t("上报行驶但定位不动")
    else:
        heading = _t("速度曲线过于规则")
    slug = "driving-" + finding.detector.lower().replace("_", "-")
    notes: list[str] = []
    sessions = [session_row(log, role=_t("被检测的培训"))] if log else []
    figures = figure_rows(evidence.get("figures") or {})
    if not minutes:
        notes.append(_t("未能读取该培训的分钟学时，只能列出检测时保存的数据。"))
        extra = _evidence_map(evidence) if still else None
        return [panel(slug, heading, notes=notes, sessions=sessions, map=extra, figures=figures)]
    flags = [m.recordnum in flagged_numbers for m in minutes]
    if not any(flags):
        notes.append(_t("检测时标记的分钟未在该培训的分钟学时中找到，曲线上不作标记。"))
    labels = [f"{local(m.at):%H:%M}" for m in minutes]
    facts = []
    for first, last in _runs(flags):
        run = minutes[first : last + 1]
        claimed = sum(m.mileage for m in run)
        facts.append(
            _t("第 %(a)d 至第 %(b)d 分钟（%(from)s–%(to)s，%(n)d 分钟）上报里程 %(km)s 公里")
            % {
                "a": first + 1,
                "b": last + 1,
                "from": labels[first],
                "to": labels[last],
                "n": len(run),
                "km": f"{claimed:.1f}",
            }
        )
    if not still:
        facts = [
            _t("共 %(n)d 分钟，其中 %(moving)d 个行驶分钟参与判断（标记为可疑）。")
            % {"n": len(minutes), "moving": sum(flags)}
        ]
    moved = _displacements(minutes)
    claimed_m = [round(m.mileage * 1000) for m in minutes]
    distance_series = [Series(_t("上报里程"), claimed_m), Series(_t("卫星定位位移"), moved)]
    speed_series = [Series(_t("每分钟最高车速"), [m.max_speed for m in minutes])]
    # The suspicious stretches are shaded on both charts (the runs of a 跑马机; a too regular
    # profile is judged on the whole session, so nothing is singled out there).
    bands = (
        [
            (a, b, _t("可疑：%(from)s–%(to)s") % {"from": labels[a], "to": labels[b]})
            for a, b in _runs(flags)
        ]
        if still
        else []
    )
    rows = [
        [
            label,
            f"{m.max_speed:g}",
            f"{m.mileage * 1000:.0f}",
            "—" if d is None else f"{d:.0f}",
            _t("可疑") if f else "",
        ]
        for label, m, d, f in zip(labels, minutes, moved, flags, strict=True)
    ]
    table = {
        "header": [
            _t("时间"),
            _t("最高车速（公里/小时）"),
            _t("上报里程（米）"),
            _t("定位位移（米）"),
            _t("标记"),
        ],
        "rows": rows,
    }
    charts = [
        {
            "svg": line_chart(
                _t("每分钟上报里程与卫星定位位移（米）"),
                labels,
                distance_series,
                unit=_t("米"),
                height=240,
                bands=bands,
            ),
            "caption": _t(
                "每分钟上报的里程与卫星定位实际移动的距离（米）；真实行驶时两者接近，跑马机只有"
                "里程没有位移。无定位的分钟没有位移点。"
            )
            + (_t("浅红斜纹底为可疑时段。") if bands else ""),
            "table": table,
        },
        {
            "svg": line_chart(
                _t("每分钟最高车速（公里/小时）"), labels, speed_series, height=220, bands=bands
            ),
            "caption": _t("每分钟最高车速（公里/小时），共 %(n)d 分钟") % {"n": len(minutes)},
            "table": None,
        },
    ]
    return [
        panel(
            slug,
            heading,
            notes=notes,
            facts=facts,
            sessions=sessions,
            charts=charts,
            map=_minutes_map(minutes, flags, still),
            figures=figures,
        )
    ]


def _minutes_map(
    minutes: Sequence[MinuteRecord], flags: Sequence[bool], still: bool
) -> dict[str, Any] | None:
    """The session's track, the flagged minutes in the void style; None without any fix."""
    fixes, kinds = [], []
    for minute, flag in zip(minutes, flags, strict=True):
        fix = minute_fix(minute)
        if fix is not None:
            at = local(minute.at)
            assert at is not None
            fixes.append((fix[0], fix[1], at))
            kinds.append("void" if flag and still else "valid")
    if not fixes:
        return {
            "svg": "",
            "caption": _t("该培训的 %(n)d 分钟都没有可用的卫星定位，无法绘制轨迹。")
            % {"n": len(minutes)},
            "legend": [],
        }
    drawing = SvgMap(label=_t("该培训的轨迹"), height=400)
    words = {"valid": _t("其他分钟的轨迹"), "void": _t("可疑分钟的轨迹")}
    if not still:
        words["valid"] = _t("该培训的轨迹")
    for segment in segments(fixes, lambda i: kinds[i]):
        drawing.line(segment.points, kind=segment.kind, title=words[segment.kind])
    # The flagged positions first, so the start and end stay on top where a still car's
    # positions all fall on one spot.
    for index, kind in enumerate(kinds):
        if kind == "void":
            drawing.marker(fixes[index][:2], kind="point", title=f"{fixes[index][2]:%H:%M}")
    drawing.marker(
        fixes[0][:2], kind="start", title=_t("起点 %(t)s") % {"t": f"{fixes[0][2]:%H:%M}"}
    )
    drawing.marker(
        fixes[-1][:2], kind="end", title=_t("终点 %(t)s") % {"t": f"{fixes[-1][2]:%H:%M}"}
    )
    legend: list[tuple[str, str]] = [
        (kind, words[kind]) for kind in ("valid", "void") if kind in kinds
    ]
    if "void" in kinds:
        legend.append(("point", _t("可疑分钟的位置")))
    return {
        "svg": drawing.render(),
        "caption": _t("%(n)d 个有效定位点（%(missing)d 分钟无定位）；圆点为起点，方块为终点。")
        % {"n": len(fixes), "missing": len(minutes) - len(fixes)}
        + (_t("蓝点为可疑分钟的位置。") if "void" in kinds else "")
        + _spread_words(fixes),
        "legend": legend,
    }


def _spread_words(fixes: Sequence[tuple[float, float, datetime]]) -> str:
    """A sentence when the whole track lies within a few metres of its start: the map then shows
    one spot (the markers drawn over each other), and the officer should read that as "still"."""
    spread = max(distance_m(fixes[0][:2], fix[:2]) for fix in fixes)
    if spread >= 20:
        return ""
    return _t("全部定位点都在起点 %(m)s 米以内，地图上重叠为一点。") % {
        "m": f"{max(spread, 1):.0f}"
    }


def _evidence_map(evidence: dict[str, Any]) -> dict[str, Any] | None:
    """The flagged positions the detector stored, for a finding whose minutes are gone."""
    points = evidence_points(evidence.get("points"))
    if not points:
        return None
    drawing = SvgMap(label=_t("可疑分钟的位置"), height=320)
    for lng, lat, at in points:
        drawing.marker((lng, lat), kind="point", title=f"{at:%H:%M}")
    return {
        "svg": drawing.render(),
        "caption": _t("检测时保存的 %(n)d 个可疑分钟的位置。") % {"n": len(points)},
        "legend": [],
    }
