"""Detectors of suspicious time patterns: NIGHT_IDLE_CAR (夜间空车刷学时) and STAGE_BURST
(阶段报审前突击刷学时).

* NIGHT_IDLE_CAR: schools caught swiping hours at night in empty cars (anchors.md §2.4, 南宁)
  use cars that stood idle all day: a practical session mostly in night hours, in a car that
  had no session of that day outside night hours, is suspicious. A car that trained all day
  and finishes a last lesson after dark is not.
* STAGE_BURST: a school that fills a student's missing hours just before submitting the part
  for review crams them into the last days. For each stage review submitted on the scanned
  day we compare the part's credited minutes in the last few days with the whole part, and the
  student's sessions per day in those days with the student's own earlier rate.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from jiapei.fraud.detectors.base import Draft, ScanContext, SessionData, StageData, about


@dataclass(frozen=True)
class PatternParams:
    """Thresholds of the time-pattern detectors (measurements behind them in the tests)."""

    night_start: time = time(21, 0)
    """Start of night hours. Training at 21:00 is allowed (the practical window runs to 22:30
    in the simulator and 23:55 in the audit), but few learners book it: empty-car swiping
    happens after the day's real lessons."""
    night_end: time = time(6, 0)
    """End of night hours (the window wraps midnight when the end is before the start)."""
    night_share: float = 0.5
    """"Mostly at night": at least this share of the session's minutes lie in night hours."""
    night_min_minutes: int = 30
    """Night minutes a session needs to be reported (a lesson that overruns into the evening
    by a few minutes is not worth a finding)."""
    night_high_minutes: int = 90
    """Night minutes from which the finding is severe."""

    burst_parts: tuple[int, ...] = (2, 3)
    """Syllabus parts judged for bursts: the practical ones. Parts 1 and 4 are theory, which
    schools routinely teach as intensive courses (the demo's fast-tracked students finish part
    1 in three days at the daily cap), so cramming there says nothing about fraud."""
    burst_window_days: int = 3
    """Days before ``submitted_at`` (up to it) that count as "just before the review"."""
    burst_share: float = 0.6
    """Share of the part's credited minutes in the window from which it is a burst. An honest
    learner trains over weeks: over 1,774 simulated submissions (each moment a part reached
    15 hours or more) the last 3 days held 14% of the part in the median, 40% at the 99th
    percentile and 52% at most."""
    burst_min_minutes: int = 360
    """Credited minutes the window must hold (six hours) before the share matters: a student
    who submits after a short part (or with little history loaded) is not a burst."""
    burst_rate_factor: float = 3.0
    """Sessions per day in the window at least this many times the student's own earlier rate
    (sessions per day since the student's first session of the part) is a burst too."""
    burst_min_sessions: int = 8
    """Sessions the window must hold for the rate test. Simulated learners take up to two
    sessions a day, and the busiest honest window held 7 sessions in 3 days."""
    burst_min_history_days: int = 7
    """Days of earlier training the rate test needs before it compares rates."""


def _params(context: ScanContext) -> PatternParams:
    params = getattr(context.params, "patterns", context.params)
    return params if isinstance(params, PatternParams) else PatternParams()


def detect(context: ScanContext) -> list[Draft]:
    """NIGHT_IDLE_CAR drafts for ``context.sessions`` and STAGE_BURST drafts for
    ``context.stages``."""
    params = _params(context)
    return night_idle_car(context.sessions, params) + stage_burst(
        context.stages, context.history, context.day, params
    )


# --- NIGHT_IDLE_CAR ----------------------------------------------------------------------------


def _nights(day: date, params: PatternParams) -> list[tuple[datetime, datetime]]:
    """Night intervals touching local ``day``."""
    if params.night_start > params.night_end:  # wraps midnight
        return [
            (
                datetime.combine(day - timedelta(days=1), params.night_start),
                datetime.combine(day, params.night_end),
            ),
            (
                datetime.combine(day, params.night_start),
                datetime.combine(day + timedelta(days=1), params.night_end),
            ),
        ]
    return [(datetime.combine(day, params.night_start), datetime.combine(day, params.night_end))]


