"""What the evidence drawers share: the finding's teaching logs, a session's label and link,
local times, tracks cut into drawable segments, and durations in words.

Detectors store naive local (Asia/Shanghai) wall-clock times in their evidence; the database
stores aware instants. Everything here turns both into aware local times before drawing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from jiapei.console.evidence import Panel
from jiapei.console.students import MODE_LABELS
from jiapei.fraud.models import Finding
from jiapei.training import queries as training
from jiapei.training.models import MinuteRecord, TeachingLog
from jiapei.web.masking import mask_name

# A track is cut where two fixes are further apart in time than this (as on the session page):
# a straight line across a gap would show a road the car may never have taken.
TRACK_GAP = timedelta(minutes=2)
METRES_PER_DEG = 111_320.0


def finding_logs(finding: Finding, user: Any) -> list[TeachingLog]:
    """The finding's teaching logs that the user may see, in time order, with their student,
    car and coach: one query whatever their number (the finding's own ``logs`` are prefetched
    by ``fraud.queries.findings_for`` without them)."""
    rnums = [log.rnum for log in finding.logs.all()]
    if not rnums:
        return []
    found = training.logs_by_rnum(user, rnums)
    return sorted(found.values(), key=lambda log: (log.starttime, log.rnum))


def local(moment: datetime | str | None) -> datetime | None:
    """An aware local time from a database instant or a detector's naive ISO string."""
    if moment is None or moment == "":
        return None
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return None
    if timezone.is_naive(moment):
        return timezone.make_aware(moment, timezone.get_current_timezone())
    return timezone.localtime(moment)


def session_url(log: TeachingLog | None) -> str:
    """The console's page of a session, or "" when the log is not known (or not visible)."""
    if log is None:
        return ""
    return reverse("console:session", args=[log.student_id, log.pk])


def student_label(log: TeachingLog | None, stunum: str | None) -> str:
    """The student as the evidence shows them: the masked name, else the student number."""
    if log is not None and log.student is not None:
        return mask_name(log.student.name)
    return stunum or "—"


def car_label(log: TeachingLog | None, carnum: str | None) -> str:
    """The car's plate when known, else its filing number."""
    if log is not None and log.car is not None:
        return log.car.licnum
    return carnum or "—"


def mode_label(mode: int | None) -> str:
    return str(MODE_LABELS.get(mode or 0, mode or "—"))


def span_words(delta: timedelta) -> str:
    """A duration in words: "3天2小时15分钟", "45分钟"; negative durations are "提前…"."""
    minutes = round(delta.total_seconds() / 60)
    sign = _t("提前") if minutes < 0 else ""
    minutes = abs(minutes)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_t("%(n)d天") % {"n": days})
    if hours:
        parts.append(_t("%(n)d小时") % {"n": hours})
    if mins or not parts:
        parts.append(_t("%(n)d分钟") % {"n": mins})
    return sign + "".join(parts)


def plausible(lng: Any, lat: Any) -> bool:
    """A fix that can be drawn: present, not the (0, 0) of a terminal without a fix, and in
    China's bounding box (a garbled fix would stretch the map)."""
    if lng is None or lat is None:
        return False
    return 73.0 <= float(lng) <= 136.0 and 3.0 <= float(lat) <= 54.0


def distance_m(a: Sequence[float], b: Sequence[float]) -> float:
    """Flat-earth distance in metres between two [lng, lat] points a few km apart at most."""
    dx = (b[0] - a[0]) * METRES_PER_DEG * math.cos(math.radians((a[1] + b[1]) / 2))
    return math.hypot(dx, (b[1] - a[1]) * METRES_PER_DEG)


@dataclass
class Segment:
    kind: str
    points: list[tuple[float, float]] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None
    minutes: int = 0


def segments(
    fixes: Sequence[tuple[float, float, datetime]], kind_of: Callable[[int], str]
) -> list[Segment]:
    """Fixes ``(lng, lat, time)`` as drawable segments: cut at gaps over :data:`TRACK_GAP`; a
    change of kind (``kind_of(index)``) starts a new segment from the previous point, so the
    line stays continuous while each stretch has its own style."""
    result: list[Segment] = []
    previous: datetime | None = None
    for index, (lng, lat, at) in enumerate(fixes):
        kind = kind_of(index)
        joined = previous is not None and at - previous <= TRACK_GAP
        if joined and result and result[-1].kind == kind:
            current = result[-1]
        else:
            current = Segment(kind, first=at)
            if joined and result:
                current.points.append(result[-1].points[-1])
            result.append(current)
        current.points.append((lng, lat))
        current.last = at
        current.minutes += 1
        previous = at
    return result


def minute_fix(minute: MinuteRecord) -> tuple[float, float] | None:
    if not plausible(minute.lng, minute.lat):
        return None
    return float(minute.lng or 0), float(minute.lat or 0)


