"""Detectors on training photos: frozen and replayed pictures, one face in several students'
sessions, and face-match confidences that are low or fall after the sign-in.

照片类检测：同一会话照片雷同（照片机、遮挡摄像头）、照片跨会话重复使用、同一张照片出现在不同学员的
培训中（替学）、人脸比对置信度整体偏低、签到后置信度明显下降（签到后换人）。

We have no face recognition model. "One face" is therefore approximated by near-identical
photos: two photos whose 64-bit perceptual hashes (pHash, ``training.services.logs.fingerprint``)
differ in at most a few bits are taken to be the same picture — a copy, a re-encoded or a
resized copy. A stand-in photographed live by the camera is NOT caught by FACE_SHARED; he shows
up, if at all, in the confidences the terminal's own face match reports (FACE_LOW,
FACE_FALLING). Only the student's photos count (events 17 sign-in, 5 and 19 during, 18
sign-out); fingerprints that are not 16 hex digits are ignored.

Measurements behind the defaults (simulator photos ``sim.photos.live_photo``, pHash):

* pHash compares each DCT coefficient with the median, so a picture's hash has 32 bits set and
  two hashes always differ by an even number of bits.
* 2,000 students x 10 distinct shots (200 million pairs of different students): 3 pairs at
  distance 4, 21 at 6, 286 at 8, none at 2 or less. Distinct shots of the same student are no
  closer (90,000 pairs: one at 6, five at 8): the background, not the face, drives the hash.
* Copies: ``near_copy`` gives distance 0 (46 of 50) or 2; a copy resized to 80 % and saved at
  JPEG quality 60 gives 0 or 2; one re-saved at quality 40 gives up to 4.
* A uniform or covered frame hashes to 0000… or 8000… (0 or 1 bit set).

Within a session or one student's photos there are few pairs to compare, so a bound of 4 bits
is safe and catches re-encoded copies. Across students every photo of the day meets every photo
of the look-back (a province day: ~100,000 photos against ~3 million), so FACE_SHARED is
stricter: 2 bits within one school (stand-ins are organised by a school or a coach) and exact
copies only across schools.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from jiapei.fraud.detectors import pixels
from jiapei.fraud.detectors.base import Draft, PhotoData, ScanContext, SessionData

STUDENT_EVENTS = frozenset({5, 17, 18, 19})
EVENT_SIGNIN = 17


@dataclass(frozen=True)
class PhotoParams:
    """Thresholds of the photo detectors (the measurements are in the module docstring)."""

    # PHOTO_FROZEN: bits two photos of one session may differ by and still be one picture.
    # Re-encoded copies stay within 4; distinct shots of one student were ≥ 6 apart, and only
    # 3 in 200 million pairs of any two shots came to 4. A session has ~15–50 pairs to compare.
    frozen_max_distance: int = 4
    # PHOTO_REPLAYED: the same bound. A session meets only its student's own look-back photos
    # (≤ ~400, ~2,400 pairs): at the measured 1.5e-8 per pair, ~4 honest sessions in 100,000.
    replay_max_distance: int = 4
    # FACE_SHARED within one school: near copies (0 or 2 bits), not re-encoded ones (4 bits),
    # because each photo meets tens of thousands of others; none of 200 million honest pairs
    # came within 2 bits. A negative value turns the check off.
    shared_max_distance: int = 2
    # FACE_SHARED across schools: exact copies only, each photo meets millions of others.
    shared_cross_school_max_distance: int = 0
    # A fingerprint with at most this many bits set, or at least 64 minus it, is a featureless
    # frame (covered lens, uniform picture). Such frames match whoever sits in the car, so they
    # count within a session (a covered camera is PHOTO_FROZEN) but never across sessions.
    blank_max_bits: int = 8
    # FACE_LOW: the median confidence of the session's photos is below this: the audit's pass
    # mark (``face_confidence_min``), so that most of the session's photos fail face matching,
    # which one bad photo alone cannot cause with ≥ 3 photos. Honest simulated sessions score
    # 80–99 per photo.
    low_median_below: float = 80.0
    low_min_photos: int = 3
    # FACE_FALLING: a sign-in at or above this confidence (a good match: the audit's minimum)…
    falling_signin_min: int = 80
    # …followed by at least ``falling_min_low`` photos below ``falling_later_below`` (the audit's
    # pass mark), a median of the later photos below it too, and a fall of at least
    # ``falling_min_drop`` points. Two low photos are required so that one blurred photo (the
    # audit's FACE_MISMATCH) is not enough.
    falling_later_below: int = 80
    falling_min_low: int = 2
    falling_min_drop: int = 10
    # Per-terminal calibration (the audit's ``face_calibrate_per_terminal`` and its fields):
    # the bars above (``low_median_below``, ``falling_signin_min``, ``falling_later_below``)
    # are lowered by as much as the terminal's median confidence lies below
    # ``reference_median``, by at most ``calibration_max_shift``, when the terminal has at
    # least ``calibration_min_photos`` photos. A camera that scores everyone ~13 points lower
    # (issue 19: FACE_LOW on 78 % of its honest sessions) is judged against its own photos.
    # With the pictures at hand (``ScanContext.images``) the hash only pre-selects pairs,
    # within ``pixel_prefilter_max_distance`` bits (a crop moves the hash by up to ~18 bits;
    # within a session and one student's photos there are few pairs), and the pixels decide
    # (``pixels.same_exposure``): a fixed camera's honest photos of one seated person lie
    # within 2–4 bits (issue 19), which the hash alone took for copies. Two frames with a
    # covered or blank lens (``pixels.blank_frame``) in one session are PHOTO_FROZEN.
    pixel_check: bool = True
    pixel_prefilter_max_distance: int = 18
    # A fixed camera makes every photo of one student near every other in the hash, so the
    # pairs of one student's 30 days grow with the square of the photos, and the pixel check
    # (~50 ms a pair) with them: 1,021 s for 540 sessions on the harder simulator. Each of the
    # day's photos is therefore judged against its ``pixel_candidates_per_photo`` nearest
    # photos of the student's other sessions only (nearest in the hash, then earliest): a
    # re-fed copy is nearest to its original, and the scan's cost grows with the day's photos.
    pixel_candidates_per_photo: int = 4
    covered_min_photos: int = 2
    calibrate_per_terminal: bool = True
    reference_median: float = 90.0
    calibration_min_photos: int = 12
    calibration_max_shift: int = 20

    def shift(self, session: SessionData) -> float:
        """Points by which the confidence bars are lowered for ``session``'s terminal."""
        median = session.terminal_confidence_median
        if (
            not self.calibrate_per_terminal
            or median is None
            or session.terminal_confidence_photos < self.calibration_min_photos
        ):
            return 0.0
        return min(max(self.reference_median - median, 0.0), float(self.calibration_max_shift))


