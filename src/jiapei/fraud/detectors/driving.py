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

import itertools
import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from jiapei.fraud.detectors.base import Draft, MinuteData, ScanContext, SessionData

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
    replay_coverage: float = 0.6
    """Share of the session's fixes the aligned pairs must cover: a replay copies a whole
    track (or most of it), while two honest cars on one road route may run in step for a few
    minutes by chance (the simulator's part-3 cars circle the same route)."""
    replay_min_votes: float = 0.6
    """Share of the pairs needed (see ``replay_coverage``) an (earlier track, offset) pair must
    collect in votes to be compared point by point."""
    replay_candidates: int = 5
    """Best-voted candidates compared point by point per session."""


def _params(context: ScanContext) -> DrivingParams:
    params = getattr(context.params, "driving", context.params)
    return params if isinstance(params, DrivingParams) else DrivingParams()


def detect(context: ScanContext) -> list[Draft]:
    """GNSS_STILL_MILEAGE, SPEED_TOO_REGULAR and TRACK_REPLAYED drafts for ``context.sessions``."""
    params = _params(context)
    drafts: list[Draft] = []
    for session in sorted(context.sessions, key=lambda s: s.rnum):
        if session.mode != 1:
            continue
        minutes = _ordered(session.minutes)
        still = still_mileage(session, minutes, params)
        if still:
            drafts.append(still)
        regular = speed_too_regular(session, minutes, params)
        if regular:
            drafts.append(regular)
    drafts.extend(track_replayed(context.sessions, context.earlier, params))
    return drafts


# --- helpers -----------------------------------------------------------------------------------


def _ordered(minutes: Sequence[MinuteData]) -> list[MinuteData]:
    return sorted(minutes, key=lambda m: (m.at, m.recordnum))


def distance_m(a: MinuteData, b: MinuteData) -> float:
    """Flat-earth distance between two minutes' fixes (both must have one)."""
    assert a.lng is not None and a.lat is not None and b.lng is not None and b.lat is not None
    dx = (b.lng - a.lng) * METRES_PER_DEG * math.cos(math.radians((a.lat + b.lat) / 2))
    return math.hypot(dx, (b.lat - a.lat) * METRES_PER_DEG)


def _has_fix(minute: MinuteData) -> bool:
    return minute.lng is not None and minute.lat is not None


def _point(minute: MinuteData) -> list[float | str]:
    return [minute.lng or 0.0, minute.lat or 0.0, minute.at.isoformat()]


def _who(session: SessionData) -> str:
    return f"车辆{session.car}" if session.car else f"终端{session.devnum or '-'}"


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


# --- GNSS_STILL_MILEAGE ------------------------------------------------------------------------


def still_runs(minutes: Sequence[MinuteData], params: DrivingParams) -> list[list[int]]:
    """Indices (into ``minutes``, in time order) of each run of still minutes claiming movement.

    A run is a maximal sequence of adjacent minutes that have a fix, claim movement, and whose
    fix lies within ``still_step_m`` of the previous minute's. Only runs of at least
    ``still_min_minutes`` minutes claiming at least ``still_min_km`` are returned.
    """
    result: list[list[int]] = []
    current: list[int] = []

    def close() -> None:
        claimed = sum(minutes[i].mileage for i in current)
        if len(current) >= params.still_min_minutes and claimed >= params.still_min_km - 1e-9:
            result.append(list(current))
        current.clear()

    for index, minute in enumerate(minutes):
        claims = minute.mileage > 0 or minute.max_speed >= params.still_min_speed
        if not (claims and _has_fix(minute)):
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
        f"{_who(session)}在{_when(session.start)}开始的培训中，第{first}至第{last}分钟"
        f"上报速度约{speed:.0f}公里/小时、里程{claimed:.1f}公里，但卫星定位几乎未移动"
        f"（位移不超过{math.ceil(spread)}米）{extra_zh}，疑似使用跑马机。"
    )
    summary_en = (
        f"{_who_en(session)}, session starting {_when(session.start)}: minutes {first}-{last} "
        f"report about {speed:.0f} km/h and {claimed:.1f} km, but the GNSS position hardly moves "
        f"(at most {math.ceil(spread)} m){extra_en}; a pulse generator (跑马机) is suspected."
    )
    return Draft(
        detector="GNSS_STILL_MILEAGE",
        key=f"GNSS_STILL_MILEAGE:{session.rnum}",
        severity="high" if len(flagged) >= params.still_high_minutes else "medium",
        summary=summary,
        summary_en=summary_en,
        day=session.day,
        logs=[session.rnum],
        inscode=session.inscode,
        stunum=session.stunum,
        coach=session.coach,
        car=session.car,
        score=float(len(flagged)),
        evidence={
            "minutes": [m.recordnum for m in flagged],
            "points": [_point(m) for m in flagged],
            "figures": {
                "still_minutes": len(flagged),
                "runs": len(runs),
                "claimed_km": round(claimed, 2),
                "mean_speed_kmh": round(speed, 1),
                "max_displacement_m": round(spread, 1),
            },
        },
    )


