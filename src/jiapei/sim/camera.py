"""A fixed in-car or classroom camera for the harder simulator (issue 19).

Every terminal's camera sees one scene (its car's interior or its classroom, drawn once from
the camera's seed, with fine texture); every honest photo is a new exposure of that scene with
the student seated in it: the head a few pixels elsewhere and slightly turned, another exposure
(gain), the camera's own sensor noise drawn afresh, night infrared (grey, darker, noisier) for
some, then JPEG at the camera's quality. Two honest photos of one student on one camera are
therefore as alike as a fixed camera makes them: their perceptual hashes lie within a few bits.

The fraud forms of a picture (:func:`copy_of`) are what a 照片机 or a replay does to one
exposure: recompress it, brighten or darken it, crop it (and scale it back), or re-photograph
it from a print or a screen (blur, a new exposure's noise and gamma over the old picture). A
covered lens (:func:`covered`) is a dark frame, blank paper or a hand.

Pure functions of their seeds; pictures are 320×240 (the terminal's size 0x01, standards.md
§1.7), which keeps the simulator fast.
"""

from __future__ import annotations

import io
import random
import zlib
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 320, 240
COPY_FORMS = ("recompress", "brighten", "crop", "crop_resize", "print", "screen")
COVER_FORMS = ("dark", "paper", "hand")


@lru_cache(maxsize=512)
def _scene(camera: int) -> np.ndarray:
    """The camera's empty scene (grey levels), with fine texture, as float32."""
    rng = random.Random(f"scene:{camera}")
    image = Image.new("L", (WIDTH, HEIGHT), rng.randrange(70, 150))
    draw = ImageDraw.Draw(image)
    for _ in range(10):  # windows, pillars, headrests, a blackboard
        x, y = rng.randrange(-40, WIDTH), rng.randrange(-40, HEIGHT)
        box = (x, y, x + rng.randrange(30, 160), y + rng.randrange(20, 120))
        draw.rectangle(box, fill=rng.randrange(30, 230))
    # Fabric and upholstery: fine texture that two exposures of the scene share.
    texture = np.random.default_rng(camera % 2**32).normal(0, 8, (HEIGHT, WIDTH))
    shifted = [np.roll(texture, (dy, dx), (0, 1)) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    texture = np.mean(shifted, axis=0)
    return np.asarray(image, dtype=np.float32) + texture.astype(np.float32)


def _person(face: int, dx: float, dy: float, turn: float) -> tuple[Image.Image, Image.Image]:
    """The student's head and shoulders (grey) and their mask, placed and turned."""
    rng = random.Random(f"person:{face}")
    layer = Image.new("L", (WIDTH, HEIGHT), 0)
    mask = Image.new("L", (WIDTH, HEIGHT), 0)
    cx, cy = WIDTH * 0.5 + dx, HEIGHT * 0.45 + dy
    rx, ry = rng.uniform(30, 40), rng.uniform(40, 50)
    skin, cloth, hair = rng.randrange(150, 210), rng.randrange(30, 110), rng.randrange(10, 60)
    for target, value in ((layer, None), (mask, 255)):
        draw = ImageDraw.Draw(target)
        draw.rectangle((cx - rx * 2, cy + ry * 0.8, cx + rx * 2, HEIGHT), fill=value or cloth)
        draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=value or skin)
        draw.chord((cx - rx, cy - ry * 1.1, cx + rx, cy), 180, 360, fill=value or hair)
    draw = ImageDraw.Draw(layer)
    for side in (-0.4, 0.4):
        ex, ey = cx + side * rx + turn * 0.6, cy - 0.1 * ry
        draw.ellipse((ex - 5, ey - 3, ex + 5, ey + 3), fill=30)
    draw.line((cx + turn * 0.8, cy, cx + turn, cy + ry * 0.3), fill=skin - 40, width=3)
    draw.line((cx - 12 + turn * 0.5, cy + ry * 0.55, cx + 12 + turn * 0.5, cy + ry * 0.55),
              fill=90, width=3)  # fmt: skip
    return layer.rotate(turn * 0.3, center=(cx, cy)), mask.rotate(turn * 0.3, center=(cx, cy))


