"""Photo detectors: frozen and replayed pictures, one picture in two students' sessions, and
face-match confidences. Hand-built facts for the rules, simulator photos for the measurements."""

from __future__ import annotations

import dataclasses
import io
import itertools
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pytest
from PIL import Image

from jiapei.fraud.detectors import faces
from jiapei.fraud.detectors import photos as detector
from jiapei.fraud.detectors.base import Draft, PhotoData, ScanContext, SessionData
from jiapei.fraud.detectors.photos import PhotoParams, near_pairs
from jiapei.fraud.params import Params
from jiapei.sim.photos import live_photo, near_copy
from jiapei.training.services.logs import fingerprint


def detect(context: ScanContext) -> list[Draft]:
    """The picture detectors and the confidence detectors together, sorted by key."""
    return sorted(detector.detect(context) + faces.detect(context), key=lambda d: d.key)


DAY = date(2026, 11, 20)
_ids = itertools.count(1)


def at(hour: int, minute: int = 0, second: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute, second))


def random_fp(rng: random.Random) -> str:
    """A 64-bit fingerprint with 32 bits set, like every pHash of a real picture."""
    bits = rng.sample(range(64), 32)
    return f"{sum(1 << b for b in bits):016x}"


def flip(fp: str, count: int, offset: int = 0) -> str:
    """``fp`` with ``count`` bits flipped: a fingerprint exactly ``count`` bits away."""
    value = int(fp, 16)
    for bit in range(offset, offset + count):
        value ^= 1 << (bit * 7 % 64)
    return f"{value:016x}"


def photo(when: datetime, fp: str | None, event: int = 5, confidence: int | None = 90) -> PhotoData:
    return PhotoData(next(_ids), when, event, confidence, fp)


def session(
    rnum: str,
    fps: list[str | None] | None = None,
    *,
    stunum: str = "S1",
    start: datetime | None = None,
    inscode: str = "I1",
    confidences: list[int | None] | None = None,
    rng: random.Random | None = None,
) -> SessionData:
    """A practical session with a sign-in photo, one every 15 minutes and a sign-out photo.

    ``fps`` are the photos' fingerprints (random distinct ones if not given, 5 photos)."""
    start = start or at(9)
    rng = rng or random.Random(rnum)
    count = len(fps) if fps is not None else len(confidences) if confidences else 5
    fps = fps if fps is not None else [random_fp(rng) for _ in range(count)]
    confidences = confidences or [90] * count
    events = [17] + [5] * (count - 2) + [18]
    times = [start + timedelta(seconds=10)]
    times += [start + timedelta(minutes=15 * k) for k in range(1, count - 1)]
    times.append(start + timedelta(minutes=15 * (count - 1), seconds=-10))
    shots = tuple(
        photo(w, fp, e, c) for w, fp, e, c in zip(times, fps, events, confidences, strict=True)
    )
    end = start + timedelta(minutes=15 * (count - 1))
    return SessionData(
        log_id=next(_ids), rnum=rnum, stunum=stunum, inscode=inscode, platnum="P1",
        coach="C1", car="K1", devnum="D1", mode=1, part=2, start=start, end=end, photos=shots,
    )  # fmt: skip


def context(
    sessions: list[SessionData], earlier: list[SessionData] = (), **params: object
) -> ScanContext:
    return ScanContext(
        day=DAY,
        sessions=list(sessions),
        earlier=list(earlier),
        params=Params(photos=PhotoParams(**params)),  # type: ignore[arg-type]
    )


def found(drafts: list, code: str | None = None) -> list[str]:
    return [d.key for d in drafts if code is None or d.detector == code]


RNG = random.Random(7)
A, B, C = (random_fp(RNG) for _ in range(3))


# -- PHOTO_FROZEN ---------------------------------------------------------------------------