@dataclass(frozen=True)
class _Shot:
    """A student photo with a usable fingerprint, and where it belongs."""

    photo: PhotoData
    value: int
    session: int  # index into the combined session list
    ordinal: int  # 1-based position among its session's student photos, in time order


def detect(context: ScanContext) -> list[Draft]:
    """Every photo finding of ``context.day``, sorted by key (see the module docstring)."""
    params = getattr(context.params, "photos", None) or PhotoParams()
    today = _unique(context.sessions, set())
    earlier = _unique(context.earlier, {s.rnum for s in today})
    judge = Judge(context, params)
    drafts = [d for s in today for d in _frozen(s, params, context, judge)]
    # Imported here: that module builds on this one's helpers (and this one's size).
    from jiapei.fraud.detectors.photo_copies import across

    drafts += across(today, earlier, params, context, judge)
    return sorted(drafts, key=lambda d: d.key)


# -- helpers -------------------------------------------------------------------------------


def _unique(sessions: Sequence[SessionData], skip: set[str]) -> list[SessionData]:
    """The sessions once each (by rnum), leaving out those in ``skip``."""
    kept: dict[str, SessionData] = {}
    for session in sessions:
        if session.rnum not in skip:
            kept.setdefault(session.rnum, session)
    return list(kept.values())


def student_photos(session: SessionData) -> list[PhotoData]:
    """The student's photos of a session in time order (coach photos left out)."""
    chosen = [p for p in session.photos if p.event in STUDENT_EVENTS]
    return sorted(chosen, key=lambda p: (p.at, p.id))


def fingerprint_value(fingerprint: str | None) -> int | None:
    """A 16-hex-digit fingerprint as an integer; ``None`` if absent or malformed."""
    if not fingerprint or len(fingerprint) != 16:
        return None
    try:
        return int(fingerprint, 16)
    except ValueError:
        return None