def _who_en(session: SessionData) -> str:
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
        f"{_who(session)}在{_when(session.start)}开始的培训中，{len(moving)}个行驶分钟里"
        f"{'；'.join(reasons_zh)}，速度曲线过于规则，真实的场地或道路训练不会如此，"
        f"疑似使用跑马机或电脑模拟。"
    )
    summary_en = (
        f"{_who_en(session)}, session starting {_when(session.start)}: over {len(moving)} "
        f"moving minutes {'; '.join(reasons_en)}. Real training is never this regular; a pulse "
        f"generator or an emulator is suspected."
    )
    return Draft(
        detector="SPEED_TOO_REGULAR",
        key=f"SPEED_TOO_REGULAR:{session.rnum}",
        severity="high" if len(reasons_zh) >= 2 else "medium",
        summary=summary,
        summary_en=summary_en,
        day=session.day,
        logs=[session.rnum],
        inscode=session.inscode,
        stunum=session.stunum,
        coach=session.coach,
        car=session.car,
        score=float(len(reasons_zh)),
        evidence={"minutes": [m.recordnum for m in moving], "figures": figures},
    )


# --- TRACK_REPLAYED ----------------------------------------------------------------------------


@dataclass
class _Track:
    session: SessionData
    fixes: list[MinuteData]
    xy: np.ndarray  # (n, 2) metres east and north, on a plane tangent at each fix's latitude
    today: bool


def _tracks(sessions: Sequence[SessionData], today: bool, minimum: int) -> list[_Track]:
    result = []
    for session in sessions:
        if session.mode != 1:
            continue
        fixes = [m for m in session.minutes if _has_fix(m)]
        if len(fixes) < minimum:
            continue
        if any(a.at > b.at for a, b in itertools.pairwise(fixes)):
            fixes = _ordered(fixes)
        lnglat = np.array([(m.lng, m.lat) for m in fixes], dtype=np.float64)
        xy = lnglat * METRES_PER_DEG
        xy[:, 0] *= np.cos(np.radians(lnglat[:, 1]))
        result.append(_Track(session, fixes, xy, today))
    return result


def _before(a: SessionData, b: SessionData) -> bool:
    """Whether ``a`` could be the source of a replay in ``b`` (it started first)."""
    return (a.start, a.rnum) < (b.start, b.rnum)


def _compare(query: _Track, source: _Track, offset: int) -> tuple[float, float, int]:
    """Median and 80th percentile of the distances (m) between the fix pairs (i, i + offset)
    of the two tracks, and the number of pairs."""
    low, high = max(0, -offset), min(len(query.xy), len(source.xy) - offset)
    if high <= low:
        return math.inf, math.inf, 0
    gaps = query.xy[low:high] - source.xy[low + offset : high + offset]
    distances = np.hypot(gaps[:, 0], gaps[:, 1])
    median, high_end = np.percentile(distances, [50, 80])
    return float(median), float(high_end), high - low


def _median_step(track: _Track) -> float:
    if len(track.xy) < 2:
        return 0.0
    steps = np.diff(track.xy, axis=0)
    return float(np.median(np.hypot(steps[:, 0], steps[:, 1])))


class _GridIndex:
    """Every fix of the source tracks, sorted by grid cell, for the candidate votes."""

    def __init__(self, sources: Sequence[_Track], grid: float) -> None:
        self.grid = grid
        cells, owners, positions = [], [], []
        for number, track in enumerate(sources):
            cells.append(self.cells(track))
            owners.append(np.full(len(track.xy), number, dtype=np.int64))
            positions.append(np.arange(len(track.xy), dtype=np.int64))
        merged = np.concatenate(cells) if cells else np.zeros(0, dtype=np.int64)
        order = np.argsort(merged, kind="stable")
        self.cell = merged[order]
        self.owner = np.concatenate(owners)[order] if owners else merged
        self.position = np.concatenate(positions)[order] if positions else merged

    def cells(self, track: _Track, dx: int = 0, dy: int = 0) -> np.ndarray:
        """Cell codes of the track's fixes, moved by (dx, dy) cells."""
        xy = track.xy
        cx = np.floor(xy[:, 0] / self.grid).astype(np.int64) + dx
        cy = np.floor(xy[:, 1] / self.grid).astype(np.int64) + dy
        return cx * (1 << 32) + cy

    def votes(self, track: _Track, least: float) -> dict[tuple[int, int], int]:
        """Votes for (source number, index offset), at least ``least`` each: one per source fix
        in the cell of a fix of ``track`` or in a neighbouring cell."""
        owners, offsets = [], []
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                wanted = self.cells(track, dx, dy)
                left = np.searchsorted(self.cell, wanted, side="left")
                right = np.searchsorted(self.cell, wanted, side="right")
                lengths = right - left
                total = int(lengths.sum())
                if not total:
                    continue
                # Expand every [left, right) range into the positions it covers.
                starts = np.repeat(left - np.cumsum(lengths) + lengths, lengths)
                hits = starts + np.arange(total)
                query = np.repeat(np.arange(len(wanted)), lengths)
                owners.append(self.owner[hits])
                offsets.append(self.position[hits] - query)
        if not owners:
            return {}
        # One integer per (source, offset): offsets stay far below 2**19 minutes.
        keys = np.concatenate(owners) * (1 << 20) + np.concatenate(offsets) + (1 << 19)
        unique, counts = np.unique(keys, return_counts=True)
        kept = counts >= least
        return {
            (int(k) >> 20, (int(k) & ((1 << 20) - 1)) - (1 << 19)): int(c)
            for k, c in zip(unique[kept], counts[kept], strict=True)
        }


