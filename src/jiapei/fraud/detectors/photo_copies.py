"""PHOTO_REPLAYED and FACE_SHARED: the day's photos against other sessions' (the student's
own, and other students'), split from :mod:`jiapei.fraud.detectors.photos`, whose docstring
states the rules and whose :func:`~jiapei.fraud.detectors.photos.detect` calls :func:`across`.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from jiapei.fraud.detectors.base import Draft, PhotoData, ScanContext, SessionData
from jiapei.fraud.detectors.photos import (
    STUDENT_EVENTS,
    Judge,
    PhotoParams,
    _same_shot,
    _Shot,
    fingerprint_value,
    join_numbers,
    local_start,
    near_pairs,
    session_draft,
    student_photos,
)

# -- PHOTO_REPLAYED, FACE_SHARED -----------------------------------------------------------


def _copies(first: _Shot, second: _Shot, distance: int, bound: int, judge: Judge) -> bool:
    """Whether two photos of different sessions are copies of one picture: the pixels decide
    when they are at hand (a covered frame is nobody's copy), else the hash within ``bound``."""
    if judge.active:
        a, b = first.photo.id, second.photo.id
        if judge.blank(a) is not None and judge.blank(b) is not None:
            if judge.blank(a) or judge.blank(b):
                return False
            same = judge.same(a, b)
            if same is not None:
                return same
    return distance <= bound


def across(
    today: list[SessionData],
    earlier: list[SessionData],
    params: PhotoParams,
    context: ScanContext,
    judge: Judge,
) -> list[Draft]:
    """Photos of the day near-identical to photos of other sessions (the day's or earlier)."""
    sessions = today + earlier
    # Plain lists and arrays first: the look-back holds millions of photos, and only the few
    # that match become _Shot objects (with their position in the session, for the summary).
    photos: list[PhotoData] = []
    owners: list[int] = []
    numbers: list[int] = []
    queries = 0
    for index, session in enumerate(sessions):
        for photo in session.photos:
            value = fingerprint_value(photo.fingerprint) if photo.event in STUDENT_EVENTS else None
            if value is not None:
                photos.append(photo)
                owners.append(index)
                numbers.append(value)
        if index == len(today) - 1:
            queries = len(photos)  # the day's photos come first: they are the queries
    values = np.array(numbers, dtype=np.uint64)
    bits = np.bitwise_count(values)
    usable = (bits > params.blank_max_bits) & (bits < 64 - params.blank_max_bits)
    kept = np.flatnonzero(usable)
    queries = int(np.count_nonzero(usable[:queries]))
    if not queries:
        return []
    values = values[kept]
    owner = np.array(owners, dtype=np.int64)[kept]
    students: dict[str, int] = {}
    student_of = np.array([students.setdefault(s.stunum, len(students)) for s in sessions])
    by_student = student_of[owner]
    made: dict[int, _Shot] = {}

    def shot(k: int) -> _Shot:
        if k not in made:
            photo, session = photos[kept[k]], int(owner[k])
            ordinal = student_photos(sessions[session]).index(photo) + 1
            made[k] = _Shot(photo, int(values[k]), session, ordinal)
        return made[k]

    replays: dict[int, list[tuple[_Shot, _Shot, int]]] = defaultdict(list)
    bound = params.pixel_prefilter_max_distance if judge.active else params.replay_max_distance
    candidates = _nearest_candidates(
        near_pairs(values, by_student, queries, bound),
        owner,
        params.pixel_candidates_per_photo if judge.active else None,
    )
    for i, j, distance in candidates:
        first, second = shot(i), shot(j)
        if first.session == second.session or _same_shot(first.photo, second.photo):
            continue
        if not _copies(first, second, distance, params.replay_max_distance, judge):
            continue
        later, original = sorted(
            (first, second), key=lambda s: (s.photo.at, s.photo.id), reverse=True
        )
        if later.session < len(today):
            replays[later.session].append((later, original, distance))
    drafts = [_replayed(sessions, i, matches, context) for i, matches in replays.items()]

    bound = max(params.shared_max_distance, params.shared_cross_school_max_distance)
    shared: dict[tuple[int, int], list[tuple[_Shot, _Shot, int]]] = defaultdict(list)
    everyone = np.zeros(len(values), dtype=np.int64)
    for i, j, distance in near_pairs(values, everyone, queries, bound):
        first, second = shot(i), shot(j)
        one, other = sessions[first.session], sessions[second.session]
        if one.stunum == other.stunum or _same_shot(first.photo, second.photo):
            continue
        same_school = one.inscode == other.inscode
        limit = (
            params.shared_max_distance if same_school else params.shared_cross_school_max_distance
        )
        if distance <= limit and _copies(first, second, distance, limit, judge):
            pair = (min(first.session, second.session), max(first.session, second.session))
            shared[pair].append((first, second, distance))
    drafts += [_shared(sessions, len(today), pair, m, context) for pair, m in shared.items()]
    return drafts


def _nearest_candidates(
    pairs: list[tuple[int, int, int]], owner: np.ndarray, per_photo: int | None
) -> list[tuple[int, int, int]]:
    """The pairs to judge: all of them without a cap; with one, for each photo only its
    ``per_photo`` nearest partners in other sessions (by distance, then index: earlier photos
    come first in the look-back), each pair kept once."""
    if per_photo is None:
        return pairs
    partners: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for i, j, distance in pairs:
        if owner[i] != owner[j]:
            partners[i].append((distance, j))
            partners[j].append((distance, i))
    kept: set[tuple[int, int, int]] = set()
    for i, near in partners.items():
        for distance, j in sorted(near)[:per_photo]:
            kept.add((min(i, j), max(i, j), distance))
    return sorted(kept)


def _replayed(
    sessions: list[SessionData],
    index: int,
    matches: list[tuple[_Shot, _Shot, int]],
    context: ScanContext,
) -> Draft:
    """PHOTO_REPLAYED for one session: its photos that repeat the student's other sessions."""
    session = sessions[index]
    closest: dict[int, tuple[int, _Shot, _Shot]] = {}  # ordinal -> (distance, later, original)
    for later, original, distance in sorted(
        matches, key=lambda m: (m[2], m[1].photo.at, m[1].photo.id)
    ):
        closest.setdefault(later.ordinal, (distance, later, original))
    ordinals = sorted(closest)
    distances = [closest[o][0] for o in ordinals]
    others = sorted({sessions[original.session].rnum for _, original, _ in matches})
    photos = sorted({s.photo.id for later, original, _ in matches for s in (later, original)})
    fingerprints = {str(s.photo.id): s.photo.fingerprint for m in matches for s in (m[0], m[1])}
    return session_draft(
        "PHOTO_REPLAYED",
        session,
        context,
        severity="high",
        zh=(
            f"第{join_numbers(ordinals)}张照片与其本人另外{len(others)}次培训（{join_numbers(others)}）中的"
            f"照片几乎相同（汉明距离{join_numbers(distances)}），疑似重复使用旧照片（照片机）。"
        ),
        en=(
            f"photo {join_numbers(ordinals, ', ')} near-identical to photos of the student's "
            f"{len(others)} other session(s) {join_numbers(others, ', ')} (Hamming distance "
            f"{join_numbers(distances, ', ')}). "
            "Old photos replayed by a photo machine are suspected."
        ),
        score=float(len(ordinals)),
        # Only the replaying session is the finding's log: the sessions it copies from are
        # the originals (named in the evidence), and voiding them would punish honest hours.
        evidence={
            "sources": others,
            "photos": photos,
            "fingerprints": fingerprints,
            "pairs": sorted(
                [later.photo.id, original.photo.id, distance]
                for later, original, distance in matches
            ),
            "figures": {
                "replayed_photos": len(ordinals),
                "other_sessions": len(others),
                "min_distance": min(distances),
            },
        },
    )


def _shared(
    sessions: list[SessionData],
    today: int,
    pair: tuple[int, int],
    matches: list[tuple[_Shot, _Shot, int]],
    context: ScanContext,
) -> Draft:
    """FACE_SHARED for one pair of sessions of different students.

    The finding is told from the later-starting session (the copy; the earlier one is where
    the picture was first taken), whichever list it came in: a scan split by city sees a pair
    across two cities from both sides and must tell it the same way. Its key names both rnums,
    sorted.
    """
    main, other = sessions[pair[0]], sessions[pair[1]]  # pair[0] is always of the day
    if (other.start, other.rnum) > (main.start, main.rnum):
        main, other = other, main
    mine: dict[int, int] = {}
    theirs: dict[int, int] = {}
    for a, b, distance in matches:
        own, foreign = (a, b) if sessions[a.session] is main else (b, a)
        mine[own.ordinal] = min(distance, mine.get(own.ordinal, distance))
        theirs[foreign.ordinal] = min(distance, theirs.get(foreign.ordinal, distance))
    ordinals = sorted(mine)
    distances = [mine[o] for o in ordinals]
    rnums = sorted([main.rnum, other.rnum])
    return session_draft(
        "FACE_SHARED",
        main,
        context,
        key=f"FACE_SHARED:{rnums[0]}:{rnums[1]}",
        severity="high",
        zh=(
            f"第{join_numbers(ordinals)}张照片与学员{other.stunum}在{local_start(other)}开始的培训"
            f"（{other.rnum}）中第{join_numbers(sorted(theirs))}张照片几乎相同（汉明距离"
            f"{join_numbers(distances)}），同一张照片出现在两名学员的培训中，"
            "疑似他人代学（替学）或冒用照片。"
        ),
        en=(
            f"photo {join_numbers(ordinals, ', ')} near-identical to photo "
            f"{join_numbers(sorted(theirs), ', ')} of session {other.rnum} of student "
            f"{other.stunum} starting {local_start(other)} (Hamming "
            f"distance {join_numbers(distances, ', ')}): one picture in two students' sessions, a "
            "stand-in or a borrowed photo is suspected."
        ),
        score=float(len(ordinals)),
        # The later session is told as the copy; the earlier one, where the picture was first
        # taken, is named in the evidence but is not a log of the finding (it may be honest).
        evidence={
            "sources": [other.rnum],
            "photos": sorted({s.photo.id for m in matches for s in (m[0], m[1])}),
            "students": [main.stunum, other.stunum],
            "fingerprints": {
                str(s.photo.id): s.photo.fingerprint for m in matches for s in (m[0], m[1])
            },
            "pairs": sorted(
                [*sorted([a.photo.id, b.photo.id]), distance] for a, b, distance in matches
            ),
            "figures": {
                "shared_photos": len(ordinals),
                "min_distance": min(distances),
                "same_school": int(main.inscode == other.inscode),
            },
        },
    )