def test_frozen_photos_in_one_session_make_one_finding():
    s = session("R1", [A, B, A, flip(A, 1), random_fp(RNG)])
    drafts = detect(context([s]))
    assert found(drafts) == ["PHOTO_FROZEN:R1"]
    d = drafts[0]
    # From the hashes alone (no pictures at hand) the finding is not certain: medium.
    assert (d.severity, d.score, d.logs, d.stunum) == ("medium", 2.0, ["R1"], "S1")
    assert "第3、4张照片与第1张几乎相同（汉明距离0、1）" in d.summary
    assert "photo 3, 4 near-identical to photo 1" in d.summary_en
    ids = [p.id for p in s.photos]
    assert d.evidence["pairs"] == [[ids[0], ids[2], 0], [ids[0], ids[3], 1]]
    assert d.evidence["fingerprints"][str(ids[3])] == flip(A, 1)
    assert d.evidence["figures"] == {
        "photos": 5,
        "repeated": 2,
        "max_distance": 1,
        "pixels_checked": 0,
    }


def test_frozen_bound_is_inclusive_and_a_near_miss_is_not_flagged():
    assert found(detect(context([session("R1", [A, B, flip(A, 4)])]))) == ["PHOTO_FROZEN:R1"]
    assert found(detect(context([session("R1", [A, B, flip(A, 6)])]))) == []
    assert found(detect(context([session("R1", [A, B, flip(A, 6)])], frozen_max_distance=6)))


def test_one_photo_recorded_twice_is_not_a_frozen_camera():
    s = session("R1", [A, B, C])
    twice = dataclasses.replace(s.photos[1], id=next(_ids))  # same capture time
    s = dataclasses.replace(s, photos=(*s.photos, twice))
    assert detect(context([s])) == []


def test_a_covered_camera_is_frozen_but_not_shared_between_students():
    black = "0000000000000000"
    one = session("R1", [A, black, black], stunum="S1")
    two = session("R2", [B, black, black], stunum="S2", start=at(11))
    assert found(detect(context([one, two]))) == ["PHOTO_FROZEN:R1", "PHOTO_FROZEN:R2"]


def test_malformed_and_coach_photos_are_ignored():
    s = session("R1", [A, "zz" * 8, None, "abc"])
    coach = PhotoData(next(_ids), at(9, 20), 20, 90, A)  # event 20: the coach's photo
    assert detect(context([dataclasses.replace(s, photos=(*s.photos, coach))])) == []


# -- PHOTO_REPLAYED -------------------------------------------------------------------------


def test_a_photo_of_an_earlier_session_of_the_student_is_replayed():
    old = session("R0", [A, B, C], start=at(9, day=DAY - timedelta(days=12)))
    new = session("R1", [random_fp(RNG), flip(B, 2), flip(C, 4)])
    drafts = detect(context([new], [old]))
    assert found(drafts) == ["PHOTO_REPLAYED:R1"]
    d = drafts[0]
    assert (d.logs, d.score, d.severity) == (["R1"], 2.0, "high")
    assert d.evidence["sources"] == ["R0"]  # the original is evidence, not a log
    assert "第2、3张照片与其本人另外1次培训（R0）中的照片几乎相同（汉明距离2、4）" in d.summary
    assert d.evidence["figures"] == {"replayed_photos": 2, "other_sessions": 1, "min_distance": 2}


def test_replay_near_miss_and_other_students_are_not_replays():
    old = session("R0", [A, B, C], start=at(9, day=DAY - timedelta(days=1)))
    assert detect(context([session("R1", [flip(A, 6), random_fp(RNG)])], [old])) == []
    # The same picture in another student's session is FACE_SHARED, not a replay.
    other = session("R1", [flip(A, 4), random_fp(RNG)], stunum="S2")
    assert found(detect(context([other], [old])), "PHOTO_REPLAYED") == []


def test_of_two_sessions_of_the_day_only_the_later_one_replays():
    morning = session("R1", [A, B, C], start=at(8))
    evening = session("R2", [random_fp(RNG), B, random_fp(RNG)], start=at(18))
    drafts = detect(context([evening, morning]))
    assert found(drafts) == ["PHOTO_REPLAYED:R2"]
    assert drafts[0].logs == ["R2"] and drafts[0].evidence["sources"] == ["R1"]


def test_a_photo_attached_to_two_overlapping_sessions_is_no_replay():
    one = session("R1", [A, B, C], start=at(8))
    two = dataclasses.replace(one, rnum="R2", log_id=next(_ids), photos=one.photos[1:2])
    assert found(detect(context([one, two]))) == []