def track_replayed(
    sessions: Sequence[SessionData], earlier: Sequence[SessionData], params: DrivingParams
) -> list[Draft]:
    """TRACK_REPLAYED drafts: each session of the day whose track repeats an earlier one.

    Sources are the sessions of ``earlier`` and the day's sessions that started before it. The
    aligned fixes must cover ``replay_min_points`` and ``replay_coverage`` of the session's
    fixes. One draft per replaying session, naming the closest source.
    """
    minimum = params.replay_min_points
    queries = _tracks(sorted(sessions, key=lambda s: s.rnum), True, minimum)
    seen = {t.session.rnum for t in queries}
    sources = queries + [t for t in _tracks(earlier, False, minimum) if t.session.rnum not in seen]
    index = _GridIndex(sources, params.replay_grid_m)
    drafts = []
    for query_number, query in enumerate(queries):
        needed = max(minimum, math.ceil(params.replay_coverage * len(query.xy)))
        votes = index.votes(query, params.replay_min_votes * needed)
        ranked = sorted(
            (key for key in votes if key[0] != query_number),
            key=lambda k: (-votes[k], sources[k[0]].session.rnum, k[1]),
        )
        step = _median_step(query)
        best: tuple[float, str, _Track, int, int, float] | None = None
        compared = 0
        for number, offset in ranked:
            source = sources[number]
            if source.session.rnum == query.session.rnum:
                continue
            if source.today and not _before(source.session, query.session):
                continue
            compared += 1
            median, high_end, pairs = _compare(query, source, offset)
            if (
                pairs >= needed
                and median <= params.replay_max_median_m
                and high_end <= params.replay_max_p80_m
                and median <= params.replay_step_ratio * step
                and (best is None or (median, source.session.rnum) < (best[0], best[1]))
            ):
                best = (median, source.session.rnum, source, offset, pairs, high_end)
            if compared >= params.replay_candidates:
                break
        if best is not None:
            median, _, source, offset, pairs, high_end = best
            drafts.append(
                _replay_draft(query, source, offset, pairs, median=median, p80=high_end, step=step)
            )
    return drafts


def _replay_draft(
    query: _Track,
    source: _Track,
    offset: int,
    pairs: int,
    *,
    median: float,
    p80: float,
    step: float,
) -> Draft:
    session, other = query.session, source.session
    matched = range(max(0, -offset), min(len(query.xy), len(source.xy) - offset))
    points = [_point(query.fixes[i]) for i in matched]
    summary = (
        f"学员{session.stunum}在{_when(session.start)}开始的实操培训（{_who(session)}），"
        f"有{pairs}个分钟定位点与{_when(other.start)}的培训（日志{other.rnum}）逐点重合，"
        f"对应点距离的中位数仅{median:.0f}米（该车每分钟移动约{step:.0f}米），"
        f"疑似回放历史轨迹（模拟器）。"
    )
    summary_en = (
        f"Student {session.stunum}, practical session starting {_when(session.start)} "
        f"({_who_en(session)}): {pairs} minute fixes coincide point by point with the session "
        f"of {_when(other.start)} (log {other.rnum}); the median distance is {median:.0f} m while "
        f"the car moves about {step:.0f} m a minute. A replayed track (emulator) is suspected."
    )
    return Draft(
        detector="TRACK_REPLAYED",
        key=f"TRACK_REPLAYED:{session.rnum}:{other.rnum}",
        severity="high",
        summary=summary,
        summary_en=summary_en,
        day=session.day,
        # Only the replaying session: the source may well be an honest session whose track
        # was recorded and sold, and it is named in the evidence for the reviewer.
        logs=[session.rnum],
        inscode=session.inscode,
        stunum=session.stunum,
        coach=session.coach,
        car=session.car,
        score=round(median, 1),
        evidence={
            "minutes": [query.fixes[i].recordnum for i in matched],
            "points": points,
            "source_log": other.rnum,
            "source_points": [_point(source.fixes[i + offset]) for i in matched],
            "figures": {
                "pairs": pairs,
                "median_distance_m": round(median, 1),
                "p80_distance_m": round(p80, 1),
                "median_step_m": round(step, 1),
                "offset_minutes": offset,
            },
        },
    )
