"""Evidence of a replayed track (TRACK_REPLAYED): the suspect track over the earlier one it
replays, the time between them, the share of the session replayed and the distance between the
paired fixes minute by minute.

A replay keeps the source's timing at one time shift (days, hours, and a fraction of a minute),
moved by one constant offset; minutes may be dropped (the shift then steps by whole minutes) and
only part of a session may be replayed. The detector (``fraud/detectors/replay.py``) stores the
matched fixes (``points``), the source's raw fixes nearest in time (``source_points``) and its
figures; this panel refits the pairs at the stored shift and removes the offset, so the distances
it draws agree with the detector's ``median_distance_m``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _t

from jiapei.console.evidence import Panel, draws
from jiapei.console.evidence.drawing import (
    METRES_PER_DEG,
    TRACK_GAP,
    distance_m,
    figure_rows,
    finding_logs,
    panel,
    plausible,
    segments,
    session_row,
    span_words,
)
from jiapei.console.evidence.tracks import evidence_points as _points
from jiapei.fraud.models import Finding
from jiapei.training import queries as training
from jiapei.web.svg.chart import Series, line_chart
from jiapei.web.svg.map import SvgMap

# --- TRACK_REPLAYED ----------------------------------------------------------------------------


def shift_words(minutes: float) -> str:
    """A time shift in words, to the tenth of a minute: "1天2小时41.5分钟"; a replay samples
    its minutes at another second than its source did, so the shift is seldom whole."""
    sign = _t("提前") if minutes < 0 else ""
    tenths = round(abs(minutes) * 10)
    whole, tenth = divmod(tenths, 10)
    days, rest = divmod(whole, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_t("%(n)d天") % {"n": days})
    if hours:
        parts.append(_t("%(n)d小时") % {"n": hours})
    if mins or tenth or not parts:
        shown = f"{mins}.{tenth}" if tenth else f"{mins}"
        parts.append(_t("%(n)s分钟") % {"n": shown})
    return sign + "".join(parts)


Fix = tuple[float, float, datetime]


def _metres(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """(east, north) metres from ``a`` to ``b``, flat-earth as :func:`distance_m`."""
    east = (b[0] - a[0]) * METRES_PER_DEG * math.cos(math.radians((a[1] + b[1]) / 2))
    return east, (b[1] - a[1]) * METRES_PER_DEG


def _source_at(track: Sequence[Fix], moment: datetime) -> tuple[float, float]:
    """Where the source was at ``moment``, on the straight line between its two fixes around
    it (or the two nearest, at either end): the detector compares the replay with the source
    at *t − c*, which falls between the source's once-a-minute fixes."""
    if len(track) == 1:
        return track[0][:2]
    after = next((i for i, fix in enumerate(track) if fix[2] >= moment), len(track) - 1)
    first = min(max(after - 1, 0), len(track) - 2)
    (lng0, lat0, t0), (lng1, lat1, t1) = track[first], track[first + 1]
    span = (t1 - t0).total_seconds()
    if span <= 0 or span > TRACK_GAP.total_seconds():
        nearest = min(track[first : first + 2], key=lambda f: abs((f[2] - moment).total_seconds()))
        return nearest[:2]
    k = (moment - t0).total_seconds() / span
    return lng0 + (lng1 - lng0) * k, lat0 + (lat1 - lat0) * k


@dataclass
class _Replay:
    """The pairs as the detector judged them: each pair's own time shift (the replay may step
    by whole minutes where minutes were dropped), the source's position at that shift, and the
    distance left once the one constant offset of the replay is removed."""

    shifts: list[timedelta]
    offset: tuple[float, float]  # (east, north) metres, the median of the pairs' differences
    distances: list[float]


def _fitted(pairs: Sequence[tuple[Fix, Fix]], shift_minutes: float) -> _Replay:
    """The pairs refitted at the detector's time shift ``shift_minutes`` (see :class:`_Replay`).

    The stored source fix of a pair is the one nearest in time to where the pair was replayed
    from, so the pair's own shift is the detector's plus the whole minutes that bring it within
    half a minute of the stored fix's time."""
    base = timedelta(minutes=shift_minutes)
    track = sorted({b[2]: b for _, b in pairs}.values(), key=lambda fix: fix[2])
    shifts, wheres, deltas = [], [], []
    for a, b in pairs:
        steps = round(((a[2] - b[2]) - base).total_seconds() / 60)
        shift = base + timedelta(minutes=steps)
        where = _source_at(track, a[2] - shift)
        shifts.append(shift)
        wheres.append(where)
        deltas.append(_metres(where, a[:2]))
    east = statistics.median(d[0] for d in deltas)
    north = statistics.median(d[1] for d in deltas)
    distances = [math.hypot(d[0] - east, d[1] - north) for d in deltas]
    return _Replay(shifts, (east, north), distances)