# -- FACE_SHARED ----------------------------------------------------------------------------


def test_one_picture_in_two_students_sessions_of_one_school():
    old = session("R9", [A, B, C], stunum="S9", start=at(10, day=DAY - timedelta(days=3)))
    new = session("R1", [random_fp(RNG), random_fp(RNG), flip(B, 2)], stunum="S1")
    drafts = detect(context([new], [old]))
    assert found(drafts) == ["FACE_SHARED:R1:R9"]
    d = drafts[0]
    assert (d.stunum, d.logs, d.severity) == ("S1", ["R1"], "high")
    assert d.evidence["sources"] == ["R9"]
    assert "第3张照片与学员S9在2026-11-17 10:00开始的培训（R9）中第2张照片几乎相同" in d.summary
    assert d.evidence["students"] == ["S1", "S9"]
    assert d.evidence["figures"] == {"shared_photos": 1, "min_distance": 2, "same_school": 1}


def test_shared_near_miss_and_other_schools_need_an_exact_copy():
    old = session("R9", [A, B, C], stunum="S9", start=at(10, day=DAY - timedelta(days=3)))
    near = session("R1", [flip(B, 4), random_fp(RNG)], stunum="S1")
    assert detect(context([near], [old])) == []
    elsewhere = dataclasses.replace(old, inscode="I2")
    copied = session("R1", [flip(B, 2), random_fp(RNG)], stunum="S1")
    assert detect(context([copied], [elsewhere])) == []
    exact = session("R1", [B, random_fp(RNG)], stunum="S1")
    drafts = detect(context([exact], [elsewhere]))
    assert found(drafts) == ["FACE_SHARED:R1:R9"]
    assert drafts[0].evidence["figures"]["same_school"] == 0


def test_a_shared_pair_of_the_day_is_one_finding_told_from_the_later_session():
    first = session("R7", [A, B, C], stunum="S7", start=at(8))
    second = session("R3", [random_fp(RNG), B], stunum="S3", start=at(15))
    for order in ([first, second], [second, first]):
        drafts = detect(context(order))
        assert found(drafts) == ["FACE_SHARED:R3:R7"]
        assert (drafts[0].stunum, drafts[0].logs) == ("S3", ["R3"])
        assert drafts[0].evidence["sources"] == ["R7"]


def test_keys_are_stable_across_rescans_and_input_order():
    rng = random.Random(3)
    old = session("R0", [A, B, C], start=at(9, day=DAY - timedelta(days=2)))
    sessions = [
        session("R1", [A, random_fp(rng), A]),
        session("R2", [random_fp(rng), C], start=at(14)),
        session("R3", [B, random_fp(rng)], stunum="S3", start=at(16)),
        session("R4", confidences=[90, 50, 40, 45]),
    ]
    first = detect(context(sessions, [old]))
    again = detect(context(list(reversed(sessions)), [old, old]))
    assert [(d.key, d.summary, d.logs) for d in first] == [
        (d.key, d.summary, d.logs) for d in again
    ]
    assert found(first) == [
        "FACE_FALLING:R4",
        "FACE_SHARED:R0:R3",
        "PHOTO_FROZEN:R1",
        "PHOTO_REPLAYED:R1",
        "PHOTO_REPLAYED:R2",
    ]
    # The day after, the pair R0/R3 is met again from the other side: the same key.
    later = ScanContext(
        day=DAY + timedelta(days=1), sessions=[session("R5", [B, random_fp(rng)], stunum="S5")],
        earlier=[old, sessions[2]], params=Params(),
    )  # fmt: skip
    assert found(detect(later), "FACE_SHARED") == ["FACE_SHARED:R0:R5", "FACE_SHARED:R3:R5"]


# -- FACE_LOW, FACE_FALLING -----------------------------------------------------------------


def test_low_confidences_overall():
    drafts = detect(context([session("R1", confidences=[72, 60, 68, 74, 90])]))
    assert found(drafts) == ["FACE_LOW:R1"]
    d = drafts[0]
    assert (d.severity, d.score) == ("medium", 72.0)
    assert "5张照片的人脸比对置信度为72、60、68、74、90，中位数仅72，低于80" in d.summary