# The detectors' figures in words, with their units; a figure not listed is shown by its name.
FIGURES: dict[str, tuple[Any, Any]] = {
    "still_minutes": (_("位置不动却上报行驶的分钟数"), _("分钟")),
    "minutes_without_fix": (_("无卫星定位却上报行驶的分钟数"), _("分钟")),
    "runs": (_("可疑时段数"), _("段")),
    "claimed_km": (_("可疑时段上报里程"), _("公里")),
    "mean_speed_kmh": (_("平均最高车速"), _("公里/小时")),
    "max_displacement_m": (_("最大定位位移"), _("米")),
    "moving_minutes": (_("行驶分钟数"), _("分钟")),
    "speed_cv": (_("最高车速变异系数"), ""),
    "commonest_speed_kmh": (_("最常见的最高车速"), _("公里/小时")),
    "commonest_speed_share": (_("最常见车速所占比例"), ""),
    "repeat_period_minutes": (_("车速重复周期"), _("分钟")),
    "repeat_share": (_("按周期重复的分钟比例"), ""),
    "median_km_per_minute": (_("每分钟里程中位数"), _("公里")),
    "same_mileage_share": (_("每分钟里程相同的比例"), ""),
    "pairs": (_("逐点重合的定位点"), _("个")),
    "median_distance_m": (_("对应点距离中位数"), _("米")),
    "p80_distance_m": (_("对应点距离80%分位数"), _("米")),
    "median_step_m": (_("每分钟移动距离中位数"), _("米")),
    "offset_minutes": (_("回放起点（原始培训开始后）"), _("分钟")),
    "session_fixes": (_("本次培训的有效定位点"), _("个")),
    "time_shift_minutes": (_("两次培训的时间差"), ""),
    "constant_offset_m": (_("去除的整体平移"), _("米")),
    "overlap_minutes": (_("重叠时长"), _("分钟")),
    "session_minutes": (_("培训时长"), _("分钟")),
    "night_minutes": (_("夜间分钟数"), _("分钟")),
    "car_sessions_that_day": (_("该车当天培训次数"), _("次")),
    "window_days": (_("报审前统计天数"), _("天")),
    "window_minutes": (_("报审前认定学时"), _("分钟")),
    "part_minutes": (_("该科目认定学时"), _("分钟")),
    "window_share": (_("报审前学时占比"), ""),
    "window_sessions": (_("报审前培训次数"), _("次")),
    "sessions_per_day": (_("报审前每天培训次数"), _("次")),
    "earlier_sessions_per_day": (_("此前每天培训次数"), _("次")),
    "resent_minutes": (_("重复上报的分钟数"), _("分钟")),
    "province_median": (_("全省驾校中位数"), ""),
    "province_mad": (_("全省中位数绝对偏差"), ""),
    "robust_z": (_("稳健Z值"), ""),
    "schools": (_("参与比较的驾校"), _("所")),
    "sessions": (_("培训次数"), _("次")),
    "minutes": (_("学时"), _("分钟")),
    "void_minutes": (_("无效学时"), _("分钟")),
    "practical_minutes": (_("实操学时"), _("分钟")),
    "practical_km": (_("实操里程"), _("公里")),
    "findings": (_("疑点数"), _("个")),
}
SHARES = {"commonest_speed_share", "repeat_share", "same_mileage_share", "window_share"}


def figure_rows(figures: dict[str, Any], skip: Sequence[str] = ()) -> list[tuple[str, str]]:
    """The figures as (label, value with its unit) rows, in the detector's order."""
    rows = []
    for key, value in (figures or {}).items():
        if key in skip or isinstance(value, dict | list):
            continue
        label, unit = FIGURES.get(key, (key, ""))
        if value is None:
            shown = "—"
        elif key in SHARES and isinstance(value, int | float):
            shown = f"{value:.0%}"
        elif isinstance(value, float):
            shown = f"{value:g} {unit}".strip()
        else:
            shown = f"{value} {unit}".strip()
        rows.append((str(label), shown))
    return rows


def panel(slug: str, heading: str, **context: Any) -> Panel:
    """A panel of the shared template ``console/evidence/panel.html``: ``heading``, then any of
    ``notes`` (warnings about partial evidence), ``facts`` (sentences), ``sessions`` (rows of
    :func:`session_row`), ``strips``, ``charts``, ``map``, ``table`` and ``figures``."""
    return Panel("console/evidence/panel.html", {"slug": slug, "heading": heading, **context})


def session_row(
    log: TeachingLog | None, data: dict[str, Any] | None = None, role: str = ""
) -> dict[str, Any]:
    """One row of a panel's session table, from the stored log and/or the evidence's copy of it
    (``{"rnum", "stunum", "car", "mode", "start", "end"}``), whichever is there."""
    data = data or {}
    start = local(log.starttime if log else data.get("start"))
    end = local(log.endtime if log else data.get("end"))
    return {
        "rnum": log.rnum if log else data.get("rnum", "—"),
        "url": session_url(log),
        "student": student_label(log, data.get("stunum")),
        "stunum": log.student.stunum if log else data.get("stunum") or "",
        "car": car_label(log, data.get("car")),
        "mode": mode_label(log.mode if log else data.get("mode")),
        "start": start,
        "end": end,
        "when": when(start, end),
        "role": role,
    }


def when(start: datetime | None, end: datetime | None) -> str:
    """ "2026-11-20 09:00–10:00" (the end's date too when it falls on another day)."""
    if start is None:
        return "—"
    if end is None:
        return f"{start:%Y-%m-%d %H:%M}–"
    last = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M}–{last}"
