"""Photo rules (standards.md §4.2 R2, §4.3): timed photos, sign-in/out photos, face match, 照片机.

The face-match pass mark is calibrated per terminal (:func:`face_bar`): a camera whose honest
confidences sit low is judged against its own distribution, not the province's fixed bar.

A session is read as a sequence of photo *slots*: the sign-in photo at login, a timed photo
every ``photo_interval_minutes`` and the sign-out photo at logout. A slot is "ok", "failed"
(face-match confidence below the minimum) or "missing" (no photo where the terminal should
have taken one). Bad slots void the minutes within ±``photo_window_minutes`` of them; two bad
slots in a row void the whole session.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from jiapei.audit.facts import MinuteFact, PhotoFact, SessionFact
from jiapei.audit.reasons import ordered
from jiapei.audit.rules.common import minute_span
from jiapei.audit.thresholds import Thresholds

EVENT_TIMED = 5
EVENT_SIGNIN = 17
EVENT_SIGNOUT = 18
EVENT_DURING = 19
STUDENT_EVENTS = (EVENT_TIMED, EVENT_SIGNIN, EVENT_SIGNOUT, EVENT_DURING)
_KIND_RANK = {"signin": 0, "timed": 1, "signout": 2}


@dataclass(frozen=True)
class PhotoSlot:
    """One expected photo: when, which kind ("signin"/"timed"/"signout") and its state."""

    at: datetime
    kind: str
    state: str  # "ok" | "failed" | "missing"

    @property
    def bad(self) -> bool:
        return self.state != "ok"


def face_bar(thresholds: Thresholds, median: float | None = None, photos: int = 0) -> float:
    """The face-match pass mark for a terminal whose confidences over the calibration window
    have ``median`` (over ``photos`` photos): ``face_confidence_min``, lowered by as much as
    the terminal's median lies below ``face_reference_median`` (at most
    ``face_calibration_max_shift``) when calibration is on and the window holds enough photos.
    A camera that scores everyone low is judged against its own honest distribution."""
    bar = float(thresholds.face_confidence_min)
    if (
        not thresholds.face_calibrate_per_terminal
        or median is None
        or photos < thresholds.face_calibration_min_photos
    ):
        return bar
    shift = min(max(thresholds.face_reference_median - median, 0.0),
                float(thresholds.face_calibration_max_shift))  # fmt: skip
    return bar - shift


def session_face_bar(session: SessionFact, thresholds: Thresholds) -> float:
    """:func:`face_bar` for the terminal that recorded ``session``."""
    return face_bar(
        thresholds, session.terminal_confidence_median, session.terminal_confidence_photos
    )


def photo_failed(photo: PhotoFact, thresholds: Thresholds, bar: float | None = None) -> bool:
    """Whether a photo fails face matching against ``bar`` (default: the uncalibrated
    ``face_confidence_min``); no confidence fails only if so configured."""
    if photo.confidence is None:
        return thresholds.photo_require_confidence
    return photo.confidence < (thresholds.face_confidence_min if bar is None else bar)


def student_photos(session: SessionFact, thresholds: Thresholds) -> list[PhotoFact]:
    """The student's photos taken within the login–logout window (plus edge slack), in order.

    Coach photos (events 20/21) and photos outside the window do not count (R2a).
    """
    edge = timedelta(seconds=thresholds.photo_edge_seconds)
    low, high = session.start - edge, session.end + edge
    chosen = [p for p in session.photos if p.event in STUDENT_EVENTS and low <= p.at <= high]
    return sorted(chosen, key=lambda p: (p.at, p.event, p.confidence or -1, p.fingerprint or ""))


def _slot(photo: PhotoFact, kind: str, thresholds: Thresholds, bar: float) -> PhotoSlot:
    return PhotoSlot(photo.at, kind, "failed" if photo_failed(photo, thresholds, bar) else "ok")


def photo_slots(session: SessionFact, thresholds: Thresholds) -> list[PhotoSlot]:
    """Return the session's photo slots in time order, missing ones included.

    The first sign-in photo and the last sign-out photo anchor the ends (a missing one is a
    missing slot at login or logout time); timed and in-training photos fill the middle.
    Between two neighbouring slots further apart than the interval plus the grace, the slots
    the terminal should have taken at every interval after the earlier one are missing.
    """
    photos = student_photos(session, thresholds)
    bar = session_face_bar(session, thresholds)
    signins = [p for p in photos if p.event == EVENT_SIGNIN]
    signouts = [p for p in photos if p.event == EVENT_SIGNOUT]
    slots = [
        _slot(signins[0], "signin", thresholds, bar)
        if signins
        else PhotoSlot(session.start, "signin", "missing")
    ]
    slots += [_slot(p, "timed", thresholds, bar) for p in photos if p.event in (5, 19)]
    slots.append(
        _slot(signouts[-1], "signout", thresholds, bar)
        if signouts
        else PhotoSlot(session.end, "signout", "missing")
    )
    slots.sort(key=lambda s: (s.at, _KIND_RANK[s.kind]))

    interval = timedelta(minutes=thresholds.photo_interval_minutes)
    grace = timedelta(seconds=thresholds.photo_grace_seconds)
    filled: list[PhotoSlot] = [slots[0]]
    for slot in slots[1:]:
        gap = slot.at - filled[-1].at
        if gap > interval + grace:
            # A late photo within the grace still fills its slot, hence "gap - grace".
            count = math.ceil((gap - grace) / interval) - 1
            anchor = filled[-1].at
            filled += [
                PhotoSlot(anchor + k * interval, "timed", "missing") for k in range(1, count + 1)
            ]
        filled.append(slot)
    return filled


def photo_gap_minutes(
    minutes: Sequence[MinuteFact], slots: Sequence[PhotoSlot], thresholds: Thresholds
) -> list[int]:
    """PHOTO_GAP: ids of the minutes that overlap ±window around any bad slot."""
    reach = timedelta(minutes=thresholds.photo_window_minutes)
    bad = [s.at for s in slots if s.bad]
    flagged = []
    for minute in minutes:
        start, end = minute_span(minute)
        if any(start <= at + reach and end > at - reach for at in bad):
            flagged.append(minute.id)
    return sorted(flagged)


def hamming_hex(first: str, second: str) -> int | None:
    """Bit distance between two hex fingerprints of equal length, else ``None``."""
    if len(first) != len(second) or not first:
        return None
    try:
        return (int(first, 16) ^ int(second, 16)).bit_count()
    except ValueError:
        return None


def reused_pairs(photos: Sequence[PhotoFact], thresholds: Thresholds) -> list[tuple[int, int]]:
    """PHOTO_REUSED: index pairs (into ``photos``) of near-identical fingerprints.

    Two records with the same capture time are one photo uploaded twice, not a reuse.
    """
    pairs = []
    for i, first in enumerate(photos):
        for j in range(i + 1, len(photos)):
            second = photos[j]
            if first.fingerprint is None or second.fingerprint is None or first.at == second.at:
                continue
            distance = hamming_hex(first.fingerprint, second.fingerprint)
            if distance is not None and distance <= thresholds.photo_reuse_max_distance:
                pairs.append((i, j))
    return pairs


def two_bad_in_a_row(slots: Sequence[PhotoSlot]) -> bool:
    """TWO_BAD_PHOTOS: whether two neighbouring slots are both missing or failed."""
    return any(a.bad and b.bad for a, b in itertools.pairwise(slots))


def session_photo_codes(session: SessionFact, thresholds: Thresholds) -> list[str]:
    """Session-level photo codes in canonical order.

    SIGNIN/SIGNOUT_PHOTO_MISSING and FACE_MISMATCH describe the session; their minutes are
    voided by PHOTO_GAP. TWO_BAD_PHOTOS and PHOTO_REUSED void the whole session (the engine
    decides which codes void; see ``engine.VOIDING``).
    """
    slots = photo_slots(session, thresholds)
    codes = []
    if any(s.kind == "signin" and s.state == "missing" for s in slots):
        codes.append("SIGNIN_PHOTO_MISSING")
    if any(s.kind == "signout" and s.state == "missing" for s in slots):
        codes.append("SIGNOUT_PHOTO_MISSING")
    if two_bad_in_a_row(slots):
        codes.append("TWO_BAD_PHOTOS")
    if any(s.state == "failed" for s in slots):
        codes.append("FACE_MISMATCH")
    if thresholds.photo_reuse_check and reused_pairs(
        student_photos(session, thresholds), thresholds
    ):
        codes.append("PHOTO_REUSED")
    return ordered(codes)
