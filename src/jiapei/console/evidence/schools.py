"""Evidence of the school-level outliers (SCHOOL_VOID_RATE, SCHOOL_FINDING_RATE,
SCHOOL_MILEAGE_RATE): the school's rate against the province's schools.

The province's schools over the finding's period are counted into bins and drawn as bars, the
school's bin named; the median, the threshold the detector applied and the share of schools
below the school are stated in words. The distribution is recomputed from today's data
(:func:`jiapei.fraud.queries.school_rates`, the detector's own rate and eligibility), while the
school's own figures are those the detector stored; the panel says when they differ.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from jiapei.console.evidence import Panel, draws
from jiapei.console.evidence.drawing import figure_rows, panel
from jiapei.fraud import params as fraud_params
from jiapei.fraud import queries as fraud
from jiapei.fraud.detectors.schools import MAD_TO_SIGMA, MEASURES
from jiapei.fraud.models import Finding
from jiapei.web.svg.chart import bar_chart

MAX_BINS = 12


def _formatter(detector: str) -> Callable[[float], str]:
    if detector == "SCHOOL_VOID_RATE":
        return lambda v: f"{v:.1%}"
    if detector == "SCHOOL_FINDING_RATE":
        return lambda v: _t("%(v)s 个/次") % {"v": f"{v:.2f}"}
    return lambda v: _t("%(v)s 公里/小时") % {"v": f"{v:.1f}"}


HEADINGS = {
    "SCHOOL_VOID_RATE": _("驾校无效学时占比与全省驾校的比较"),
    "SCHOOL_FINDING_RATE": _("驾校每次培训疑点数与全省驾校的比较"),
    "SCHOOL_MILEAGE_RATE": _("驾校实操每学时里程与全省驾校的比较"),
}


def _bins(values: list[float], count: int) -> tuple[float, float]:
    """The first edge and the width of ``count`` equal bins covering ``values``."""
    low, high = min(values), max(values)
    width = (high - low) / count if high > low else max(abs(low) * 0.1, 0.01)
    return low, width


@draws("SCHOOL_VOID_RATE", "SCHOOL_FINDING_RATE", "SCHOOL_MILEAGE_RATE")
def school_outlier(finding: Finding, user: Any) -> list[Panel]:
    """The school's rate marked among the province's schools, with the threshold in words."""
    evidence = finding.evidence or {}
    figures = evidence.get("figures") or {}
    fmt = _formatter(finding.detector)
    heading = str(HEADINGS.get(finding.detector, _("驾校与全省驾校的比较")))
    measure = next((m for m in MEASURES if m.detector == finding.detector), None)
    params = fraud_params.current().schools
    notes, facts = [], []
    school = finding.institution
    inscode = school.inscode if school is not None else ""
    rate, median = figures.get("rate"), figures.get("province_median")
    first, last = finding.day, finding.period_end or finding.day
    period = _t("%(first)s 至 %(last)s") % {
        "first": f"{first:%Y-%m-%d}",
        "last": f"{last:%Y-%m-%d}",
    }
    if rate is None or median is None or measure is None:
        notes.append(_t("该疑点的证据中没有保存驾校与全省的比较数据（较早版本的检测结果）。"))
        return [panel("school", heading, notes=notes, figures=figure_rows(figures))]
    mad = float(figures.get("province_mad") or 0.0)
    scale = max(MAD_TO_SIGMA * mad, measure.min_scale(params))
    step = max(params.z_threshold * scale, measure.min_difference(params))
    name = f"{school.name}（{inscode}）" if school is not None else inscode
    facts.append(
        _t(
            "%(school)s在 %(period)s 期间为 %(rate)s，全省 %(n)s 所驾校的中位数为 %(median)s"
            "（稳健Z值 %(z)s）。"
        )
        % {
            "school": name,
            "period": period,
            "rate": fmt(rate),
            "n": figures.get("schools", "—"),
            "median": fmt(median),
            "z": figures.get("robust_z", "—"),
        }
    )
    if measure.both_ways:
        facts.append(
            _t(
                "判定阈值：低于 %(low)s 或高于 %(high)s（中位数 ± %(z)s 倍稳健标准差，"
                "且至少相差 %(d)s）。"
            )
            % {
                "low": fmt(median - step),
                "high": fmt(median + step),
                "z": f"{params.z_threshold:g}",
                "d": fmt(measure.min_difference(params)),
            }
        )
    else:
        facts.append(
            _t("判定阈值：高于 %(high)s（中位数加 %(z)s 倍稳健标准差，且至少高出 %(d)s）。")
            % {
                "high": fmt(median + step),
                "z": f"{params.z_threshold:g}",
                "d": fmt(measure.min_difference(params)),
            }
        )
    rates = fraud.school_rates(finding.detector, first, last)
    if not rates:
        notes.append(_t("该期间全省驾校的数据已无法读取，不能绘制分布图；以上为检测时保存的数据。"))
        return [panel("school", heading, notes=notes, facts=facts, figures=figure_rows(figures))]
    others = [v for code, v in rates.items() if code != inscode]
    below = sum(1 for v in others if v < rate)
    facts.append(
        _t("在该期间参与比较的其他 %(n)d 所驾校中，%(below)d 所（%(share)s）低于本校。")
        % {
            "n": len(others),
            "below": below,
            "share": f"{below / len(others):.0%}" if others else "—",
        }
    )
    now = rates.get(inscode)
    if now is not None and not math.isclose(now, rate, rel_tol=0.01, abs_tol=1e-4):
        notes.append(
            _t("按现有数据重新计算，本校为 %(now)s（检测时为 %(then)s），数据在检测后有变化。")
            % {"now": fmt(now), "then": fmt(rate)}
        )
    values = [*others, rate]
    count = min(MAX_BINS, max(5, math.ceil(math.sqrt(len(values)))))
    low, width = _bins(values, count)
    counts = [0] * count
    for value in values:
        counts[min(int((value - low) / width), count - 1)] += 1
    mine = min(int((rate - low) / width), count - 1)
    rows = []
    for index, n in enumerate(counts):
        label = f"{fmt(low + index * width)}–{fmt(low + (index + 1) * width)}"
        if index == mine:
            label = _t("%(range)s ◀ 本校") % {"range": label}
        rows.append((label, float(n)))
    chart = {
        "svg": bar_chart(_t("全省驾校的分布：每个区间的驾校数"), rows, unit=_t("所"), width=640),
        "caption": _t(
            "全省驾校按 %(period)s 期间的数值分组，每条为该区间的驾校数；标“本校”的为本校所在区间。"
        )
        % {"period": period},
        "table": {
            "header": [_t("区间"), _t("驾校数")],
            "rows": [[label, f"{n:.0f}"] for label, n in rows],
        },
    }
    return [
        panel(
            "school",
            heading,
            notes=notes,
            facts=facts,
            charts=[chart],
            figures=figure_rows(figures, skip=("rate", "province_median")),
        )
    ]
