"""Template filters of the evidence panels: a finding's evidence figures in words."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

register = template.Library()

# The detectors' figure names (``Draft.evidence["figures"]``) as an officer reads them.
FIGURES = {
    "photos": _("照片数"),
    "repeated": _("雷同的照片数"),
    "pixels_checked": _("经像素比对确认"),
    "max_distance": _("最大汉明距离"),
    "min_distance": _("最小汉明距离"),
    "replayed_photos": _("重复使用的照片数"),
    "other_sessions": _("涉及的其他培训次数"),
    "shared_photos": _("相同的照片数"),
    "same_school": _("两名学员同属一所驾校"),
    "median_confidence": _("置信度中位数"),
    "bar": _("及格线（按终端校准后）"),
    "terminal_median": _("该终端置信度中位数"),
    "signin_confidence": _("签到照片置信度"),
    "later_median": _("其后照片置信度中位数"),
    "later_low": _("其后低于及格线的照片数"),
    "drop": _("置信度下降"),
    "claimed_km": _("报送里程（km）"),
    "max_displacement_m": _("最大位移（m）"),
    "mean_speed_kmh": _("平均速度（km/h）"),
    "minutes": _("分钟数"),
    "runs": _("连续段数"),
    "still_minutes": _("位置不动的分钟数"),
    "minutes_without_fix": _("无定位的分钟数"),
    "overlap_minutes": _("重叠分钟数"),
    "car_sessions_that_day": _("该车当日培训次数"),
    "night_minutes": _("夜间分钟数"),
    "session_minutes": _("培训分钟数"),
    "median_distance_m": _("轨迹点距离中位数（m）"),
    "p80_distance_m": _("轨迹点距离 80% 分位（m）"),
    "median_step_m": _("相邻轨迹点间距中位数（m）"),
    "offset_minutes": _("时间平移（分钟）"),
    "resent_minutes": _("重复报送的分钟数"),
}
# Figures that are yes/no flags (0 or 1).
FLAGS = {"pixels_checked", "same_school"}
# Other evidence keys, counted rather than listed (a list of ids tells an officer little).
LISTS = {
    "minutes": _("涉及的分钟记录"),
    "photos": _("涉及的照片"),
    "sources": _("被复制的原始培训"),
    "points": _("轨迹点"),
}


def _value(name: str, value: Any) -> Any:
    if name in FLAGS:
        return _("是") if value else _("否")
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return value if value is not None else "—"


@register.filter
def figure_rows(evidence: Any) -> list[tuple[Any, Any]]:
    """``(label, value)`` rows of the evidence's figures, then counts of its lists; names
    without a label are shown as they are (a new detector's figures still appear)."""
    if not isinstance(evidence, dict):
        return []
    rows = [
        (FIGURES.get(name, name), _value(name, value))
        for name, value in (evidence.get("figures") or {}).items()
    ]
    for key, label in LISTS.items():
        items = evidence.get(key)
        if isinstance(items, list) and items:
            shown = ", ".join(str(i) for i in items) if key == "sources" else len(items)
            rows.append((label, shown))
    return rows


@register.simple_tag(takes_context=True)
def evidence_panel(context: Any, panel: Any) -> str:
    """One evidence panel (:class:`jiapei.console.evidence.Panel`): its template rendered with
    its own context (and the request, for the URLs and the language)."""
    return render_to_string(panel.template, panel.context, request=context.get("request"))
