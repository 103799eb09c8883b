"""Small synthetic images for filings and training photos (no external assets needed)."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw


def portrait(seed: int, size: tuple[int, int] = (120, 160)) -> bytes:
    """A JPEG 'in-car photo': a face on a cluttered background, different for every seed.

    Like frames from a real in-car camera, two seeds differ in head position and size,
    lighting and background, so their perceptual hashes are far apart, while the same seed
    always gives the same bytes (a replayed photo, as a 照片机 would send).
    """
    rng = random.Random(seed)
    w, h = size
    light = rng.uniform(0.6, 1.2)

    def shade(r: int, g: int, b: int) -> tuple[int, int, int]:
        return tuple(max(0, min(255, int(c * light))) for c in (r, g, b))  # type: ignore[return-value]

    image = Image.new("RGB", size, shade(rng.randrange(80, 220), rng.randrange(80, 220), 150))
    draw = ImageDraw.Draw(image)
    for _ in range(6):  # the car's interior behind the student: windows, pillars, headrests
        x0, y0 = rng.uniform(-0.2, 1.0) * w, rng.uniform(-0.2, 1.0) * h
        x1, y1 = x0 + rng.uniform(0.1, 0.6) * w, y0 + rng.uniform(0.1, 0.6) * h
        colour = shade(rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle((x0, y0, x1, y1), fill=colour)
    cx, cy = w * rng.uniform(0.35, 0.65), h * rng.uniform(0.3, 0.5)
    rx, ry = w * rng.uniform(0.18, 0.28), h * rng.uniform(0.2, 0.3)
    draw.rectangle((cx - rx * 1.6, cy + ry * 0.9, cx + rx * 1.6, h), fill=shade(60, 60, 90))
    draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=shade(225, 185, 150))
    for dx in (-0.4, 0.4):
        ex, ey = cx + dx * rx, cy - 0.15 * ry
        draw.ellipse((ex - 4, ey - 3, ex + 4, ey + 3), fill=(40, 30, 30))
    for _ in range(200):  # sensor noise
        x, y = rng.randrange(w), rng.randrange(h)
        draw.point((x, y), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()
