"""The photos of injected fraud (``sim.fraud``): a photo device's repeated picture, copies of
another session's pictures, and a stand-in's face with low or falling confidences."""

from __future__ import annotations

import random
from collections.abc import Sequence

from jiapei.sim.plants import Shot

HONEST_CONFIDENCE = (80, 99)  # what ``plants.finish`` gives honest shots
LOW_CONFIDENCE = (55, 78)
STAND_IN_FACES = 900_000_000  # portrait seeds from here on belong to no filed student


def frozen_shots(rng: random.Random, shots: Sequence[Shot], face: int, first: int) -> list[Shot]:
    """照片机: every shot shows the same picture (the sign-in photo), each as another copy.

    ``first`` is the copy number of the first copy (copies must be unique in a run). The
    confidences stay in the honest range: a photo of the student's photo matches the face.
    """
    source = shots[0].image
    return [
        Shot(s.at, s.event, s.confidence, source, face=face, variant=first + i)
        for i, s in enumerate(shots)
    ]


def copied_shots(
    rng: random.Random, shots: Sequence[Shot], source: Sequence[Shot], face: int, first: int
) -> list[Shot]:
    """Shots whose pictures are copies of ``source``'s (another session's shots, whose face is
    ``face``), in order; from a random shot on when the session has more shots than the source
    or, in some forms, only after sign-in. Times, events and confidences are kept."""
    start = 0 if rng.random() < 0.6 else 1
    result = list(shots[:start])
    for i, shot in enumerate(shots[start:]):
        picked = source[(start + i) % len(source)]
        result.append(
            Shot(shot.at, shot.event, shot.confidence, picked.image, face=face, variant=first + i)
        )
    return result


def stand_in_shots(rng: random.Random, shots: Sequence[Shot], face: int) -> list[Shot]:
    """替学 with a poor match: every shot shows stand-in ``face`` with a low confidence."""
    low, high = LOW_CONFIDENCE
    return [Shot(s.at, s.event, rng.randint(low, high), s.image, face=face) for s in shots]


def falling_shots(rng: random.Random, shots: Sequence[Shot], face: int) -> list[Shot]:
    """The student signs in (confidence 85–99), then stand-in ``face`` takes over: from shot 1
    or 2 on the confidence falls to 50–75 and the photos show the stand-in."""
    switch = 1 if len(shots) < 4 or rng.random() < 0.6 else 2
    result = [Shot(s.at, s.event, rng.randint(85, 99), s.image, s.face) for s in shots[:switch]]
    result += [Shot(s.at, s.event, rng.randint(50, 75), s.image, face=face) for s in shots[switch:]]
    return result