def test_one_bad_photo_or_too_few_photos_are_not_low():
    assert detect(context([session("R1", confidences=[95, 30, 92, 88])])) == []
    assert detect(context([session("R1", confidences=[81, 75, 90])])) == []
    assert detect(context([session("R1", confidences=[60, None, 62, None])])) == []


def test_confidence_falling_after_the_sign_in():
    drafts = detect(context([session("R1", confidences=[96, 52, 48, 60, 88])]))
    assert found(drafts) == ["FACE_FALLING:R1"]  # and not FACE_LOW as well
    d = drafts[0]
    assert (d.severity, d.score) == ("medium", 40.0)
    assert (
        "签到照片的人脸比对置信度为96，其后4张照片为52、48、60、88（中位数56，下降40）" in d.summary
    )


def test_falling_near_misses():
    # One blurred photo after the sign-in is the audit's FACE_MISMATCH, not a takeover.
    assert detect(context([session("R1", confidences=[95, 40, 90])])) == []
    # A doubtful sign-in followed by low photos is low overall, not a fall.
    assert found(detect(context([session("R1", confidences=[78, 50, 55, 60])]))) == ["FACE_LOW:R1"]
    # Low afterwards but not low overall (the later median passes).
    assert detect(context([session("R1", confidences=[84, 72, 75, 90, 91])])) == []
    # Two later photos fail, but the fall from the sign-in is under 10 points.
    assert detect(context([session("R1", confidences=[85, 79, 78, 90])])) == []


# -- the fast comparison --------------------------------------------------------------------


@pytest.mark.parametrize("bound", [0, 2, 4, 7])
def test_banded_search_finds_exactly_the_pairs_a_full_comparison_finds(bound):
    rng = np.random.default_rng(bound)
    values = rng.integers(0, 2**63, 600, dtype=np.uint64) * np.uint64(2)
    values[300:400] = values[:100] ^ np.uint64(0b1011)  # 3 bits apart from the first ones
    values[400:450] = values[100:150]  # exact copies
    groups = rng.integers(0, 3, 600)
    groups[400:450] = groups[100:150]
    queries = 350
    expected = set()
    for i in range(queries):
        for j in range(len(values)):
            distance = int(values[i] ^ values[j]).bit_count()
            if i != j and (j >= queries or i < j) and groups[i] == groups[j] and distance <= bound:
                expected.add((i, j, distance))
    assert set(near_pairs(values, groups, queries, bound)) == expected
    assert len(expected) >= 50


# -- measurements with simulator photos -----------------------------------------------------


@dataclass
class Corpus:
    today: list[SessionData]
    earlier: list[SessionData]
    content: dict[int, bytes]  # photo id -> JPEG bytes


def _resized(content: bytes, quality: int = 60, scale: float = 0.8) -> bytes:
    image = Image.open(io.BytesIO(content)).convert("RGB")
    image = image.resize((int(image.width * scale), int(image.height * scale)))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _sim_session(rnum, stunum, seed, inscode, start, rng, content) -> SessionData:
    shots = []
    for k, minute in enumerate((0, 15, 30, 45, 60)):
        data = live_photo(seed, f"{stunum}:{start:%Y%m%d%H%M}:{k}")
        event = 17 if k == 0 else 18 if k == 4 else 5
        when = start + timedelta(minutes=minute, seconds=10 if k < 4 else -10)
        shot = PhotoData(next(_ids), when, event, rng.randrange(80, 100), fingerprint(data))
        content[shot.id] = data
        shots.append(shot)
    return SessionData(
        log_id=next(_ids), rnum=rnum, stunum=stunum, inscode=inscode, platnum="P1",
        coach="C1", car="K1", devnum="D1", mode=1, part=2, start=start,
        end=start + timedelta(minutes=60), photos=tuple(shots),
    )  # fmt: skip


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    """300 students of 6 schools, each with one session of the day and one of the 30 days
    before, photographed like the simulator does (``live_photo``, ~5 photos, confidence 80–99)
    and fingerprinted like ingest does."""
    rng = random.Random(2026)
    today, earlier, content = [], [], {}
    for n in range(300):
        school, i = divmod(n, 50)
        seed = (school + 1) * 100000 + 500 + i
        stunum, inscode = f"S{n:03d}", f"I{school}"
        start = at(7 + n % 12, n % 4 * 5)
        today.append(_sim_session(f"T{n:03d}", stunum, seed, inscode, start, rng, content))
        past = start - timedelta(days=1 + n % 30)
        earlier.append(_sim_session(f"E{n:03d}", stunum, seed, inscode, past, rng, content))
    return Corpus(today, earlier, content)


