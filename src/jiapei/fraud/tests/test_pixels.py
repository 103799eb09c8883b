"""Photos judged from their pixels (``fraud.detectors.pixels``) on the simulator's fixed camera.

The figures the defaults rest on: new exposures of one seated person on one camera against
copies of one exposure in every form ``sim.camera`` makes, and covered lenses.
"""

from __future__ import annotations

import itertools

import pytest

from jiapei.fraud.detectors import pixels
from jiapei.sim import camera

BAR = pixels.PixelParams().same_exposure_min


def _score(first: bytes, second: bytes) -> float:
    a, b = pixels.decode(first), pixels.decode(second)
    assert a is not None and b is not None
    return pixels.noise_correlation(a, b)


def test_new_exposures_of_one_seated_person_are_not_one_picture() -> None:
    scores = []
    for cam in range(3):
        shots = [camera.exposure(cam, cam + 11, f"shot{k}") for k in range(4)]
        scores += [_score(a, b) for a, b in itertools.combinations(shots, 2)]
    assert max(scores) < BAR


@pytest.mark.parametrize("form", camera.COPY_FORMS)
def test_every_form_of_a_copy_is_one_exposure(form: str) -> None:
    for seed in range(3):
        original = camera.exposure(seed, seed + 5, "signin")
        assert _score(original, camera.copy_of(original, form, seed)) >= BAR, (form, seed)


@pytest.mark.parametrize("form", camera.COVER_FORMS)
def test_a_covered_lens_is_told_from_the_pixels(form: str) -> None:
    assert all(pixels.blank_frame(camera.covered(form, seed)) for seed in range(3))


def test_honest_frames_day_and_night_are_not_blank() -> None:
    frames = [camera.exposure(c, c, "x", night=c % 2 == 0) for c in range(6)]
    assert not any(pixels.blank_frame(frame) for frame in frames)
    assert pixels.blank_frame(b"not an image") is None
