"""Photo rules: slots, PHOTO_GAP, sign-in/out, two bad photos, face match and 照片机."""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta

from jiapei.audit.facts import PhotoFact, SessionFact
from jiapei.audit.rules.photos import (
    face_bar,
    hamming_hex,
    photo_gap_minutes,
    photo_slots,
    reused_pairs,
    session_photo_codes,
)
from jiapei.audit.tests import builders as b

T = b.thresholds()
START = b.when(9)


def honest(count: int = 60) -> SessionFact:
    return b.session(1, START, count)


def with_photos(photos: list[PhotoFact], count: int = 60) -> SessionFact:
    return b.session(1, START, count, photo_list=photos)


def drop(photos: list[PhotoFact], *offsets: int) -> list[PhotoFact]:
    """The photos without those taken ``offsets`` minutes after the start."""
    gone = {START + timedelta(minutes=o) for o in offsets}
    return [p for p in photos if p.at not in gone]


def fail(photos: list[PhotoFact], offset: int) -> list[PhotoFact]:
    moment = START + timedelta(minutes=offset)
    return [dataclasses.replace(p, confidence=30) if p.at == moment else p for p in photos]


def gap_minutes(s: SessionFact) -> list[datetime]:
    ids = set(photo_gap_minutes(s.minutes, photo_slots(s, T), T))
    return [m.at for m in s.minutes if m.id in ids]


def test_honest_session_has_only_good_slots() -> None:
    s = honest()
    slots = photo_slots(s, T)
    assert [slot.kind for slot in slots] == ["signin", "timed", "timed", "timed", "signout"]
    assert not any(slot.bad for slot in slots)
    assert photo_gap_minutes(s.minutes, slots, T) == []
    assert session_photo_codes(s, T) == []


def test_missing_timed_photo_voids_fifteen_minutes_around_it() -> None:
    s = with_photos(drop(b.photos(START, 60), 30))
    slots = photo_slots(s, T)
    assert [(x.at - START, x.state) for x in slots if x.bad] == [(timedelta(minutes=30), "missing")]
    flagged = gap_minutes(s)
    assert len(flagged) == 15
    assert flagged[0] == b.when(9, 23, 59) and flagged[-1] == b.when(9, 37, 59)
    assert session_photo_codes(s, T) == []  # one missing photo costs minutes, not the session


def test_late_photo_within_grace_is_not_missing() -> None:
    photos = [
        PhotoFact(START + timedelta(minutes=15, seconds=40), 5, 95, "1" * 16)
        if p.at == START + timedelta(minutes=15)
        else p
        for p in b.photos(START, 60)
    ]
    assert gap_minutes(with_photos(photos)) == []


def test_failed_photo_voids_minutes_and_reports_face_mismatch() -> None:
    s = with_photos(fail(b.photos(START, 60), 15))
    assert len(gap_minutes(s)) == 15
    assert session_photo_codes(s, T) == ["FACE_MISMATCH"]


def test_photo_without_confidence_passes_unless_required() -> None:
    s = with_photos(b.photos(START, 60, confidence=None))
    assert gap_minutes(s) == []
    strict = b.thresholds(photo_require_confidence=True)
    assert "TWO_BAD_PHOTOS" in session_photo_codes(s, strict)


def test_missing_signin_and_signout() -> None:
    s = with_photos(b.photos(START, 60, signin=False, signout=False))
    assert session_photo_codes(s, T) == ["SIGNIN_PHOTO_MISSING", "SIGNOUT_PHOTO_MISSING"]
    flagged = gap_minutes(s)
    assert flagged[0] == b.when(9, 0, 59) and b.when(9, 59, 59) in flagged
    assert session_photo_codes(honest(), T) == []


def test_two_consecutive_bad_photos_void_the_session() -> None:
    s = with_photos(drop(b.photos(START, 60), 15, 30))
    assert "TWO_BAD_PHOTOS" in session_photo_codes(s, T)
    mixed = with_photos(fail(drop(b.photos(START, 60), 15), 30))
    assert "TWO_BAD_PHOTOS" in session_photo_codes(mixed, T)
    apart = with_photos(drop(b.photos(START, 60), 15, 45))
    assert "TWO_BAD_PHOTOS" not in session_photo_codes(apart, T)


