"""TRACK_REPLAYED: a session whose GNSS track replays an earlier session's (模拟器 with
recorded tracks). Its thresholds are in :class:`~jiapei.fraud.detectors.driving.DrivingParams`
(``replay_*``), beside the other faked-driving detectors.

A replay keeps the source's timing: the fix the emulator sends at time *t* is where the source
was at *t − c*, for one time shift *c* (days, hours, and a fraction of a minute when the replay
samples each minute at another second than the source did), moved by one constant offset (a few
metres, or more) and by noise. Minutes may be missing from the replay, and only a part of the
session may be replayed. Two honest cars on one road never keep one time shift for long: their
speeds differ from minute to minute, so one drifts away along the road from where the other
was (issue 19; the old point-by-point comparison at whole-minute offsets missed 4 replays in 5
once they were resampled, shifted or cut).

Every fix of the earlier tracks is put in a grid cell. The session's track, densified along its
segments (a resampled replay's fixes lie between the source's), votes for each earlier fix found
in a neighbouring cell, for the pair (earlier track, whole-minute time shift). Only the best-voted
pairs are fitted: the time shift refined to 3 seconds, the constant offset removed (the median
residual), and the fixes within ``replay_inlier_m`` of the source's position at *t − c* counted
when they form runs of ``replay_min_run`` minutes or more. A replay cut into pieces (minutes
dropped and the rest sent earlier) fits a few time shifts of one source, each over its runs.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from jiapei.fraud.detectors.base import Draft, MinuteData, ScanContext, SessionData, about
from jiapei.fraud.detectors.driving import (
    METRES_PER_DEG,
    DrivingParams,
    evidence_point,
    has_fix,
    local_minute,
    ordered,
    params_of,
    vehicle_label,
    vehicle_label_en,
)


def detect(context: ScanContext) -> list[Draft]:
    """TRACK_REPLAYED drafts for ``context.sessions`` against ``context.earlier`` and the
    day's earlier sessions."""
    return track_replayed(context.sessions, context.earlier, params_of(context))


# --- TRACK_REPLAYED ----------------------------------------------------------------------------

EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 — the detectors' times are naive local times
GAP_MINUTES = 3.0  # a source silent this long has no position in between


@dataclass
class _Track:
    session: SessionData
    fixes: list[MinuteData]  # empty for a look-back session loaded as a compact track
    xy: np.ndarray  # (n, 2) metres east and north, on a plane tangent at each fix's latitude
    t: np.ndarray  # (n,) minutes since the epoch of each fix (naive local time)
    today: bool
    compact: np.ndarray | None = None  # SessionData.track: (n, 3) lng, lat, seconds


def _tracks(sessions: Sequence[SessionData], today: bool, minimum: int) -> list[_Track]:
    result = []
    for session in sessions:
        if session.mode != 1:
            continue
        compact = None
        if session.minutes or session.track is None:
            fixes = [m for m in session.minutes if has_fix(m)]
            if len(fixes) < minimum:
                continue
            if any(a.at > b.at for a, b in itertools.pairwise(fixes)):
                fixes = ordered(fixes)
            lnglat = np.array([(m.lng, m.lat) for m in fixes], dtype=np.float64)
            t = np.array([(m.at - EPOCH).total_seconds() / 60 for m in fixes], dtype=np.float64)
        else:
            fixes, compact = [], session.track
            if len(compact) < minimum:
                continue
            lnglat = compact[:, :2].astype(np.float64)
            t = compact[:, 2].astype(np.float64) / 60
        xy = lnglat * METRES_PER_DEG
        xy[:, 0] *= np.cos(np.radians(lnglat[:, 1]))
        result.append(_Track(session, fixes, xy, t, today, compact))
    return result


def _point(track: _Track, index: int) -> list[float | str]:
    """The evidence point [lng, lat, local time] of a track's ``index``-th fix."""
    if track.compact is None:
        return evidence_point(track.fixes[index])
    lng, lat, seconds = (float(v) for v in track.compact[index])
    moment = datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
    return [lng, lat, moment.isoformat()]


