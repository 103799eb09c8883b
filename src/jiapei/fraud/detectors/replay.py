"""TRACK_REPLAYED: a session whose GNSS track replays an earlier session's (模拟器 with
recorded tracks). Its thresholds are in :class:`~jiapei.fraud.detectors.driving.DrivingParams`
(``replay_*``), beside the other faked-driving detectors.

Every fix of the earlier tracks is put in a grid cell; a fix of the session votes for each
earlier fix found in its cell or a neighbouring one, for the pair (earlier track, index offset).
A replayed track collects a vote at one offset for nearly every fix, two honest tracks on one
ground only a few scattered ones, so only the few best-voted pairs are compared point by point.
"""

from __future__ import annotations

import itertools
import math
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


@dataclass
class _Track:
    session: SessionData
    fixes: list[MinuteData]  # empty for a look-back session loaded as a compact track
    xy: np.ndarray  # (n, 2) metres east and north, on a plane tangent at each fix's latitude
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
        else:
            fixes, compact = [], session.track
            if len(compact) < minimum:
                continue
            lnglat = compact[:, :2].astype(np.float64)
        xy = lnglat * METRES_PER_DEG
        xy[:, 0] *= np.cos(np.radians(lnglat[:, 1]))
        result.append(_Track(session, fixes, xy, today, compact))
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
    points = [evidence_point(query.fixes[i]) for i in matched]
    summary = (
        f"学员{session.stunum}在{local_minute(session.start)}开始的实操培训（{vehicle_label(session)}），"
        f"有{pairs}个分钟定位点与{local_minute(other.start)}的培训（日志{other.rnum}）逐点重合，"
        f"对应点距离的中位数仅{median:.0f}米（该车每分钟移动约{step:.0f}米），"
        f"疑似回放历史轨迹（模拟器）。"
    )
    summary_en = (
        f"Student {session.stunum}, practical session starting {local_minute(session.start)} "
        f"({vehicle_label_en(session)}): {pairs} minute fixes coincide point by point with "
        f"the session of {local_minute(other.start)} (log {other.rnum}); the median distance "
        f"is {median:.0f} m while the car moves about {step:.0f} m a minute. "
        "A replayed track (emulator) is suspected."
    )
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
            "minutes": [query.fixes[i].recordnum for i in matched],
            "points": points,
            "source_log": other.rnum,
            "source_points": [_point(source, i + offset) for i in matched],
            "figures": {
                "pairs": pairs,
                "median_distance_m": round(median, 1),
                "p80_distance_m": round(p80, 1),
                "median_step_m": round(step, 1),
                "offset_minutes": offset,
            },
        },
    )
