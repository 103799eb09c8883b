"""In-car photos for the training-day simulator: a student's live photo and its near-copy."""

from __future__ import annotations

import io
import random
from functools import lru_cache

from PIL import Image, ImageDraw

from jiapei.sim.images import portrait


@lru_cache(maxsize=256)
def _face(seed: int) -> Image.Image:
    return Image.open(io.BytesIO(portrait(seed))).convert("RGB")


def live_photo(face_seed: int, shot: str) -> bytes:
    """A JPEG in-car photo of the student's face (``portrait(face_seed)``): framing, angle and
    background differ per ``shot``. Bare portraits are too alike for the 照片机 rule: their
    pHashes often lie within 2 bits of each other; these are ≥ 4 bits apart in our trials."""
    rng = random.Random(f"{face_seed}:{shot}")
    canvas = Image.new("RGB", (200, 160), tuple(rng.randrange(40, 200) for _ in range(3)))
    draw = ImageDraw.Draw(canvas)
    for _ in range(8):  # the car's interior behind the student
        x, y = rng.randrange(200), rng.randrange(160)
        box = (x, y, x + rng.randrange(10, 80), y + rng.randrange(10, 60))
        draw.rectangle(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    scale = rng.uniform(0.55, 0.8)
    face = _face(face_seed).resize((int(120 * scale), int(160 * scale)))
    face = face.rotate(rng.uniform(-12, 12), fillcolor=(0, 0, 0))
    canvas.paste(face, (rng.randrange(200 - face.width), rng.randrange(160 - face.height)))
    return _jpeg(canvas)


def near_copy(content: bytes) -> bytes:
    """The same picture with two pixels changed: other bytes, the same perceptual hash."""
    image = Image.open(io.BytesIO(content)).convert("RGB")
    for xy in ((3, 3), (image.width - 4, image.height - 4)):
        image.putpixel(xy, (255, 255, 255))
    return _jpeg(image)


def variant(content: bytes, number: int) -> bytes:
    """Copy ``number`` (≥ 1) of a picture as a photo machine or a replay would send it: a few
    pixels repainted and, for some copies, the brightness nudged by up to 3 %. The bytes differ
    from the original and from every other copy; the perceptual hash stays within a few bits."""
    rng = random.Random(f"variant:{number}")
    image = Image.open(io.BytesIO(content)).convert("RGB")
    if rng.random() < 0.5:
        factor = rng.uniform(0.97, 1.03)
        image = image.point(lambda value: min(255, int(value * factor)))
    for _ in range(rng.randrange(2, 7)):
        xy = (rng.randrange(image.width), rng.randrange(image.height))
        image.putpixel(xy, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    return _jpeg(image)


def render(face_seed: int, image: str, number: int = 0) -> bytes:
    """The bytes of a planned shot: the live photo ``image`` of face ``face_seed`` ("near:<seed>"
    for its near-copy), and for ``number`` > 0 that picture's copy ``number``."""
    if image.startswith("near:"):
        content = near_copy(live_photo(face_seed, image[5:]))
    else:
        content = live_photo(face_seed, image)
    return variant(content, number) if number else content


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()