def _before(a: SessionData, b: SessionData) -> bool:
    """Whether ``a`` could be the source of a replay in ``b`` (it started first)."""
    return (a.start, a.rnum) < (b.start, b.rnum)


def _median_step(track: _Track) -> float:
    if len(track.xy) < 2:
        return 0.0
    steps = np.diff(track.xy, axis=0)
    return float(np.median(np.hypot(steps[:, 0], steps[:, 1])))


def _densified(track: _Track, spacing: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points along the track's segments at most ``spacing`` apart (its fixes included), with
    their times and the index of the fix each follows: a resampled replay's fixes lie between
    the source's, so the segments, not only the fixes, must meet the source's fixes."""
    xy, t = track.xy, track.t
    if len(xy) < 2:
        return xy, t, np.arange(len(xy))
    lengths = np.hypot(*np.diff(xy, axis=0).T)
    gaps = np.diff(t)
    pieces = np.where(gaps <= GAP_MINUTES, np.ceil(lengths / spacing), 1).astype(np.int64)
    pieces = np.maximum(pieces, 1)
    base = np.repeat(np.arange(len(xy) - 1), pieces)
    fraction = np.concatenate([np.arange(k) / k for k in pieces])
    points = xy[base] + (xy[base + 1] - xy[base]) * fraction[:, None]
    times = t[base] + gaps[base] * fraction
    return (
        np.vstack([points, xy[-1:]]),
        np.concatenate([times, t[-1:]]),
        np.concatenate([base, [len(xy) - 1]]),
    )


class _GridIndex:
    """Every fix of the source tracks, sorted by grid cell, for the candidate votes."""

    def __init__(self, sources: Sequence[_Track], grid: float) -> None:
        self.grid = grid
        cells, owners, times = [], [], []
        for number, track in enumerate(sources):
            cells.append(self.cells(track.xy))
            owners.append(np.full(len(track.xy), number, dtype=np.int64))
            times.append(track.t)
        merged = np.concatenate(cells) if cells else np.zeros(0, dtype=np.int64)
        order = np.argsort(merged, kind="stable")
        self.cell = merged[order]
        self.owner = np.concatenate(owners)[order] if owners else merged
        self.time = np.concatenate(times)[order] if times else merged.astype(np.float64)

    def cells(self, xy: np.ndarray, dx: int = 0, dy: int = 0) -> np.ndarray:
        """Cell codes of points, moved by (dx, dy) cells."""
        cx = np.floor(xy[:, 0] / self.grid).astype(np.int64) + dx
        cy = np.floor(xy[:, 1] / self.grid).astype(np.int64) + dy
        return cx * (1 << 32) + cy

    def votes(self, track: _Track, least: int) -> dict[tuple[int, int], _Run]:
        """The votes for each (source number, whole-minute time shift) whose longest run of
        consecutive voting fixes of the track is at least ``least`` long: a fix votes when its
        segment meets a source fix (in a neighbouring cell) at that shift or the next (a replay
        resampled half a minute away splits its votes between the two). An honest car crossing
        an earlier one's path votes here and there; a replay votes with the fixes it replays,
        mostly in a row (a chord of a resampled replay may cut a corner and miss a vote)."""
        points, times, base = _densified(track, self.grid / 2)
        keys, fixes = [], []
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                wanted = self.cells(points, dx, dy)
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
                shift = np.rint(times[query] - self.time[hits]).astype(np.int64)
                # One integer per (source, shift): shifts stay far below 2**22 minutes.
                key = self.owner[hits] * (1 << 23) + shift + (1 << 22)
                keys += [key, key - 1]
                fixes += [base[query], base[query]]
        if not keys:
            return {}
        # Each fix once per (source, shift), in order: runs of consecutive fixes.
        width = len(track.xy) + 1
        pairs = np.unique(np.concatenate(keys) * width + np.concatenate(fixes))
        starts = np.flatnonzero(np.diff(pairs, prepend=pairs[0] - 2) != 1)
        lengths = np.diff(starts, append=len(pairs))
        run_keys, run_first = pairs[starts] // width, pairs[starts] % width
        # The longest run of each key first, then one row per key.
        order = np.lexsort((-lengths, run_keys))
        run_keys, run_first, lengths = run_keys[order], run_first[order], lengths[order]
        first = np.unique(run_keys, return_index=True)[1]
        voters = np.add.reduceat(lengths, first)  # every voting fix of the key
        kept = lengths[first] >= least
        return {
            (int(k) >> 23, (int(k) & ((1 << 23) - 1)) - (1 << 22)): _Run(int(n), int(f), int(v))
            for k, n, f, v in zip(
                run_keys[first][kept],
                lengths[first][kept],
                run_first[first][kept],
                voters[kept],
                strict=True,
            )
        }


@dataclass(frozen=True)
class _Run:
    """The votes for one (source, shift): its longest run of consecutive voting fixes, and
    how many fixes voted for it in all."""

    length: int
    first: int  # index of its first fix in the session's track
    voters: int  # the fixes voting for the (source, shift) in all its runs

    @property
    def fixes(self) -> slice:
        return slice(self.first, self.first + self.length)


@dataclass(frozen=True)
class _Fit:
    """One source fitted to the session: the fixes that follow it and how closely."""

    source: _Track
    matched: np.ndarray  # indices of the session's fixes that follow the source
    shifts: np.ndarray  # the time shift (minutes) each matched fix follows
    errors: np.ndarray  # their distances (m) to the source's offset position
    offset: np.ndarray  # the constant offset (m east, m north) removed

    @property
    def median(self) -> float:
        return float(np.median(self.errors))

    @property
    def p80(self) -> float:
        return float(np.percentile(self.errors, 80))


def _source_at(source: _Track, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the source was at ``times`` (linear between fixes) and whether it was anywhere
    then: within its first and last fix, and not in a gap of more than ``GAP_MINUTES``."""
    t = source.t
    inside = (times >= t[0]) & (times <= t[-1])
    after = np.clip(np.searchsorted(t, times, side="right"), 1, len(t) - 1)
    inside &= (t[after] - t[after - 1]) <= GAP_MINUTES
    x = np.interp(times, t, source.xy[:, 0])
    y = np.interp(times, t, source.xy[:, 1])
    return np.column_stack([x, y]), inside


def _runs(mask: np.ndarray, least: int) -> np.ndarray:
    """``mask`` kept only where it is true for ``least`` consecutive elements or more."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    kept = np.zeros(len(mask), dtype=bool)
    for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        if end - start >= least:
            kept[start:end] = True
    return kept


# Time shifts tried from a voted whole-minute shift b, in 3-second steps: the votes for b
# count the fixes whose shift rounds to b or b + 1 (see ``_GridIndex.votes``).
FINE = np.arange(-0.5, 1.5001, 0.05)


def _fit_shift(
    query: _Track, source: _Track, shift: int, run: _Run, params: DrivingParams
) -> tuple[int, float, np.ndarray, np.ndarray, np.ndarray, float] | None:
    """The best time shift from ``shift`` - 0.5 to ``shift`` + 1.5 minutes for the session,
    judged on the fixes that follow the source at it: (fixes following, the fit's cost, their
    mask, every fix's error, the constant offset, the shift). The offset is the median
    residual of the voting run's fixes, which follow the source if anything does (the live
    part of a partly replayed session has residuals of hundreds of metres and must not pull
    it). All shifts are tried at once."""
    c = shift + FINE
    times = query.t[None, :] - c[:, None]
    where, inside = _source_at(source, times.ravel())
    where, inside = where.reshape(len(c), -1, 2), inside.reshape(len(c), -1)
    residual = query.xy[None, :, :] - where
    offset = np.median(residual[:, run.fixes, :], axis=1)
    errors = np.hypot(*np.moveaxis(residual - offset[:, None, :], 2, 0))
    errors[~inside] = np.inf
    close = errors <= params.replay_inlier_m
    count = close.sum(axis=1)
    distance = np.hypot(*offset.T)
    # The median error of each shift's close fixes (the middle one of them, sorted first).
    ranked = np.sort(np.where(close, errors, np.inf), axis=1)
    middle = ranked[np.arange(len(c)), np.maximum(count - 1, 0) // 2]
    # On a straight stretch driven at an even speed, a shift of part of a minute and an
    # offset along the road fit equally well: the smaller offset is taken.
    cost = middle + 0.1 * distance
    row = int(np.lexsort((cost, -count))[0])
    matched = _runs(close[row], params.replay_min_run)
    if not matched.any():
        return None
    return int(matched.sum()), float(cost[row]), matched, errors[row], offset[row], float(c[row])


def _follow(
    query: _Track,
    source: _Track,
    first: int,
    last: int,
    shift: float,
    offset: np.ndarray,
    params: DrivingParams,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Follow the source from the fitted stretch [first, last] outwards, letting the time
    shift step by whole minutes where the replay dropped some of the source's minutes and sent
    the rest earlier: later fixes may follow the source up to 2 minutes further on (a smaller
    shift) than the fix before, earlier ones up to 2 minutes further back. Returns the
    following mask, each fix's shift and error."""
    n = len(query.xy)
    steps = np.arange(-4, 5)  # whole minutes away from the fitted shift, both ways
    where, inside = _source_at(source, (query.t[None, :] - (shift + steps)[:, None]).ravel())
    error = np.hypot(*(query.xy[None, :, :] - where.reshape(len(steps), n, 2) - offset).T).T
    error[~inside.reshape(len(steps), n)] = np.inf
    table = error.tolist()  # table[k][i]: fix i's error at shift + steps[k]
    shifts, errors = np.full(n, shift), np.array(table[4])
    for moves, indices in (
        ((0, -1, -2), range(last + 1, n)),
        ((0, 1, 2), range(first - 1, -1, -1)),
    ):
        current = 0
        for i in indices:
            options = [(table[current + k + 4][i], k) for k in moves if -4 <= current + k <= 4]
            best, k = min(options, key=lambda v: (v[0] > params.replay_inlier_m, abs(v[1])))
            errors[i], shifts[i] = best, shift + current + k
            if best <= params.replay_inlier_m:
                current += k
    matched = _runs(errors <= params.replay_inlier_m, params.replay_min_run)
    return matched, shifts, errors


def _fit(
    query: _Track, source: _Track, runs: Sequence[tuple[int, _Run]], params: DrivingParams
) -> _Fit | None:
    """The session fitted to one source: the best of its best-voted shifts, refined, then
    followed outwards across dropped minutes (:func:`_follow`)."""
    best = None
    for shift, run in runs[:5]:  # the longest-voted few: one of them is the replay's, if any
        found = _fit_shift(query, source, shift, run, params)
        if found is not None and (best is None or (found[0], -found[1]) > (best[0], -best[1])):
            best = found
    if best is None:
        return None
    _, _, matched, _, offset, c = best
    if float(np.hypot(*offset)) > params.replay_max_offset_m:
        return None
    index = np.flatnonzero(matched)
    following, each_shift, errors = _follow(
        query, source, int(index[0]), int(index[-1]), c, offset, params
    )
    chosen = np.flatnonzero(following)
    return _Fit(source, chosen, each_shift[chosen], errors[chosen], offset)


def track_replayed(
    sessions: Sequence[SessionData], earlier: Sequence[SessionData], params: DrivingParams
) -> list[Draft]:
    """TRACK_REPLAYED drafts: each session of the day whose track, or a part of it of at least
    ``replay_min_points`` fixes, repeats an earlier one's.

    Sources are the sessions of ``earlier`` and the day's sessions that started before it. One
    draft per replaying session, naming the source that covers most of it (then the closest).
    """
    minimum = params.replay_min_points
    queries = _tracks(sorted(sessions, key=lambda s: s.rnum), True, minimum)
    seen = {t.session.rnum for t in queries}
    sources = queries + [t for t in _tracks(earlier, False, minimum) if t.session.rnum not in seen]
    index = _GridIndex(sources, params.replay_grid_m)
    least = max(2, params.replay_min_run - params.replay_vote_slack)
    drafts = []
    for query_number, query in enumerate(queries):
        votes = index.votes(query, least)
        by_source: dict[int, list[tuple[int, _Run]]] = {}
        for (number, shift), run in votes.items():
            if number != query_number:
                by_source.setdefault(number, []).append((shift, run))
        for runs in by_source.values():
            runs.sort(key=lambda v: (-v[1].voters, -v[1].length, v[0]))
        ranked = sorted(
            by_source, key=lambda n: (-by_source[n][0][1].voters, sources[n].session.rnum)
        )
        step = _median_step(query)
        best: tuple[tuple[int, float, str], _Fit] | None = None
        compared = 0
        for number in ranked:
            source = sources[number]
            if source.session.rnum == query.session.rnum:
                continue
            if source.today and not _before(source.session, query.session):
                continue
            compared += 1
            fit = _fit(query, source, by_source[number], params)
            if (
                fit is not None
                and len(fit.matched) >= minimum
                and fit.median <= params.replay_max_median_m
                and fit.p80 <= params.replay_max_p80_m
                and fit.median <= params.replay_step_ratio * step
                and (
                    len(fit.matched) >= params.replay_partial_share * len(query.xy)
                    or fit.median <= params.replay_partial_max_median_m
                )
            ):
                rank = (-len(fit.matched), fit.median, source.session.rnum)
                if best is None or rank < best[0]:
                    best = (rank, fit)
            if compared >= params.replay_candidates:
                break
        if best is not None:
            drafts.append(_replay_draft(query, best[1], step=step))
    return drafts


def _replay_draft(query: _Track, fit: _Fit, *, step: float) -> Draft:
    session, source, other = query.session, fit.source, fit.source.session
    matched = [int(i) for i in fit.matched]
    pairs, median, p80 = len(matched), fit.median, fit.p80
    # The source fix nearest in time to where each matched fix was replayed from.
    source_index = [
        int(np.argmin(np.abs(source.t - (query.t[i] - shift))))
        for i, shift in zip(matched, fit.shifts.tolist(), strict=True)
    ]
    shift = float(np.median(fit.shifts))
    offset_m = float(np.hypot(*fit.offset))
    share = pairs / len(query.xy)
    part = "" if share >= 0.9 else f"（占本次培训{len(query.xy)}个定位点的{share:.0%}）"
    part_en = "" if share >= 0.9 else f" ({share:.0%} of the session's {len(query.xy)} fixes)"
    summary = (
        f"学员{session.stunum}在{local_minute(session.start)}开始的实操培训（{vehicle_label(session)}），"
        f"有{pairs}个分钟定位点{part}与{local_minute(other.start)}的培训（日志{other.rnum}）"
        f"按相同的时间间隔逐点重合，去除整体平移{offset_m:.0f}米后对应点距离的中位数仅{median:.0f}米"
        f"（该车每分钟移动约{step:.0f}米），疑似回放历史轨迹（模拟器）。"
    )
    summary_en = (
        f"Student {session.stunum}, practical session starting {local_minute(session.start)} "
        f"({vehicle_label_en(session)}): {pairs} minute fixes{part_en} follow the session of "
        f"{local_minute(other.start)} (log {other.rnum}) point by point at one time shift; "
        f"after removing a constant offset of {offset_m:.0f} m the median distance is "
        f"{median:.0f} m while the car moves about {step:.0f} m a minute. "
        "A replayed track (emulator) is suspected."
    )
    fixes = query.fixes
    return Draft(
        detector="TRACK_REPLAYED",
        key=f"TRACK_REPLAYED:{session.rnum}:{other.rnum}",
        severity="high",
        summary=summary,
        summary_en=summary_en,
        # Only the replaying session: the source may well be an honest session whose track
        # was recorded and sold, and it is named in the evidence for the reviewer.
        **about(session),
        score=round(median, 1),
        evidence={
            "minutes": [fixes[i].recordnum for i in matched],
            "points": [evidence_point(fixes[i]) for i in matched],
            "source_log": other.rnum,
            "source_points": [_point(source, j) for j in source_index],
            "figures": {
                "pairs": pairs,
                "session_fixes": len(query.xy),
                "median_distance_m": round(median, 1),
                "p80_distance_m": round(p80, 1),
                "median_step_m": round(step, 1),
                # The source minute the replay starts from, and the shift between the two.
                "offset_minutes": source_index[0],
                "time_shift_minutes": round(shift, 2),
                "constant_offset_m": round(offset_m, 1),
            },
        },
    )
