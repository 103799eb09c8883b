"""Small synthetic images for filings and training photos (no external assets needed)."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw


def portrait(seed: int, size: tuple[int, int] = (120, 160)) -> bytes:
    """A JPEG 'portrait': a face-coloured ellipse on a plain background, unique per seed."""
    rng = random.Random(seed)
    background = (rng.randrange(150, 255), rng.randrange(150, 255), rng.randrange(150, 255))
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    w, h = size
    skin = (rng.randrange(200, 240), rng.randrange(160, 200), rng.randrange(130, 170))
    draw.ellipse((w * 0.25, h * 0.15, w * 0.75, h * 0.7), fill=skin)
    for eye_x in (0.4, 0.6):
        draw.ellipse((w * eye_x - 4, h * 0.38 - 3, w * eye_x + 4, h * 0.38 + 3), fill=(40, 30, 30))
    draw.rectangle((w * 0.15, h * 0.75, w * 0.85, h), fill=(rng.randrange(256), 60, 90))
    for _ in range(20):  # a little texture so different seeds never give identical bytes
        x, y = rng.randrange(w), rng.randrange(h)
        draw.point((x, y), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()