def _jpeg(pixels: np.ndarray, quality: int) -> bytes:
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def exposure(camera: int, face: int, shot: str, *, night: bool | None = None) -> bytes:
    """An honest photo: a new exposure of ``camera``'s scene with student ``face`` seated,
    for the shot named ``shot`` (pose, gain, noise and, unless given, night IR drawn from it)."""
    rng = random.Random(f"exposure:{camera}:{face}:{shot}")
    scene = _scene(camera).copy()
    layer, mask = _person(face, rng.uniform(-6, 6), rng.uniform(-4, 4), rng.uniform(-6, 6))
    alpha = np.asarray(mask, dtype=np.float32) / 255
    pixels = scene * (1 - alpha) + np.asarray(layer, dtype=np.float32) * alpha
    night = rng.random() < 0.15 if night is None else night
    gain = rng.uniform(0.45, 0.65) if night else rng.uniform(0.85, 1.15)
    sigma = rng.uniform(5.0, 8.0) if night else rng.uniform(2.5, 5.0)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, sigma, pixels.shape)
    quality = 70 + camera % 4 * 6  # the camera's encoder setting
    return _jpeg(pixels * gain + (10 if night else 0) + noise, quality)


def _grey(content: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(content)) as image:
        return np.asarray(image.convert("L"), dtype=np.float32)


def copy_of(content: bytes, form: str, seed: int) -> bytes:
    """One fraud form (:data:`COPY_FORMS`) of a picture, as a 照片机 or a replay sends it."""
    rng = random.Random(f"copy:{form}:{seed}")
    pixels = _grey(content)
    if form == "recompress":
        return _jpeg(pixels, rng.randrange(55, 96))
    if form == "brighten":
        gain, offset = rng.uniform(0.85, 1.15), rng.uniform(-12, 12)
        return _jpeg(pixels * gain + offset, rng.randrange(70, 93))
    if form in ("crop", "crop_resize"):
        share = rng.uniform(0.03, 0.10)
        left, top = int(WIDTH * share * rng.random()), int(HEIGHT * share * rng.random())
        box = (left, top, left + int(WIDTH * (1 - share)), top + int(HEIGHT * (1 - share)))
        image = Image.fromarray(pixels.astype(np.uint8), mode="L").crop(box)
        if form == "crop_resize":
            image = image.resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC)
        return _jpeg(np.asarray(image, dtype=np.float32), rng.randrange(70, 93))
    # Re-photographed from a print or a screen: the old picture, slightly blurred and with the
    # print's or screen's tone curve, taken by a camera again (a new exposure's noise).
    blur = rng.uniform(0.4, 0.8) if form == "print" else rng.uniform(0.3, 0.6)
    image = Image.fromarray(pixels.astype(np.uint8), mode="L").filter(
        ImageFilter.GaussianBlur(blur)
    )
    shown = np.asarray(image, dtype=np.float32) / 255
    gamma = rng.uniform(0.8, 1.25)
    shown = 255 * shown**gamma * rng.uniform(0.85, 1.05) + rng.uniform(0, 15)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(
        0, rng.uniform(2.0, 4.0), shown.shape
    )
    return _jpeg(shown + noise, rng.randrange(70, 93))


def covered(form: str, seed: int) -> bytes:
    """A covered lens (:data:`COVER_FORMS`): a dark frame, blank paper or a hand."""
    rng = random.Random(f"covered:{form}:{seed}")
    if form == "dark":
        level, sigma = rng.uniform(3, 20), rng.uniform(2, 5)
        base = np.full((HEIGHT, WIDTH), level, dtype=np.float32)
    elif form == "paper":
        level, sigma = rng.uniform(170, 240), rng.uniform(2, 4)
        ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
        base = (
            level + rng.uniform(-15, 15) * xs / WIDTH + rng.uniform(-10, 10) * ys / HEIGHT
        ).astype(np.float32)
    else:  # a hand: warm, dim, out of focus
        level, sigma = rng.uniform(40, 90), rng.uniform(3, 6)
        ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
        cx, cy = rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT)
        fall = np.hypot(xs - cx, ys - cy) / WIDTH
        base = (level * (1.2 - 0.5 * fall)).astype(np.float32)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, sigma, base.shape)
    return _jpeg(base + noise, rng.randrange(70, 93))


def render(camera: int, face: int, image: str, form: str = "", variant: int = 0) -> bytes:
    """The bytes of a planned shot on ``camera``: exposure ``image`` of student ``face``; for
    ``variant`` > 0 that exposure's copy in ``form`` (:data:`COPY_FORMS`), or a covered lens
    when ``form`` is one of :data:`COVER_FORMS`."""
    if form in COVER_FORMS:
        return covered(form, zlib.crc32(f"{camera}:{image}:{variant}".encode()))
    content = exposure(camera, face, image)
    if variant and form in COPY_FORMS:
        return copy_of(content, form, variant)
    return content


def camera_of(devnum: str) -> int:
    """The camera number (≥ 1) of a terminal."""
    return 1 + zlib.crc32(devnum.encode()) % 1_000_000