def _same_shot(first: PhotoData, second: PhotoData) -> bool:
    """One photo recorded twice (same id, or the same capture time) is no reuse."""
    return first.id == second.id or first.at == second.at


def local_start(session: SessionData) -> str:
    return f"{session.start:%Y-%m-%d %H:%M}"


def join_numbers(numbers: Sequence[object], sep: str = "、") -> str:
    return sep.join(str(n) for n in numbers)


def fmt_number(number: float) -> str:
    return f"{number:g}"


def session_draft(
    detector: str,
    session: SessionData,
    context: ScanContext,
    *,
    severity: str,
    zh: str,
    en: str,
    score: float,
    evidence: dict[str, object],
    others: Sequence[str] = (),
    key: str = "",
) -> Draft:
    """A finding about ``session``, keyed by its rnum unless ``key`` is given.

    ``zh`` and ``en`` are the findings proper; they follow the words naming the session.
    """
    return Draft(
        detector=detector,
        key=key or f"{detector}:{session.rnum}",
        severity=severity,
        summary=f"学员{session.stunum}在{local_start(session)}开始的培训（{session.rnum}）中，{zh}",
        summary_en=(
            f"Session {session.rnum} of student {session.stunum} starting "
            f"{local_start(session)}: {en}"
        ),
        day=context.day,
        logs=[session.rnum, *others],
        inscode=session.inscode,
        stunum=session.stunum,
        coach=session.coach,
        car=session.car,
        score=score,
        evidence={"minutes": [], **evidence},
    )


def near_pairs(
    values: np.ndarray, groups: np.ndarray, queries: int, max_distance: int
) -> list[tuple[int, int, int]]:
    """Index pairs ``(i, j, distance)`` of 64-bit ``values`` at most ``max_distance`` bits apart.

    ``i`` is a query (one of the first ``queries`` values), ``j`` any other value of the same
    group (``groups``: non-negative ints); a pair of two queries is given once, with ``i < j``.

    Pigeonhole banding: the 64 bits are cut into ``max_distance + 1`` (at least 3) bands; two
    values within ``max_distance`` bits agree exactly on at least one band, so only values that
    share a band (and a group) are compared. Each band is a sort and two binary searches, so a
    province day (~100,000 photos) against 30 days (~3 million) costs seconds, not the 3e11
    comparisons of every pair.
    """
    if queries == 0 or max_distance < 0 or len(values) < 2:
        return []
    values = values.astype(np.uint64)
    groups = groups.astype(np.int64)
    bands = max(max_distance + 1, 3)
    edges = [round(64 * k / bands) for k in range(bands + 1)]
    found: set[tuple[int, int, int]] = set()
    for low, high in itertools.pairwise(edges):
        width = high - low
        part = (values >> np.uint64(low)) & np.uint64((1 << width) - 1)
        keys = (groups << np.int64(width)) | part.astype(np.int64)
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        left = np.searchsorted(ordered, keys[:queries], "left")
        right = np.searchsorted(ordered, keys[:queries], "right")
        counts = right - left
        first = np.repeat(np.arange(queries), counts)
        offsets = np.repeat(left - (np.cumsum(counts) - counts), counts)
        second = order[offsets + np.arange(len(first))]
        keep = (second != first) & ((second >= queries) | (first < second))
        first, second = first[keep], second[keep]
        distances = np.bitwise_count(values[first] ^ values[second])
        close = distances <= max_distance
        rows = (first[close].tolist(), second[close].tolist(), distances[close].tolist())
        found.update(zip(*rows, strict=True))
    return sorted(found)


