"""School-level outliers over a period: SCHOOL_VOID_RATE, SCHOOL_FINDING_RATE and
SCHOOL_MILEAGE_RATE.

Each compares one rate of every school in ``context.schools`` (all the province's schools over
``context.period``) with the province: a school is an outlier when its rate lies many robust
standard deviations from the median of the schools (the MAD scaled by 1.4826, which equals the
standard deviation for normal data and is not dragged along by the outliers themselves) and
also differs from the median by a minimum absolute amount, so that a province whose schools
are all nearly alike (a MAD near zero) does not flag small differences. Schools with too little
volume in the period are neither judged nor used for the province's median: a school with ten
sessions can have any rate by chance.

* void rate = void minutes / minutes: a school with many minutes struck by the audit trains
  (or uploads) badly; only rates above the province are flagged.
* finding rate = session-level findings / sessions: only above the province.
* mileage per hour = practical km / practical hours: both directions are suspicious, too few
  km per hour (cars standing with the clock running) and too many (pulse generators set fast).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from jiapei.fraud.detectors.base import Draft, ScanContext, SchoolPeriod

MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class SchoolParams:
    """Thresholds of the school outlier detectors."""

    min_schools: int = 5
    """Schools with enough volume needed before the province's median means anything."""
    min_sessions: int = 50
    """Sessions a school needs in the period to be judged (and to count for the median)."""
    min_practical_minutes: int = 1200
    """Practical minutes (20 hours) a school needs for the mileage rate."""
    z_threshold: float = 4.0
    """Robust z-score (distance from the median in scaled MADs) from which a school is an
    outlier: with normal data fewer than 1 school in 10,000 gets this far by chance."""
    high_z: float = 8.0
    """Robust z-score from which the finding is severe."""
    void_min_difference: float = 0.05
    """Void-minute share the school must exceed the province's median by (5 points)."""
    finding_min_difference: float = 0.1
    """Findings per session the school must exceed the province's median by: one session in
    ten. Findings are rare (a few per hundred sessions), so a school of a hundred sessions
    with a finding rate of a few percent gets a handful more by chance; in a simulated
    province with honest rates of 0-3% the unluckiest school reached 8%."""
    mileage_min_difference: float = 5.0
    """km per hour the school must differ from the province's median by (honest part-2 and
    part-3 mixes differ by a few km/h from school to school)."""
    min_scale_void: float = 0.01
    """Floor of the scale (scaled MAD) of the void share, for provinces of identical schools."""
    min_scale_finding: float = 0.01
    """Floor of the scale of the findings per session."""
    min_scale_mileage: float = 1.0
    """Floor of the scale of the km per hour."""


def _params(context: ScanContext) -> SchoolParams:
    params = getattr(context.params, "schools", context.params)
    return params if isinstance(params, SchoolParams) else SchoolParams()


@dataclass(frozen=True)
class _Measure:
    detector: str
    rate: Callable[[SchoolPeriod], float]
    eligible: Callable[[SchoolPeriod, SchoolParams], bool]
    min_difference: Callable[[SchoolParams], float]
    min_scale: Callable[[SchoolParams], float]
    both_ways: bool


MEASURES = (
    _Measure(
        "SCHOOL_VOID_RATE",
        lambda s: s.void_minutes / s.minutes if s.minutes else 0.0,
        lambda s, p: s.sessions >= p.min_sessions and s.minutes > 0,
        lambda p: p.void_min_difference,
        lambda p: p.min_scale_void,
        False,
    ),
    _Measure(
        "SCHOOL_FINDING_RATE",
        lambda s: s.findings / s.sessions if s.sessions else 0.0,
        lambda s, p: s.sessions >= p.min_sessions,
        lambda p: p.finding_min_difference,
        lambda p: p.min_scale_finding,
        False,
    ),
    _Measure(
        "SCHOOL_MILEAGE_RATE",
        lambda s: s.practical_mileage * 60 / s.practical_minutes if s.practical_minutes else 0.0,
        lambda s, p: s.practical_minutes >= p.min_practical_minutes,
        lambda p: p.mileage_min_difference,
        lambda p: p.min_scale_mileage,
        True,
    ),
)


