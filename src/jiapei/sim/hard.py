"""The harder simulator of issue 19: what real terminals and cameras do to honest sessions,
and the forms of photo fraud, applied by :class:`jiapei.sim.fraud.FraudInjector` with
``hard=True`` (``jiapei fraud evaluate``'s default).

Honest hard cases (``Plan.form`` names the one a session carries, for the evaluation):

* every photo is an exposure of the terminal's fixed camera (``sim.camera``): the same scene,
  the student seated with pose, exposure, night-IR and noise variation;
* ``poor_camera``: one terminal in six scores everyone ~13 points lower;
* ``gnss_dropout``: the terminal resends its last fix for 3–8 minutes;
* ``slow_quantised``: 2–3 minutes of slow part-2 manoeuvres (≤ 7 km/h) reporting 0 mileage, as
  a 0.1 km mileage field does.

Photo fraud forms: a copy of one exposure re-fed (``sim.camera.COPY_FORMS``: recompressed,
brightened, cropped, cropped and scaled back, re-photographed from a print or a screen) or a
covered lens (``covered``).
"""

from __future__ import annotations

import dataclasses
import random

from jiapei.sim import camera, tracks
from jiapei.sim.plants import Plan

POOR_CAMERA_EVERY = 6  # one camera in this many is poor
POOR_CAMERA_SHIFT = 13  # points lower (issue 19)
DROPOUT_SHARE = 0.06
SLOW_SHARE = 0.06
PHOTO_FORMS = (*camera.COPY_FORMS, "covered")


def poor(camera_number: int) -> bool:
    return camera_number % POOR_CAMERA_EVERY == 0


def on_camera(plan: Plan) -> None:
    """Give every shot of ``plan`` its terminal's camera (a copy keeps its source's camera,
    set by :func:`photo_form`), and a poor camera's lower confidences."""
    number = camera.camera_of(plan.devnum)
    for shot in plan.shots:
        if not shot.camera:
            shot.camera = number
        if poor(number):
            shot.confidence = max(0, shot.confidence - POOR_CAMERA_SHIFT)
    if poor(number) and plan.injected is None and plan.planted is None and not plan.form:
        plan.form = "poor_camera"


def photo_form(rng: random.Random, plan: Plan, source: Plan | None) -> None:
    """Give an injected photo pattern its form: which copy of the pictures is sent, or a
    covered lens (PHOTO_FROZEN only)."""
    if plan.injected == "PHOTO_FROZEN":
        form = rng.choice(PHOTO_FORMS)
    elif plan.injected in ("PHOTO_REPLAYED", "FACE_SHARED"):
        form = rng.choice(camera.COPY_FORMS)
    else:
        plan.form = "live"
        return
    plan.form = form
    own = camera.camera_of(plan.devnum)
    origin = camera.camera_of(source.devnum) if source is not None else own
    if form == "covered":
        cover = rng.choice(camera.COVER_FORMS)
        first = rng.randrange(0, 2)
        plan.shots = [
            s if i < first else dataclasses.replace(s, form=cover, variant=i + 1, camera=own)
            for i, s in enumerate(plan.shots)
        ]
        return
    plan.shots = [
        dataclasses.replace(s, form=form, camera=origin if s.variant else own) for s in plan.shots
    ]


def honest_track(rng: random.Random, plan: Plan) -> None:
    """Maybe give an honest practical session a GNSS dropout or slow quantised minutes."""
    n = len(plan.fixes)
    if n < 20:
        return
    draw = rng.random()
    if draw < DROPOUT_SHARE:
        first, length = rng.randrange(5, n - 10), rng.randint(3, 8)
        held = plan.fixes[first]
        for i in range(first + 1, min(n, first + 1 + length)):
            plan.fixes[i] = dataclasses.replace(plan.fixes[i], lng=held.lng, lat=held.lat)
        plan.form = "gnss_dropout"
    elif draw < DROPOUT_SHARE + SLOW_SHARE and plan.part == 2:
        # Minutes whose fix moved 60–140 m (a slow manoeuvre) report 0 at 0.1 km resolution.
        slow = [
            i for i in range(1, n) if 60 <= tracks.metres(plan.fixes[i - 1], plan.fixes[i]) <= 140
        ]
        for i in slow[:3]:
            plan.fixes[i] = dataclasses.replace(
                plan.fixes[i], mileage=0.0, max_speed=round(rng.uniform(5.5, 7.0), 1)
            )
        if slow:
            plan.form = "slow_quantised"
