"""Detectors of faked driving: 跑马机 (GNSS_STILL_MILEAGE), emulators (SPEED_TOO_REGULAR) and
replayed tracks (TRACK_REPLAYED).

All three read the minute records of practical (mode 1) sessions only: a classroom, simulator
or remote minute has no car, so it has no speed or fix to judge.

* GNSS_STILL_MILEAGE aggregates, per session, what the per-minute audit rule
  ODOMETER_GNSS_MISMATCH judges in three-minute windows: runs of minutes that claim speed and
  mileage while consecutive fixes stay within a few metres of each other. It compares each fix
  with the previous one rather than with a fixed point, so the slow drift of a parked receiver
  does not break a run.
* SPEED_TOO_REGULAR looks for a profile no learner drives: the same top speed minute after
  minute, or the same distance every minute, over a quarter of an hour or more.
* TRACK_REPLAYED compares a session's sequence of minute fixes with earlier sessions'. Every
  fix of the earlier tracks is put in a grid cell; a fix of the session votes for each earlier
  fix found in its cell or a neighbouring one, for the pair (earlier track, index offset). A
  replayed track collects a vote at one offset for nearly every fix, two honest tracks on one
  ground only a few scattered ones, so only the few best-voted pairs are compared point by
  point.

Coordinates are projected on a local flat plane (metres); within a province the error is far
below the GNSS noise we tolerate.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from jiapei.fraud.detectors.base import Draft, MinuteData, ScanContext, SessionData, about

METRES_PER_DEG = 111_320.0


@dataclass(frozen=True)
class DrivingParams:
    """Thresholds of the driving detectors (measurements behind the defaults in the tests)."""

    still_step_m: float = 30.0
    """Largest move between two consecutive fixes that still counts as "not moving" (the audit
    rule's 30 m). A parked receiver jitters by a few metres per fix (the simulator's 跑马机 by
    up to 3 m per axis); 30 m tolerates up to 10 m per axis. Honest cars move ~100 m or more
    between minute fixes (6.5 km/h is the slowest honest part-2 minute) except when turning
    back at a waypoint: in 4,902 simulated honest practical sessions no run of four minutes
    stayed within 40 m from fix to fix (six runs of three stayed within 30 m)."""
    still_min_minutes: int = 4
    """Shortest run of still minutes that makes a finding: four in a row never happened in
    honest simulated sessions (see ``still_step_m``), and a 跑马机 must run for a while to be
    worth it (the simulator plants 6 minutes)."""
    still_min_speed: float = 5.0
    """A minute "claims movement" when its top speed reaches this (km/h) or it reports
    mileage. Creeping honestly in a queue (1-4 km/h, no mileage) claims nothing."""
    still_min_km: float = 0.5
    """Mileage the run must claim in total: the audit rule's 0.5 km, so a run that claims a
    few hundred metres of rounding is not reported."""
    still_high_minutes: int = 10
    """From this many still minutes in a session the finding is severe (high)."""
    still_stale_max_minutes: int = 10
    """A run of at most this many minutes repeating the previous fix exactly is a GNSS dropout
    (the terminal resends its last fix), not a still car: those minutes have no fix of their
    own. The audit's ``gnss_stale_max_minutes``; issue 19 found 16 of 28 honest dropout
    sessions taken for a 跑马机. A real receiver on a still car jitters by metres."""

    regular_min_minutes: int = 15
    """Moving minutes a session needs before its regularity is judged (a quarter of an
    hour: shorter stretches of steady driving are normal on a road)."""
    regular_max_cv: float = 0.05
    """Coefficient of variation of the per-minute top speed at or below which the profile is
    too regular. Over 4,902 simulated honest practical sessions the lowest was 0.12 (part 3;
    0.18 on part 2); a generator set to one speed with ±1 km/h of noise gives about 0.02."""
    regular_top_share: float = 0.7
    """Share of moving minutes with the same top speed (to 1 km/h) at or above which the
    profile is too regular. Honest sessions reached 0.53 at most."""
    regular_mileage_share: float = 0.95
    """Share of moving minutes whose mileage is within ``regular_mileage_tol_km`` of the
    median at or above which the profile is too regular. Part-2 minutes report 0.1-0.3 km at
    the wire's 100 m resolution, so a short honest part-2 session can repeat one value often:
    the highest honest share was 0.85 (0.46 on part 3). A constant pulse rate gives 1.0."""
    regular_repeat_share: float = 0.8
    """Share of moving minutes whose top speed repeats the one ``p`` minutes before (within
    ``regular_repeat_tol_kmh``), for the best period ``p`` up to ``regular_max_period``, at or
    above which the profile is a script: a constant speed (p = 1), a cycle of a few speeds or a
    repeating sawtooth. A human driver never repeats a pattern of top speeds to half a km/h for
    a quarter of an hour; see the module's tests for the honest figures."""
    regular_repeat_tol_kmh: float = 0.5
    regular_max_period: int = 8
    regular_mileage_tol_km: float = 0.005
    """"The same distance" means within 5 m (the wire's resolution is 100 m, so in practice
    the same value)."""

    replay_min_points: int = 10
    """Aligned fix pairs needed to compare two tracks (ten minutes of driving)."""
    replay_max_median_m: float = 40.0
    """Median distance between aligned fixes under which a track is a replay. The closest
    honest pair in 30 simulated days of 12 schools (part-3 cars circling one shared route) had
    a median of 56 m; a replay with up to 40 m of added noise per axis has about 30 m."""
    replay_max_p80_m: float = 80.0
    """80th percentile of those distances under which a track is a replay. A replay's noise is
    independent per fix, so nearly all its pairs are close; two honest cars that happen to run
    in step on one road drift apart along it (their 80th percentile was never under 140 m,
    even when their median came down to 56 m)."""
    replay_step_ratio: float = 0.35
    """The median distance must also stay below this share of the session's median move per
    minute: a car that keeps practising one manoeuvre on one spot is close to its earlier
    sessions without replaying anything, and the ratio keeps it out."""
    replay_grid_m: float = 60.0
    """Cell size of the candidate index. Neighbouring cells are searched too, so any earlier
    fix within 60 m of a fix is found."""
    replay_vote_slack: int = 2
    """A source is fitted when a run of ``replay_min_run`` minus this many consecutive fixes
    vote for it at one time shift (some fixes of a noisy replay miss their cell's neighbours)."""
    replay_partial_share: float = 0.5
    replay_partial_max_median_m: float = 10.0
    """A replay of less than ``replay_partial_share`` of the session must lie this close to its
    source (median): the simulator's partial replays have 1–5 m, while a part-3 car of 5
    honest simulated days ran in step with an earlier one on the city's road route for 11 of
    its 65 minutes at a median of 16 m."""
    replay_candidates: int = 5
    """Best-voted sources fitted per session."""
    replay_inlier_m: float = 50.0
    """A fix follows the source when it lies within this distance of where the source was at
    the fitted time shift, after the constant offset is removed. A replay's noise of up to 20 m
    per axis stays within 28 m; on 5 simulated days of 4 schools (115 honest practical
    sessions, part-3 cars sharing one route at 600 m a minute), 80 m let 39 honest sessions
    through with runs of 5 fixes and 2 with runs of 8, 50 m none with runs of 8."""
    replay_max_offset_m: float = 50.0
    """Largest constant offset removed from a replay (an emulator moves a track by a few
    metres, the simulator by 8–40 m plus up to 5 m of noise per axis). Allowing more lets an
    honest car on a small ground fit an earlier one somewhere: the one honest session of 5
    simulated days of 4 schools that fitted at all needed 56 m."""
    replay_min_run: int = 8
    """Consecutive following fixes that count: two honest cars on one road may run in step
    for a few minutes by chance (see ``replay_inlier_m``), a replay for as long as it lasts."""