def detect(context: ScanContext) -> list[Draft]:
    """School outlier drafts for ``context.schools`` over ``context.period``."""
    params = _params(context)
    first, last = context.period or (context.day, context.day)
    drafts = []
    for measure in MEASURES:
        drafts.extend(_outliers(measure, context.schools, params, first, last))
    return drafts


def _outliers(
    measure: _Measure, schools: list[SchoolPeriod], params: SchoolParams, first: date, last: date
) -> list[Draft]:
    judged = sorted((s for s in schools if measure.eligible(s, params)), key=lambda s: s.inscode)
    if len(judged) < params.min_schools:
        return []
    rates = {s.inscode: measure.rate(s) for s in judged}
    median = statistics.median(rates.values())
    mad = statistics.median(abs(r - median) for r in rates.values())
    scale = max(MAD_TO_SIGMA * mad, measure.min_scale(params))
    drafts = []
    for school in judged:
        rate = rates[school.inscode]
        difference = rate - median if not measure.both_ways else abs(rate - median)
        z = (rate - median) / scale
        if difference < measure.min_difference(params) or abs(z) < params.z_threshold:
            continue
        if not measure.both_ways and z < 0:
            continue
        figures = {
            "rate": round(rate, 4),
            "province_median": round(median, 4),
            "province_mad": round(mad, 4),
            "robust_z": round(z, 2),
            "schools": len(judged),
            "sessions": school.sessions,
            "minutes": school.minutes,
            "void_minutes": school.void_minutes,
            "practical_minutes": school.practical_minutes,
            "practical_km": round(school.practical_mileage, 1),
            "findings": school.findings,
        }
        drafts.append(_draft(measure.detector, school, figures, first, last, params))
    return drafts


def _texts(detector: str, school: SchoolPeriod, f: dict[str, float]) -> tuple[str, str]:
    rate, median = f["rate"], f["province_median"]
    if detector == "SCHOOL_VOID_RATE":
        return (
            f"无效学时占比{rate:.1%}（{school.void_minutes}/{school.minutes}分钟），"
            f"全省驾校中位数为{median:.1%}",
            f"void minutes are {rate:.1%} ({school.void_minutes}/{school.minutes}) against a "
            f"provincial median of {median:.1%}",
        )
    if detector == "SCHOOL_FINDING_RATE":
        return (
            f"每次培训的疑点数为{rate:.2f}（{school.findings}个疑点/{school.sessions}次培训），"
            f"全省驾校中位数为{median:.2f}",
            f"{rate:.2f} findings per session ({school.findings}/{school.sessions}) against a "
            f"provincial median of {median:.2f}",
        )
    direction_zh = "偏高" if rate > median else "偏低"
    return (
        f"实操每学时里程为{rate:.1f}公里（{direction_zh}），全省驾校中位数为{median:.1f}公里",
        f"{rate:.1f} km per practical hour against a provincial median of {median:.1f} km",
    )


def _draft(
    detector: str,
    school: SchoolPeriod,
    figures: dict[str, float],
    first: date,
    last: date,
    params: SchoolParams,
) -> Draft:
    zh, en = _texts(detector, school, figures)
    z = figures["robust_z"]
    summary = (
        f"驾校{school.inscode}在{first:%Y-%m-%d}至{last:%Y-%m-%d}期间{zh}，"
        f"偏离全省{int(figures['schools'])}所驾校的正常水平（稳健Z值{z:.1f}），建议重点核查。"
    )
    summary_en = (
        f"School {school.inscode}, {first:%Y-%m-%d} to {last:%Y-%m-%d}: {en}, far from the "
        f"province's {int(figures['schools'])} schools (robust z {z:.1f}); worth a closer look."
    )
    return Draft(
        detector=detector,
        key=f"{detector}:{school.inscode}:{first:%Y-%m-%d}",
        severity="high" if abs(z) >= params.high_z else "medium",
        summary=summary,
        summary_en=summary_en,
        day=first,
        period_end=last,
        logs=[],
        inscode=school.inscode,
        score=z,
        evidence={"figures": figures},
    )