class Judge:
    """The pixel checks of one scan, with each picture decoded and prepared at most once."""

    def __init__(self, context: ScanContext, params: PhotoParams) -> None:
        self.read = context.images if params.pixel_check else None
        self._images: dict[int, pixels.Prepared | None] = {}
        self._blank: dict[int, bool | None] = {}
        self._same: dict[tuple[int, int], bool | None] = {}

    @property
    def active(self) -> bool:
        return self.read is not None

    def _image(self, photo_id: int) -> pixels.Prepared | None:
        if photo_id not in self._images:
            content = self.read(photo_id) if self.read is not None else None
            image = pixels.decode(content) if content else None
            self._images[photo_id] = None if image is None else pixels.Prepared(image)
        return self._images[photo_id]

    def blank(self, photo_id: int) -> bool | None:
        """Whether the photo shows a covered or blank lens (None: picture unavailable)."""
        if photo_id not in self._blank:
            prepared = self._image(photo_id)
            self._blank[photo_id] = None if prepared is None else pixels.is_blank(prepared.image)
        return self._blank[photo_id]

    def same(self, first: int, second: int) -> bool | None:
        """Whether two photos are one exposure (None: a picture is unavailable)."""
        key = (min(first, second), max(first, second))
        if key not in self._same:
            a, b = self._image(key[0]), self._image(key[1])
            if a is None or b is None:
                self._same[key] = None
            else:
                score = a.correlation(b)
                self._same[key] = score >= pixels.PixelParams().same_exposure_min
        return self._same[key]


# -- PHOTO_FROZEN --------------------------------------------------------------------------


def _repeat(
    photos: list[PhotoData], i: int, j: int, distance: int, params: PhotoParams, judge: Judge
) -> bool:
    """Whether photo ``j`` repeats photo ``i`` (one session): the pixels decide when they are
    at hand (two covered frames repeat each other; a covered and a real one do not), else the
    hash within ``frozen_max_distance``."""
    if judge.active:
        blank_i, blank_j = judge.blank(photos[i].id), judge.blank(photos[j].id)
        if blank_i is not None and blank_j is not None:
            if blank_i or blank_j:
                return bool(blank_i and blank_j)
            if distance > params.pixel_prefilter_max_distance:
                return False
            same = judge.same(photos[i].id, photos[j].id)
            if same is not None:
                return same
    return distance <= params.frozen_max_distance


def _frozen(
    session: SessionData, params: PhotoParams, context: ScanContext, judge: Judge
) -> list[Draft]:
    """PHOTO_FROZEN: later photos of the session near-identical to an earlier one of it."""
    photos = student_photos(session)
    values = [fingerprint_value(p.fingerprint) for p in photos]
    repeats: list[tuple[int, int, int]] = []  # (later index, first close index, distance)
    for j, later in enumerate(values):
        if later is None:
            continue
        for i in range(j):
            first = values[i]
            if first is None or _same_shot(photos[i], photos[j]):
                continue
            distance = (first ^ later).bit_count()
            if _repeat(photos, i, j, distance, params, judge):
                repeats.append((j, i, distance))
                break
    if not repeats:
        return []
    by_first: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for j, i, distance in repeats:
        by_first[i].append((j + 1, distance))
    zh, en = [], []
    for i, items in sorted(by_first.items()):
        ordinals, distances = [o for o, _ in items], [d for _, d in items]
        zh.append(
            f"第{join_numbers(ordinals)}张照片与第{i + 1}张几乎相同"
            f"（汉明距离{join_numbers(distances)}）"
        )
        en.append(
            f"photo {join_numbers(ordinals, ', ')} near-identical to photo {i + 1} "
            f"(Hamming distance {join_numbers(distances, ', ')})"
        )
    involved = sorted({k for j, i, _ in repeats for k in (i, j)})
    covered = [photos[k].id for k in involved if judge.active and judge.blank(photos[k].id)]
    if covered:
        zh.append(f"{len(covered)}张照片画面漆黑、空白或被遮挡")
        en.append(f"{len(covered)} photos dark, blank or covered")
    # Confirmed from the pixels (one exposure, or a covered lens), the finding is certain;
    # from the hash alone, a fixed camera's honest photos may look alike (issue 19).
    severity = "high" if judge.active else "medium"
    return [
        session_draft(
            "PHOTO_FROZEN",
            session,
            context,
            severity=severity,
            zh=f"{'；'.join(zh)}，疑似使用照片机或遮挡摄像头。",
            en=f"{'; '.join(en)}. A photo machine or a covered camera is suspected.",
            score=float(len(repeats)),
            evidence={
                "photos": [photos[k].id for k in involved],
                "fingerprints": {str(photos[k].id): photos[k].fingerprint for k in involved},
                "pairs": [[photos[i].id, photos[j].id, d] for j, i, d in repeats],
                "covered": covered,
                "figures": {
                    "photos": len(photos),
                    "repeated": len(repeats),
                    "pixels_checked": int(judge.active),
                    "max_distance": max(d for _, _, d in repeats),
                },
            },
        )
    ]
