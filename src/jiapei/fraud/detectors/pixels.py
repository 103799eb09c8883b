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


def _peak(
    first_f: np.ndarray, second_f: np.ndarray, shape: tuple[int, int]
) -> tuple[tuple[int, int], float]:
    """The translation (rows, columns) that best lays the second picture on the first and the
    height of the peak of their phase correlation (0–1: how much of the two is one signal),
    from the pictures' ``rfft2`` spectra, so that a picture compared many times is transformed
    once."""
    cross = first_f * np.conj(second_f)
    cross /= np.maximum(np.abs(cross), 1e-9)
    surface = np.fft.irfft2(cross, s=shape)
    dy, dx = np.unravel_index(int(np.argmax(surface)), surface.shape)
    rows, cols = shape
    shift = (
        int(dy) - rows if dy > rows // 2 else int(dy),
        int(dx) - cols if dx > cols // 2 else int(dx),
    )
    return shift, float(surface.max())


class Prepared:
    """What a picture contributes to every comparison it takes part in, computed once: its
    noise residual and flat mask (as the first picture), the spectra of its residual and of
    its centred content (as either), and its centred low-resolution copy with its spectrum (for
    the zoom search). A scan compares each photo with several others (issue 19: the pixel
    check's cost was the residuals and transforms recomputed for every pair)."""

    def __init__(self, image: np.ndarray, params: PixelParams | None = None) -> None:
        params = params or PixelParams()
        self.image = image
        self.shape: tuple[int, int] = (int(image.shape[0]), int(image.shape[1]))
        self.residual = residual(image)
        gradient = _gradient(image)
        self.flat = gradient <= float(np.quantile(gradient, params.flat_share))
        self.residual_f = np.fft.rfft2(self.residual)
        self.content_f = np.fft.rfft2(image - image.mean())
        small = _lowres(image)
        self.small = small - small.mean()
        self.small_f = np.fft.rfft2(self.small)
        self._zoomed: dict[tuple[int, int], np.ndarray] = {}

    def score(self, second: np.ndarray, prepared: Prepared | None = None) -> float:
        """The best flat-region residual correlation with ``second`` laid on this picture
        (``prepared``: ``second``'s own :class:`Prepared`, when it has this one's shape)."""
        image, reference = self.image, self.residual
        if prepared is not None and prepared.shape == self.shape:
            moved, valid = prepared.residual, np.ones(self.shape, dtype=bool)
            moved_f, content_f = prepared.residual_f, prepared.content_f
        else:
            moved, valid = _embed(residual(second), image.shape)
            content, _ = _embed(second, image.shape)
            moved_f = np.fft.rfft2(moved)
            content_f = np.fft.rfft2(content - content[valid].mean())
        candidates = {(0, 0), _peak(self.residual_f, moved_f, self.shape)[0]}
        candidates.add(_peak(self.content_f, content_f, self.shape)[0])
        best = 0.0
        for dy, dx in sorted(candidates):
            a, b = _moved(reference, dy, dx)
            mask = self.flat[a] & valid[b]
            if mask.sum() < max(64, 0.2 * reference.size):
                continue
            best = max(best, _correlation(reference[a][mask], moved[b][mask]))
        return best

    def zoom_of(self, second: np.ndarray, prepared: Prepared | None = None) -> float:
        """The zoom of ``second``'s content against this picture's (1.0 unless a clearly
        better match is found among :data:`SCALES`), judged on low-resolution pictures
        (``prepared``: ``second``'s own :class:`Prepared`, whose zoomed spectra it keeps)."""
        spectra = (prepared or Prepared.lowres_only(second)).zoomed(self.small.shape)
        # All the scales' phase correlations in one transform of the stacked spectra.
        cross = spectra * np.conj(self.small_f)[None, :, :]
        cross /= np.maximum(np.abs(cross), 1e-9)
        heights = np.fft.irfft2(cross, s=self.small.shape, axes=(1, 2)).max(axis=(1, 2))
        peaks = dict(zip((1.0, *SCALES), (float(h) for h in heights), strict=True))
        base = peaks[1.0]
        best = max(SCALES, key=peaks.__getitem__)
        return best if peaks[best] > 1.5 * base else 1.0

    @classmethod
    def lowres_only(cls, image: np.ndarray) -> Prepared:
        """A :class:`Prepared` with only what :meth:`zoomed` needs (a picture resized for one
        comparison is not worth its residuals and spectra)."""
        prepared = cls.__new__(cls)
        prepared.image = image
        prepared.shape = (int(image.shape[0]), int(image.shape[1]))
        prepared._zoomed = {}
        return prepared

    def zoomed(self, shape: tuple[int, int]) -> np.ndarray:
        """The spectra of this picture's low-resolution copy shrunk by 1.0 and by each of
        :data:`SCALES` (in that order, stacked) and laid in a frame of ``shape``, kept per
        frame shape: they depend on this picture alone, not on the one it is compared with."""
        if shape not in self._zoomed:
            other = _lowres(self.image)
            frames = []
            for scale in (1.0, *SCALES):
                size = (round(other.shape[0] / scale), round(other.shape[1] / scale))
                shrunk, _ = _embed(_resize(other, size), shape)
                frames.append(shrunk - shrunk.mean())
            self._zoomed[shape] = np.fft.rfft2(np.stack(frames), axes=(1, 2))
        return self._zoomed[shape]

    def correlation(self, second: Prepared) -> float:
        """:func:`noise_correlation` of this picture (first) and ``second``."""
        if self.image.size < 256 or second.image.size < 256:
            return 0.0
        if second.shape == self.shape:
            tries, fitted = [second.image], second.image
            best = self.score(second.image, second)
        else:
            fitted = _resize(second.image, self.shape)
            tries, best = [second.image, fitted], 0.0
        zoom = self.zoom_of(fitted, second if fitted is second.image else None)
        if zoom != 1.0:
            for scale in (zoom - 0.01, zoom - 0.005, zoom, zoom + 0.005, zoom + 0.01):
                shape = (round(fitted.shape[0] / scale), round(fitted.shape[1] / scale))
                tries.append(_resize(fitted, shape))
        start = 1 if second.shape == self.shape else 0
        return max([best, *(self.score(t) for t in tries[start:])])


def noise_correlation(
    first: np.ndarray, second: np.ndarray, params: PixelParams | None = None
) -> float:
    """The correlation of two grey pictures' noise residuals over the flat parts of the first,
    with the second laid on the first: at its own size (a crop) or the first's (a resized
    copy), moved by the best translation, and zoomed back when its content is enlarged (a
    crop scaled back up). About 0 for two exposures, high for copies of one exposure (see
    the module docstring). A scan comparing each picture several times prepares each once
    and calls :meth:`Prepared.correlation` instead."""
    if first.size < 256 or second.size < 256:
        return 0.0
    return Prepared(first, params).correlation(Prepared(second, params))


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