def _plant(corpus: Corpus, index: int, k: int, data: bytes) -> SessionData:
    """Session ``index`` of the day with its photo ``k`` replaced by ``data``."""
    s = corpus.today[index]
    shots = list(s.photos)
    shots[k] = dataclasses.replace(shots[k], fingerprint=fingerprint(data))
    return dataclasses.replace(s, photos=tuple(shots))


def test_honest_simulated_sessions_are_not_flagged(corpus):
    drafts = detect(context(corpus.today, corpus.earlier))
    flagged = {rnum for d in drafts for rnum in d.logs}
    # Measured: no honest session is flagged (the target allows 1 %, 3 of 300).
    assert len(flagged) <= 3, found(drafts)


PLANTS = {
    # name: (detector, the planted photo's content from (corpus, index))
    "identical": ("PHOTO_FROZEN", lambda c, i: c.content[c.today[i].photos[0].id]),
    "near copy": ("PHOTO_FROZEN", lambda c, i: near_copy(c.content[c.today[i].photos[0].id])),
    "resized": ("PHOTO_FROZEN", lambda c, i: _resized(c.content[c.today[i].photos[1].id])),
    "re-encoded": (
        "PHOTO_FROZEN",
        lambda c, i: _resized(c.content[c.today[i].photos[1].id], quality=40, scale=1.0),
    ),
    "replayed": ("PHOTO_REPLAYED", lambda c, i: near_copy(c.content[c.earlier[i].photos[2].id])),
    "replayed resized": (
        "PHOTO_REPLAYED",
        lambda c, i: _resized(c.content[c.earlier[i].photos[1].id]),
    ),
    "classmate's photo": (
        "FACE_SHARED",
        lambda c, i: near_copy(c.content[c.earlier[i + 1].photos[2].id]),
    ),
    "other school's photo": (
        "FACE_SHARED",
        lambda c, i: c.content[c.earlier[(i + 50) % 300].photos[2].id],
    ),
}


@pytest.mark.parametrize("name", PLANTS)
def test_planted_photo_fraud_is_caught(corpus, name):
    code, make = PLANTS[name]
    planted = list(range(3, 300, 15))  # 20 sessions, in every school
    today = list(corpus.today)
    for index in planted:
        today[index] = _plant(corpus, index, 3, make(corpus, index))
    drafts = detect(context(today, corpus.earlier))
    caught = {d.logs[0] for d in drafts if d.detector == code}
    assert caught == {corpus.today[i].rnum for i in planted}
    assert {d.detector for d in drafts} == {code}


def test_a_frozen_session_in_simulated_photos_names_the_photos(corpus):
    s = _plant(corpus, 0, 2, near_copy(corpus.content[corpus.today[0].photos[0].id]))
    [draft] = detector.detect(context([s]))
    assert draft.key == f"PHOTO_FROZEN:{s.rnum}"
    assert "第3张照片与第1张几乎相同" in draft.summary


def test_a_poor_camera_is_judged_against_its_own_confidences():
    # Issue 19: a car whose honest photos score ~13 points lower than a good camera's.
    poor = dataclasses.replace(
        session("R1", confidences=[74, 70, 76, 72, 78]),
        terminal_confidence_median=76.0,
        terminal_confidence_photos=60,
    )
    assert detect(context([poor])) == []
    stand_in = dataclasses.replace(poor, photos=session("R1", confidences=[55, 50, 58, 52]).photos)
    assert found(detect(context([stand_in]))) == ["FACE_LOW:R1"]
    # Too few photos of the terminal: the fixed bar.
    unknown = dataclasses.replace(poor, terminal_confidence_photos=5)
    assert found(detect(context([unknown]))) == ["FACE_LOW:R1"]