def params_of(context: ScanContext) -> DrivingParams:
    params = getattr(context.params, "driving", context.params)
    return params if isinstance(params, DrivingParams) else DrivingParams()


def detect(context: ScanContext) -> list[Draft]:
    """GNSS_STILL_MILEAGE and SPEED_TOO_REGULAR drafts for ``context.sessions`` (TRACK_REPLAYED,
    configured here too, is ``replay.detect``)."""
    params = params_of(context)
    drafts: list[Draft] = []
    for session in sorted(context.sessions, key=lambda s: s.rnum):
        if session.mode != 1:
            continue
        minutes = ordered(session.minutes)
        still = still_mileage(session, minutes, params)
        if still:
            drafts.append(still)
        regular = speed_too_regular(session, minutes, params)
        if regular:
            drafts.append(regular)
    return drafts


# --- helpers -----------------------------------------------------------------------------------


def ordered(minutes: Sequence[MinuteData]) -> list[MinuteData]:
    return sorted(minutes, key=lambda m: (m.at, m.recordnum))


def distance_m(a: MinuteData, b: MinuteData) -> float:
    """Flat-earth distance between two minutes' fixes (both must have one)."""
    assert a.lng is not None and a.lat is not None and b.lng is not None and b.lat is not None
    dx = (b.lng - a.lng) * METRES_PER_DEG * math.cos(math.radians((a.lat + b.lat) / 2))
    return math.hypot(dx, (b.lat - a.lat) * METRES_PER_DEG)


def has_fix(minute: MinuteData) -> bool:
    return minute.lng is not None and minute.lat is not None


