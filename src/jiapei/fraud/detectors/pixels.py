"""Photos judged from their pixels: one exposure re-fed versus two exposures, and covered lenses.

A perceptual hash cannot tell a 照片机's re-fed picture from a new photograph of the same
student in the same seat: a fixed in-car or classroom camera photographing one seated person
gives hashes within 2–4 bits (issue 19: 97 % of classroom sessions, 61 % of in-car ones). What
differs between two real exposures is the sensor noise: every exposure draws its own, while a
copy of one exposure, re-encoded, brightened, cropped or re-photographed, carries the original's
noise along. :func:`same_exposure` therefore compares the images' noise residuals (the image
minus its local mean) at full resolution, after matching their size, their brightness (the
correlation is invariant to gain and offset) and their translation (phase correlation finds a
crop's offset); only the flat parts of the picture count, where the residual is noise rather
than the scene's edges, which two exposures of one scene share. The pHash stays the cheap
pre-filter that chooses which pairs are compared.

:func:`blank_frame` tells a covered, dark or blank lens (a hand on the lens, paper in front of
it, a cap) from its pixels: little light or a near-uniform picture with few edges, whatever
confidence the terminal reported.

Measurements behind the defaults are in ``fraud/tests/test_pixels.py`` (simulated fixed-camera
exposures from ``sim.camera``): independent exposures of one seated person correlate at most
~0.15 in their flat-region residuals; copies recompressed at JPEG quality 55–95, brightened by
±15 %, cropped by up to 10 % (and scaled back) at ≥ 0.3; re-photographed from a print or a
screen at ≥ 0.22. A rotated copy is not recognised (no rotation is searched).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

# The largest side analysed. Terminals send 320×240 to 1024×768 (standards.md §1.7); above
# this, the picture is reduced by a whole factor, which keeps the noise independent per pixel.
MAX_SIDE = 1024


@dataclass(frozen=True)
class PixelParams:
    """Thresholds of the pixel comparisons (measurements in the module docstring)."""

    same_exposure_min: float = 0.2
    """Correlation of the flat-region noise residuals at or above which two pictures are one
    exposure. Independent exposures of one seated person on one camera stayed at or under
    0.15; copies came out at ≥ 0.3, prints and screens re-photographed at ≥ 0.22."""
    flat_share: float = 0.6
    """Share of the pixels, those with the weakest local gradient, that count as flat."""
    blank_max_std: float = 6.0
    """A picture whose grey levels vary by less than this (standard deviation of the local
    mean, 0–255) is uniform: paper or a hand before the lens."""
    dark_max_mean: float = 28.0
    """A picture darker than this mean grey level (0–255) is a covered lens or a cap; the
    darkest honest night-IR frames of the simulator average ~45."""
    blank_max_edges: float = 0.004
    """Share of pixels on a strong edge below which a picture has no scene in it."""
    edge_min_step: float = 24.0
    """Grey-level step between neighbours that makes a strong edge."""


def decode(content: bytes) -> np.ndarray | None:
    """The picture as a float32 grey array (reduced by a whole factor to ``MAX_SIDE``), or
    None if it is not a readable image."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.draft("L", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a reduced scale, cheaply
            grey = image.convert("L")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    factor = max(1, -(-max(grey.size) // MAX_SIDE))
    if factor > 1:
        grey = grey.reduce(factor)
    return np.asarray(grey, dtype=np.float32)


def _box(image: np.ndarray, radius: int) -> np.ndarray:
    """The mean over a (2r+1)² box around each pixel (edges replicated), by summed areas."""
    size = 2 * radius + 1
    padded = np.pad(image, radius + 1, mode="edge").astype(np.float64)
    table = padded.cumsum(0).cumsum(1)
    total = (
        table[size:, size:] - table[:-size, size:] - table[size:, :-size] + table[:-size, :-size]
    )
    return (total[: image.shape[0], : image.shape[1]] / (size * size)).astype(np.float32)


def residual(image: np.ndarray) -> np.ndarray:
    """The noise residual: the picture minus its 3×3 local mean."""
    return image - _box(image, 1)


def _gradient(image: np.ndarray) -> np.ndarray:
    smooth = _box(image, 2)
    gy, gx = np.gradient(smooth)
    return np.hypot(gx, gy)


def _resize(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``image`` resized to ``shape`` (rows, columns), bicubic."""
    if image.shape == shape:
        return image
    resized = Image.fromarray(image, mode="F").resize(
        (shape[1], shape[0]), Image.Resampling.BICUBIC
    )
    return np.asarray(resized, dtype=np.float32)


def _embed(image: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """``image`` in the top-left corner of a zero array of ``shape`` (cut if larger), and the
    mask of the pixels it covers."""
    out = np.zeros(shape, dtype=np.float32)
    valid = np.zeros(shape, dtype=bool)
    rows, cols = min(shape[0], image.shape[0]), min(shape[1], image.shape[1])
    out[:rows, :cols] = image[:rows, :cols]
    valid[:rows, :cols] = True
    return out, valid


def _shift(first: np.ndarray, second: np.ndarray) -> tuple[tuple[int, int], float]:
    """The translation (rows, columns) that best lays ``second`` on ``first`` and the height
    of the peak of their phase correlation (0–1: how much of the two is one signal)."""
    cross = np.fft.rfft2(first) * np.conj(np.fft.rfft2(second))
    cross /= np.maximum(np.abs(cross), 1e-9)
    surface = np.fft.irfft2(cross, s=first.shape)
    dy, dx = np.unravel_index(int(np.argmax(surface)), surface.shape)
    rows, cols = first.shape
    shift = (
        int(dy) - rows if dy > rows // 2 else int(dy),
        int(dx) - cols if dx > cols // 2 else int(dx),
    )
    return shift, float(surface.max())


def _moved(image: np.ndarray, dy: int, dx: int) -> tuple[tuple[slice, slice], tuple[slice, slice]]:
    """Windows of the first picture and of a second one moved by (dy, dx) that cover each
    other (pictures of one shape)."""
    rows, cols = image.shape
    a = (slice(max(0, dy), rows + min(0, dy)), slice(max(0, dx), cols + min(0, dx)))
    b = (slice(max(0, -dy), rows + min(0, -dy)), slice(max(0, -dx), cols + min(0, -dx)))
    return a, b


def _correlation(x: np.ndarray, y: np.ndarray) -> float:
    x = x - x.mean()
    y = y - y.mean()
    denominator = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum()) / denominator if denominator > 0 else 0.0


def _lowres(image: np.ndarray, factor: int = 4) -> np.ndarray:
    rows, cols = image.shape[0] // factor * factor, image.shape[1] // factor * factor
    cut = image[:rows, :cols]
    return cut.reshape(rows // factor, factor, cols // factor, factor).mean(axis=(1, 3))


# Scales tried for a copy cropped and enlarged back to the original size (a crop of 2–15 %).
SCALES = tuple(round(1 + k / 100, 2) for k in range(2, 18))


def _zoom_guess(first: np.ndarray, second: np.ndarray) -> float:
    """The zoom of ``second``'s content against ``first``'s (1.0 unless a clearly better
    match is found among :data:`SCALES`), judged on low-resolution pictures: cheap."""
    small = _lowres(first)
    small = small - small.mean()
    other = _lowres(second)

    def peak(scale: float) -> float:
        shape = (round(other.shape[0] / scale), round(other.shape[1] / scale))
        shrunk, _ = _embed(_resize(other, shape), small.shape)
        return _shift(small, shrunk - shrunk.mean())[1]

    base = peak(1.0)
    best = max(SCALES, key=peak)
    return best if peak(best) > 1.5 * base else 1.0


class _Reference:
    """The first picture's residual and flat mask, computed once for many comparisons."""

    def __init__(self, image: np.ndarray, params: PixelParams) -> None:
        self.image = image
        self.residual = residual(image)
        gradient = _gradient(image)
        self.flat = gradient <= float(np.quantile(gradient, params.flat_share))

    def score(self, second: np.ndarray) -> float:
        """The best flat-region residual correlation with ``second`` laid on it."""
        image, reference = self.image, self.residual
        moved, valid = _embed(residual(second), image.shape)
        content, _ = _embed(second, image.shape)
        candidates = {(0, 0), _shift(reference, moved)[0]}
        candidates.add(_shift(image - image.mean(), content - content[valid].mean())[0])
        best = 0.0
        for dy, dx in sorted(candidates):
            a, b = _moved(reference, dy, dx)
            mask = self.flat[a] & valid[b]
            if mask.sum() < max(64, 0.2 * reference.size):
                continue
            best = max(best, _correlation(reference[a][mask], moved[b][mask]))
        return best


def noise_correlation(
    first: np.ndarray, second: np.ndarray, params: PixelParams | None = None
) -> float:
    """The correlation of two grey pictures' noise residuals over the flat parts of the first,
    with the second laid on the first: at its own size (a crop) or the first's (a resized
    copy), moved by the best translation, and zoomed back when its content is enlarged (a
    crop scaled back up). About 0 for two exposures, high for copies of one exposure (see
    the module docstring)."""
    params = params or PixelParams()
    if first.size < 256 or second.size < 256:
        return 0.0
    reference = _Reference(first, params)
    tries = [second] if second.shape == first.shape else [second, _resize(second, first.shape)]
    fitted = tries[-1]
    zoom = _zoom_guess(first, fitted)
    if zoom != 1.0:
        for scale in (zoom - 0.01, zoom - 0.005, zoom, zoom + 0.005, zoom + 0.01):
            shape = (round(fitted.shape[0] / scale), round(fitted.shape[1] / scale))
            tries.append(_resize(fitted, shape))
    return max(reference.score(t) for t in tries)


def same_exposure(first: bytes, second: bytes, params: PixelParams | None = None) -> bool | None:
    """Whether two photos are copies of one exposure (None when either cannot be decoded)."""
    params = params or PixelParams()
    a, b = decode(first), decode(second)
    if a is None or b is None:
        return None
    return noise_correlation(a, b, params) >= params.same_exposure_min


@dataclass(frozen=True)
class FrameStats:
    """What a picture's pixels say about the lens: mean grey level, spread of the local mean,
    and share of pixels on a strong edge."""

    mean: float
    spread: float
    edges: float


def frame_stats(image: np.ndarray, params: PixelParams | None = None) -> FrameStats:
    params = params or PixelParams()
    smooth = _box(image, 2)
    step = np.maximum(
        np.abs(np.diff(smooth, axis=0))[:, :-1], np.abs(np.diff(smooth, axis=1))[:-1, :]
    )
    return FrameStats(
        mean=float(image.mean()),
        spread=float(smooth.std()),
        edges=float((step >= params.edge_min_step / 2).mean()),
    )


def blank_frame(content: bytes, params: PixelParams | None = None) -> bool | None:
    """Whether a photo shows a covered, dark or blank lens (None when it cannot be decoded)."""
    image = decode(content)
    return None if image is None else is_blank(image, params)


def is_blank(image: np.ndarray, params: PixelParams | None = None) -> bool:
    """:func:`blank_frame` of a decoded grey picture."""
    params = params or PixelParams()
    stats = frame_stats(image, params)
    if stats.mean <= params.dark_max_mean:
        return True
    return stats.spread <= params.blank_max_std or stats.edges <= params.blank_max_edges