@draws("TRACK_REPLAYED")
def replayed(finding: Finding, user: Any) -> list[Panel]:
    """The suspect track over the earlier one, the time between them, the share of the session
    that is replayed, and the distance between the paired fixes minute by minute.

    Findings since the detector fits a time shift and a constant offset (figures
    ``time_shift_minutes`` and ``constant_offset_m``) are drawn the way it judged them: the
    distances are measured after the offset is removed, so they agree with its
    ``median_distance_m``. Earlier findings (point by point at whole minutes) are drawn as the
    stored pairs are."""
    evidence = finding.evidence or {}
    figures = evidence.get("figures") or {}
    logs = finding_logs(finding, user)
    suspect_log = logs[0] if logs else None
    source_rnum = str(evidence.get("source_log") or "")
    source_log = (
        training.logs_by_rnum(user, [source_rnum]).get(source_rnum) if source_rnum else None
    )
    raw_suspect, raw_source = evidence.get("points") or [], evidence.get("source_points") or []
    # The two lists are aligned pair by pair; a pair is drawn only when both fixes are usable.
    pairs = []
    for raw_a, raw_b in zip(raw_suspect, raw_source, strict=False):
        a, b = _points([raw_a]), _points([raw_b])
        if a and b:
            pairs.append((a[0], b[0]))
    notes, facts = [], []
    sessions = [session_row(suspect_log, role=_t("疑似回放的培训"))] if suspect_log else []
    if source_log is not None or source_rnum:
        sessions.append(session_row(source_log, {"rnum": source_rnum}, role=_t("被回放的原始培训")))
    heading = _t("轨迹与以往培训逐点重合")
    if not pairs:
        notes.append(
            _t("该疑点的证据中没有保存两条轨迹的定位点（较早版本的检测结果），无法绘制轨迹对比。")
        )
        return [
            panel(
                "track-replayed",
                heading,
                notes=notes,
                sessions=sessions,
                figures=_figure_rows(figures),
            )
        ]
    fitted = _number(figures.get("time_shift_minutes")) is not None
    first_suspect, first_source = pairs[0]
    last_suspect = pairs[-1][0]
    if fitted:
        shift_minutes = float(figures["time_shift_minutes"])
        fit = _fitted(pairs, shift_minutes)
        distances, shifts = fit.distances, fit.shifts
        facts.append(
            _t(
                "本次培训 %(a)s–%(b)s 的定位点与原始培训 %(c)s 起的定位点重合，"
                "两者相差 %(shift)s（本次时间减去原始时间）。"
            )
            % {
                "a": f"{first_suspect[2]:%Y-%m-%d %H:%M}",
                "b": f"{last_suspect[2]:%H:%M}",
                "c": f"{first_suspect[2] - shifts[0]:%Y-%m-%d %H:%M}",
                "shift": shift_words(shift_minutes),
            }
        )
        steps = sorted({round(s.total_seconds() / 60) for s in shifts})
        if len(steps) > 1:
            facts.append(
                _t(
                    "回放中间删去了部分分钟，后面的定位点提前发送，时间差在 %(low)s 至 %(high)s "
                    "之间按整分钟跳变。"
                )
                % {"low": span_words(min(shifts)), "high": span_words(max(shifts))}
            )
    else:
        shifts = [a[2] - b[2] for a, b in pairs]
        distances = [distance_m(a[:2], b[:2]) for a, b in pairs]
        facts.append(
            _t("本次培训 %(a)s 的定位点与 %(b)s 的定位点重合，时间相差 %(shift)s。")
            % {
                "a": f"{first_suspect[2]:%Y-%m-%d %H:%M}",
                "b": f"{first_source[2]:%Y-%m-%d %H:%M}",
                "shift": span_words(shifts[0]),
            }
        )
    session_fixes = _number(figures.get("session_fixes"))
    if session_fixes:
        fixes = int(session_fixes)
    elif suspect_log is not None:
        # Older findings do not say how many fixes the session had: count them.
        fixes = sum(
            1
            for m in training.minutes_of(suspect_log).only("lng", "lat")
            if plausible(m.lng, m.lat)
        )
    else:
        fixes = 0
    count = int(_number(figures.get("pairs")) or len(pairs))
    if fixes:
        facts.append(
            _t(
                "本次培训共 %(fixes)d 个有效定位点，"
                "其中 %(pairs)d 个（%(share)s）与原始轨迹逐点对应。"
            )
            % {"fixes": fixes, "pairs": count, "share": f"{min(count / fixes, 1):.0%}"}
            + (_t("只有部分时段是回放的。") if count < 0.9 * fixes else "")
        )
    else:
        notes.append(_t("未能读取本次培训的分钟学时，无法计算重合定位点占全部定位点的比例。"))
        facts.append(_t("共 %(pairs)d 个定位点与原始轨迹逐点对应。") % {"pairs": count})
    median = statistics.median(distances)
    step = _number(figures.get("median_step_m"))
    moving = (
        _t("，而该车每分钟移动约 %(step)s 米") % {"step": f"{step:.0f}"} if step is not None else ""
    )
    if fitted:
        offset_m = _number(figures.get("constant_offset_m"))
        if offset_m is None:
            offset_m = math.hypot(*fit.offset)
        facts.append(
            _t(
                "两条轨迹整体错开约 %(offset)s 米（回放时整体平移，逐点距离不受影响）；"
                "去除这一平移后，对应点距离的中位数为 %(median)s 米，最大 %(max)s 米%(moving)s。"
            )
            % {
                "offset": f"{offset_m:.0f}",
                "median": f"{median:.0f}",
                "max": f"{max(distances):.0f}",
                "moving": moving,
            }
        )
    else:
        # Computed from the pairs drawn below, so the sentence, the map and the chart agree.
        facts.append(
            _t(
                "按下图各对定位点计算，对应点距离的中位数为 %(median)s 米，"
                "最大 %(max)s 米%(moving)s。"
            )
            % {"median": f"{median:.0f}", "max": f"{max(distances):.0f}", "moving": moving}
        )
    drawing = SvgMap(label=_t("疑似回放的轨迹与原始轨迹"))
    source_fixes = [b for _, b in pairs]
    suspect_fixes = [a for a, _ in pairs]
    for segment in segments(source_fixes, lambda i: "source"):
        drawing.line(segment.points, kind="source", title=_t("原始培训的轨迹"))
    for segment in segments(suspect_fixes, lambda i: "suspect"):
        drawing.line(segment.points, kind="suspect", title=_t("本次培训的轨迹"))
    start, end = suspect_fixes[0], suspect_fixes[-1]
    drawing.marker(start[:2], kind="start", title=_t("起点 %(t)s") % {"t": f"{start[2]:%H:%M}"})
    drawing.marker(end[:2], kind="end", title=_t("终点 %(t)s") % {"t": f"{end[2]:%H:%M}"})
    track_map = {
        "svg": drawing.render(),
        "caption": _t(
            "红色细线为本次培训的轨迹，灰色宽带为 %(when)s 的原始培训轨迹（按原位置绘制，未平移）；"
            "两者重合说明本次轨迹是回放的历史轨迹。圆点为起点，方块为终点。"
        )
        % {"when": f"{first_source[2]:%Y-%m-%d %H:%M}"},
        "legend": [("suspect", _t("本次培训的轨迹")), ("source", _t("原始培训的轨迹"))],
    }
    labels = [f"{a[2]:%H:%M}" for a, _ in pairs]
    if fitted:
        chart_title = _t("每分钟对应定位点之间的距离（去除整体平移后，米）")
        caption = _t(
            "每分钟本次定位点与原始培训在对应时刻（本次时间减去时间差）的位置之间的距离，"
            "已去除两条轨迹的整体平移（米），共 %(n)d 对"
        ) % {"n": len(pairs)}
        header = [_t("本次时间"), _t("原始培训对应时刻"), _t("去除平移后的距离（米）")]
    else:
        chart_title = _t("每分钟对应定位点之间的距离（米）")
        caption = _t("每分钟本次定位点与原始定位点之间的距离（米），共 %(n)d 对") % {
            "n": len(pairs)
        }
        header = [_t("本次时间"), _t("原始时间"), _t("距离（米）")]
    chart = {
        "svg": line_chart(
            chart_title,
            labels,
            [Series(_t("对应定位点距离"), [round(d, 1) for d in distances])],
            unit=_t("米"),
            height=220,
        ),
        "caption": caption,
        "table": {
            "header": header,
            "rows": [
                [f"{a[2]:%H:%M}", f"{a[2] - shift:%Y-%m-%d %H:%M:%S}", f"{d:.0f}"]
                if fitted
                else [f"{a[2]:%H:%M}", f"{b[2]:%Y-%m-%d %H:%M}", f"{d:.0f}"]
                for (a, b), shift, d in zip(pairs, shifts, distances, strict=True)
            ],
        },
    }
    return [
        panel(
            "track-replayed",
            heading,
            notes=notes,
            facts=facts,
            sessions=sessions,
            map=track_map,
            map_first=True,
            charts=[chart],
            figures=_figure_rows(figures),
        )
    ]


def _figure_rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    """The figures in words; the time shift in days, hours and minutes rather than minutes."""
    shift = _number(figures.get("time_shift_minutes"))
    if shift is None:
        return figure_rows(figures)
    return figure_rows({**figures, "time_shift_minutes": shift_words(shift)})


def _number(value: Any) -> float | None:
    """A figure that is a number (not a flag), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