def test_a_long_silence_counts_every_missing_slot() -> None:
    photos = [p for p in b.photos(START, 60) if p.event in (17, 18)]
    slots = photo_slots(with_photos(photos), T)
    assert [x.at - START for x in slots if x.state == "missing"] == [
        timedelta(minutes=15),
        timedelta(minutes=30),
        timedelta(minutes=45),
    ]


def test_photos_outside_the_session_and_coach_photos_do_not_count() -> None:
    photos = drop(b.photos(START, 60), 15)
    photos.append(PhotoFact(START + timedelta(minutes=15), 20, 99, "2" * 16))  # coach photo
    photos.append(PhotoFact(START - timedelta(hours=1), 5, 99, "3" * 16))
    s = with_photos(photos)
    assert [x.at - START for x in photo_slots(s, T) if x.bad] == [timedelta(minutes=15)]


def test_photo_reused_near_identical_fingerprints() -> None:
    photos = b.photos(START, 60)
    close = f"{int(photos[1].fingerprint or '0', 16) ^ 0b11:016x}"  # 2 bits differ
    reused = [*photos[:2], dataclasses.replace(photos[2], fingerprint=close), *photos[3:]]
    checked = b.thresholds(photo_reuse_check=True)
    assert "PHOTO_REUSED" in session_photo_codes(with_photos(reused), checked)
    assert reused_pairs(reused, T) == [(1, 2)]
    assert "PHOTO_REUSED" not in session_photo_codes(honest(), checked)
    # Off by default: a fixed camera's honest photos of one seated student hash alike.
    assert "PHOTO_REUSED" not in session_photo_codes(with_photos(reused), T)


def test_same_capture_uploaded_twice_is_not_reuse() -> None:
    photos = b.photos(START, 60)
    assert reused_pairs([*photos, photos[2]], T) == []


def test_hamming_hex() -> None:
    assert hamming_hex("ff00", "ff01") == 1
    assert hamming_hex("ff00", "ff0") is None
    assert hamming_hex("zz", "zz") is None
    assert hamming_hex("", "") is None


def test_random_honest_fingerprints_are_far_apart() -> None:
    rng = random.Random(7)
    prints = [b.fingerprint(rng) for _ in range(200)]
    distances = [
        hamming_hex(a, c) or 0 for i, a in enumerate(prints) for c in prints[i + 1 : i + 5]
    ]
    assert min(distances) > T.photo_reuse_max_distance


def test_a_poor_camera_is_judged_against_its_own_distribution() -> None:
    # A car whose honest photos score ~13 points lower than a good camera's (issue 19).
    photos = [dataclasses.replace(p, confidence=70) for p in honest().photos]
    poor = with_photos(photos)
    assert "FACE_MISMATCH" in session_photo_codes(poor, T)
    calibrated = dataclasses.replace(
        poor, terminal_confidence_median=77.0, terminal_confidence_photos=40
    )
    assert session_photo_codes(calibrated, T) == []
    assert face_bar(T, 77.0, 40) == 67.0
    # A stand-in far below the terminal's own median still fails.
    stand_in = dataclasses.replace(
        calibrated, photos=tuple(dataclasses.replace(p, confidence=55) for p in photos)
    )
    assert "FACE_MISMATCH" in session_photo_codes(stand_in, T)


def test_calibration_needs_enough_photos_and_is_bounded() -> None:
    assert face_bar(T, 60.0, 5) == T.face_confidence_min  # too few photos to trust
    assert face_bar(T, 95.0, 100) == T.face_confidence_min  # a good camera is not raised
    assert face_bar(T, 40.0, 100) == T.face_confidence_min - T.face_calibration_max_shift
    off = dataclasses.replace(T, face_calibrate_per_terminal=False)
    assert face_bar(off, 60.0, 100) == T.face_confidence_min