def evidence_point(minute: MinuteData) -> list[float | str]:
    return [minute.lng or 0.0, minute.lat or 0.0, minute.at.isoformat()]


def vehicle_label(session: SessionData) -> str:
    return f"车辆{session.car}" if session.car else f"终端{session.devnum or '-'}"


def local_minute(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


# --- GNSS_STILL_MILEAGE ------------------------------------------------------------------------


def stale_indices(minutes: Sequence[MinuteData], longest: int) -> set[int]:
    """Indices of minutes whose fix repeats the previous minute's exactly, in runs of at most
    ``longest`` minutes: a GNSS dropout (see ``DrivingParams.still_stale_max_minutes``)."""
    stale: set[int] = set()
    current: list[int] = []
    for index in range(1, len(minutes) + 1):
        if index < len(minutes):
            here, before = minutes[index], minutes[index - 1]
            if has_fix(here) and (here.lng, here.lat) == (before.lng, before.lat):
                current.append(index)
                continue
        if len(current) <= longest:
            stale.update(current)
        current = []
    return stale


def still_runs(minutes: Sequence[MinuteData], params: DrivingParams) -> list[list[int]]:
    """Indices (into ``minutes``, in time order) of each run of still minutes claiming movement.

    A run is a maximal sequence of adjacent minutes that have a fix, claim movement, and whose
    fix lies within ``still_step_m`` of the previous minute's. Only runs of at least
    ``still_min_minutes`` minutes claiming at least ``still_min_km`` are returned.
    """
    result: list[list[int]] = []
    current: list[int] = []
    stale = stale_indices(minutes, params.still_stale_max_minutes)

    def close() -> None:
        claimed = sum(minutes[i].mileage for i in current)
        if len(current) >= params.still_min_minutes and claimed >= params.still_min_km - 1e-9:
            result.append(list(current))
        current.clear()

    for index, minute in enumerate(minutes):
        claims = minute.mileage > 0 or minute.max_speed >= params.still_min_speed
        if not (claims and has_fix(minute)) or index in stale:
            close()
            continue
        if current and distance_m(minutes[current[-1]], minute) > params.still_step_m:
            close()
        current.append(index)
    close()
    return result


def still_mileage(
    session: SessionData, minutes: list[MinuteData], params: DrivingParams
) -> Draft | None:
    """GNSS_STILL_MILEAGE for one practical session (``minutes`` in time order)."""
    runs = still_runs(minutes, params)
    if not runs:
        return None
    flagged = [minutes[i] for run in runs for i in run]
    longest = max(runs, key=len)
    claimed = sum(m.mileage for m in flagged)
    speed = statistics.fmean(m.max_speed for m in flagged)
    moves = [distance_m(minutes[r[0]], minutes[i]) for r in runs for i in r]
    spread = max(moves)
    first, last = longest[0] + 1, longest[-1] + 1
    more = len(runs) - 1
    extra_zh = f"（另有{more}段类似情况，共{len(flagged)}分钟）" if more else ""
    extra_en = f" ({more} more such runs, {len(flagged)} minutes in all)" if more else ""
    summary = (
        f"{vehicle_label(session)}在{local_minute(session.start)}开始的培训中，第{first}至第{last}分钟"
        f"上报速度约{speed:.0f}公里/小时、里程{claimed:.1f}公里，但卫星定位几乎未移动"
        f"（位移不超过{math.ceil(spread)}米）{extra_zh}，疑似使用跑马机。"
    )
    summary_en = (
        f"{vehicle_label_en(session)}, session starting {local_minute(session.start)}: "
        f"minutes {first}-{last} report about {speed:.0f} km/h and {claimed:.1f} km, "
        f"but the GNSS position hardly moves "
        f"(at most {math.ceil(spread)} m){extra_en}; a pulse generator (跑马机) is suspected."
    )
    return Draft(
        detector="GNSS_STILL_MILEAGE",
        key=f"GNSS_STILL_MILEAGE:{session.rnum}",
        severity="high" if len(flagged) >= params.still_high_minutes else "medium",
        summary=summary,
        summary_en=summary_en,
        **about(session),
        score=float(len(flagged)),
        evidence={
            "minutes": [m.recordnum for m in flagged],
            "points": [evidence_point(m) for m in flagged],
            "figures": {
                "still_minutes": len(flagged),
                "runs": len(runs),
                "claimed_km": round(claimed, 2),
                "mean_speed_kmh": round(speed, 1),
                "max_displacement_m": round(spread, 1),
            },
        },
    )


def vehicle_label_en(session: SessionData) -> str:
    return f"Car {session.car}" if session.car else f"Terminal {session.devnum or '-'}"


# --- SPEED_TOO_REGULAR -------------------------------------------------------------------------


def regularity(moving: Sequence[MinuteData], params: DrivingParams) -> dict[str, float]:
    """Figures of a speed profile: speed CV, share of the commonest speed, share of minutes
    with the median mileage."""
    speeds = [m.max_speed for m in moving]
    mean = statistics.fmean(speeds)
    cv = statistics.pstdev(speeds) / mean if mean > 0 else 0.0
    commonest, count = Counter(round(s) for s in speeds).most_common(1)[0]
    median_km = statistics.median(m.mileage for m in moving)
    same_km = sum(abs(m.mileage - median_km) <= params.regular_mileage_tol_km for m in moving)
    period, repeat = repeating_period(speeds, params)
    return {
        "repeat_period_minutes": period,
        "repeat_share": round(repeat, 3),
        "moving_minutes": len(moving),
        "mean_speed_kmh": round(mean, 2),
        "speed_cv": round(cv, 4),
        "commonest_speed_kmh": commonest,
        "commonest_speed_share": round(count / len(moving), 3),
        "median_km_per_minute": round(median_km, 3),
        "same_mileage_share": round(same_km / len(moving), 3),
    }


def repeating_period(speeds: Sequence[float], params: DrivingParams) -> tuple[int, float]:
    """The period ``p`` (1 … ``regular_max_period``) whose lagged top speeds agree most often,
    and that share: how often ``speeds[i]`` is within the tolerance of ``speeds[i - p]``."""
    best = (0, 0.0)
    for period in range(1, min(params.regular_max_period, len(speeds) - 1) + 1):
        pairs = len(speeds) - period
        same = sum(
            abs(speeds[i] - speeds[i - period]) <= params.regular_repeat_tol_kmh
            for i in range(period, len(speeds))
        )
        if same / pairs > best[1]:
            best = (period, same / pairs)
    return best


def speed_too_regular(
    session: SessionData, minutes: list[MinuteData], params: DrivingParams
) -> Draft | None:
    """SPEED_TOO_REGULAR for one practical session (``minutes`` in time order)."""
    moving = [m for m in minutes if m.max_speed > 0 and m.mileage > 0]
    if len(moving) < params.regular_min_minutes:
        return None
    figures = regularity(moving, params)
    reasons_zh, reasons_en = [], []
    if figures["speed_cv"] <= params.regular_max_cv:
        reasons_zh.append(f"每分钟最高速度的变异系数仅{figures['speed_cv']:.1%}")
        reasons_en.append(f"the top speed varies by only {figures['speed_cv']:.1%}")
    if figures["commonest_speed_share"] >= params.regular_top_share:
        share = figures["commonest_speed_share"]
        reasons_zh.append(f"{share:.0%}的分钟最高速度都是{figures['commonest_speed_kmh']}公里/小时")
        reasons_en.append(f"{share:.0%} of minutes top at {figures['commonest_speed_kmh']} km/h")
    if figures["repeat_share"] >= params.regular_repeat_share:
        period, share = figures["repeat_period_minutes"], figures["repeat_share"]
        reasons_zh.append(
            f"最高速度每{period}分钟重复一次（{share:.0%}的分钟与{period}分钟前相同）"
        )
        reasons_en.append(
            f"the top speed repeats every {period} minute(s) ({share:.0%} of minutes)"
        )
    if figures["same_mileage_share"] >= params.regular_mileage_share:
        share = figures["same_mileage_share"]
        reasons_zh.append(f"{share:.0%}的分钟里程都是{figures['median_km_per_minute']}公里")
        reasons_en.append(
            f"{share:.0%} of minutes report {figures['median_km_per_minute']} km each"
        )
    if not reasons_zh:
        return None
    summary = (
        f"{vehicle_label(session)}在{local_minute(session.start)}开始的培训中，{len(moving)}个行驶分钟里"
        f"{'；'.join(reasons_zh)}，速度曲线过于规则，真实的场地或道路训练不会如此，"
        f"疑似使用跑马机或电脑模拟。"
    )
    summary_en = (
        f"{vehicle_label_en(session)}, session starting {local_minute(session.start)}: "
        f"over {len(moving)} moving minutes {'; '.join(reasons_en)}. "
        f"Real training is never this regular; a pulse "
        f"generator or an emulator is suspected."
    )
    return Draft(
        detector="SPEED_TOO_REGULAR",
        key=f"SPEED_TOO_REGULAR:{session.rnum}",
        severity="high" if len(reasons_zh) >= 2 else "medium",
        summary=summary,
        summary_en=summary_en,
        **about(session),
        score=float(len(reasons_zh)),
        evidence={"minutes": [m.recordnum for m in moving], "figures": figures},
    )