def night_minutes(start: datetime, end: datetime, params: PatternParams) -> int:
    """Whole minutes of [start, end) that lie in night hours."""
    # Consecutive days share a night (yesterday's evening runs into this morning): a set
    # counts each night interval once.
    intervals = {
        interval
        for offset in range((end.date() - start.date()).days + 1)
        for interval in _nights(start.date() + timedelta(days=offset), params)
    }
    total = timedelta()
    for low, high in intervals:
        overlap = min(end, high) - max(start, low)
        if overlap > timedelta():
            total += overlap
    return int(total.total_seconds() // 60)


def _length(session: SessionData) -> int:
    return max(int((session.end - session.start).total_seconds() // 60), 0)


def night_idle_car(sessions: list[SessionData], params: PatternParams) -> list[Draft]:
    """NIGHT_IDLE_CAR: practical sessions mostly at night in cars idle the rest of that day."""
    by_car: dict[tuple[str, date], list[SessionData]] = defaultdict(list)
    for session in sessions:
        if session.mode == 1 and session.car:
            by_car[(session.car, session.day)].append(session)
    drafts = []
    for _car_day, group in sorted(by_car.items()):
        nights = {s.rnum: night_minutes(s.start, s.end, params) for s in group}
        # A session with any minute outside night hours means the car worked in the day.
        worked = [s for s in group if nights[s.rnum] < _length(s)]
        for session in sorted(group, key=lambda s: (s.start, s.rnum)):
            length, night = _length(session), nights[session.rnum]
            if night < params.night_min_minutes or night < params.night_share * length:
                continue
            if any(other.rnum != session.rnum for other in worked):
                continue
            drafts.append(_night_draft(session, night, length, len(group), params))
    return drafts


def _night_draft(
    session: SessionData, night: int, length: int, car_sessions: int, params: PatternParams
) -> Draft:
    hours = f"{params.night_start:%H:%M}–{params.night_end:%H:%M}"
    summary = (
        f"教练车{session.car}在{session.day:%Y-%m-%d}白天没有任何培训，却在"
        f"{session.start:%H:%M}至{session.end:%H:%M}为学员{session.stunum}记录了{length}分钟"
        f"实操培训，其中{night}分钟在夜间（{hours}），疑似夜间空车刷学时。"
    )
    summary_en = (
        f"Training car {session.car} had no session during the day on {session.day:%Y-%m-%d}, "
        f"yet recorded {length} practical minutes for student {session.stunum} from "
        f"{session.start:%H:%M} to {session.end:%H:%M}, {night} of them at night ({hours}): "
        f"hours swiped at night in an empty car are suspected."
    )
    return Draft(
        detector="NIGHT_IDLE_CAR",
        key=f"NIGHT_IDLE_CAR:{session.rnum}",
        severity="high" if night >= params.night_high_minutes else "medium",
        summary=summary,
        summary_en=summary_en,
        **about(session),
        score=round(night / length, 3) if length else 0.0,
        evidence={
            "minutes": [m.recordnum for m in sorted(session.minutes, key=lambda m: m.at)],
            "figures": {
                "session_minutes": length,
                "night_minutes": night,
                "car_sessions_that_day": car_sessions,
                "start": session.start.isoformat(),
                "end": session.end.isoformat(),
            },
        },
    )


# --- STAGE_BURST -------------------------------------------------------------------------------


def _credited(session: SessionData) -> int:
    """Minutes the session counts for: the audit's credit, or its length before the audit."""
    if session.audit_status == "pending":
        return _length(session)
    return session.credited_minutes


def stage_burst(
    stages: list[StageData],
    history: dict[tuple[str, int], list[SessionData]],
    day: date,
    params: PatternParams,
) -> list[Draft]:
    """STAGE_BURST: stage reviews whose part was crammed into the days before submission."""
    drafts = []
    for stage in sorted(stages, key=lambda s: (s.stunum, s.part, s.submitted_at)):
        if stage.part not in params.burst_parts:
            continue
        sessions = [
            s
            for s in history.get((stage.stunum, stage.part), [])
            if s.start <= stage.submitted_at and _credited(s) > 0
        ]
        if not sessions:
            continue
        window_start = stage.submitted_at - timedelta(days=params.burst_window_days)
        burst = sorted((s for s in sessions if s.start >= window_start), key=_order)
        before = [s for s in sessions if s.start < window_start]
        total = sum(_credited(s) for s in sessions)
        crammed = sum(_credited(s) for s in burst)
        share = crammed / total if total else 0.0
        by_share = crammed >= params.burst_min_minutes and share >= params.burst_share
        rate, earlier_rate = _rates(burst, before, window_start, params)
        by_rate = (
            len(burst) >= params.burst_min_sessions
            and earlier_rate is not None
            and rate >= params.burst_rate_factor * earlier_rate
        )
        if by_share or by_rate:
            figures: dict[str, Any] = {
                "window_days": params.burst_window_days,
                "window_minutes": crammed,
                "part_minutes": total,
                "window_share": round(share, 3),
                "window_sessions": len(burst),
                "sessions_per_day": round(rate, 2),
                "earlier_sessions_per_day": None
                if earlier_rate is None
                else round(earlier_rate, 2),
            }
            drafts.append(_burst_draft(stage, burst, figures, day, by_share, by_rate))
    return drafts


def _order(session: SessionData) -> tuple[datetime, str]:
    return session.start, session.rnum


def _rates(
    burst: list[SessionData],
    before: list[SessionData],
    window_start: datetime,
    params: PatternParams,
) -> tuple[float, float | None]:
    """Sessions per day in the window, and before it (None when the history is too short)."""
    rate = len(burst) / params.burst_window_days
    if not before:
        return rate, None
    span = (window_start - min(s.start for s in before)).total_seconds() / 86400
    if span < params.burst_min_history_days:
        return rate, None
    return rate, len(before) / span


def _burst_draft(
    stage: StageData,
    burst: list[SessionData],
    figures: dict[str, Any],
    day: date,
    by_share: bool,
    by_rate: bool,
) -> Draft:
    days_ = figures["window_days"]
    reasons_zh, reasons_en = [], []
    if by_share:
        reasons_zh.append(
            f"科目{stage.part}共{figures['part_minutes']}分钟有效学时中，{figures['window_minutes']}"
            f"分钟（{figures['window_share']:.0%}）集中在报审前{days_}天内"
        )
        reasons_en.append(
            f"{figures['window_minutes']} of the part's {figures['part_minutes']} credited "
            f"minutes ({figures['window_share']:.0%}) fall in the {days_} days before submission"
        )
    if by_rate:
        reasons_zh.append(
            f"报审前{days_}天每天培训{figures['sessions_per_day']}次，"
            f"而此前平均每天仅{figures['earlier_sessions_per_day']}次"
        )
        reasons_en.append(
            f"{figures['sessions_per_day']} sessions a day in those days against "
            f"{figures['earlier_sessions_per_day']} a day before"
        )
    summary = (
        f"学员{stage.stunum}于{stage.submitted_at:%Y-%m-%d %H:%M}提交科目{stage.part}阶段报审："
        f"{'；'.join(reasons_zh)}，疑似报审前突击刷学时。"
    )
    summary_en = (
        f"Student {stage.stunum} submitted part {stage.part} for review at "
        f"{stage.submitted_at:%Y-%m-%d %H:%M}: {'; '.join(reasons_en)}. Hours crammed in just "
        f"before the review are suspected."
    )
    first = burst[0] if burst else None
    return Draft(
        detector="STAGE_BURST",
        key=f"STAGE_BURST:{stage.stunum}:{stage.part}",
        severity="high" if by_share and by_rate else "medium",
        summary=summary,
        summary_en=summary_en,
        day=day,
        logs=[s.rnum for s in burst],
        inscode=stage.inscode,
        stunum=stage.stunum,
        coach=first.coach if first else None,
        car=first.car if first else None,
        score=float(figures["window_share"]),
        evidence={"figures": figures},
    )
