"""Benchmark: the pixel check of the photo detectors (``fraud.detectors.pixels``) per photo and
per pair, on the simulator's fixed-camera exposures and copies.

    .venv/bin/python bench/pixels.py --runs 5

Prints the medians over ``--runs`` (process CPU time, so another process on the machine
disturbs it less than wall time) of: preparing one photo (decode excluded: residual, flat
mask, spectra, zoomed low-resolution spectra), comparing two prepared photos (what a scan pays
per pair, since it prepares each photo once), and comparing two raw pictures from scratch
(what every pair cost before the preparation was kept), with the ratio of the last two.
Copies that were cropped or resized cost more than two new exposures of one camera (the
zoomed and resized tries), so the figure for pairs of new exposures is printed apart.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiapei.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from jiapei.fraud.detectors import pixels
    from jiapei.sim import camera

    raw = [camera.exposure(c, 12 + c, f"shot{k}") for c in range(2) for k in range(5)]
    raw += [camera.copy_of(raw[0], form, 1) for form in camera.COPY_FORMS]
    images = [image for image in map(pixels.decode, raw) if image is not None]
    pairs = list(itertools.combinations(range(len(images)), 2))
    # Pairs of new exposures (both of one camera's 5): most pairs a scan compares are these.
    honest = [(i, j) for i, j in pairs if j < 10 and i // 5 == j // 5]
    prepare, cached, scratch, cached_honest = [], [], [], []
    for _ in range(args.runs):
        start = time.process_time()
        prepared = [pixels.Prepared(image) for image in images]
        for p in prepared:  # the zoomed spectra are built on a photo's first comparison
            p.zoomed(prepared[0].small.shape)
        prepare.append((time.process_time() - start) / len(images))
        start = time.process_time()
        for i, j in pairs:
            prepared[i].correlation(prepared[j])
        cached.append((time.process_time() - start) / len(pairs))
        start = time.process_time()
        for i, j in honest:
            prepared[i].correlation(prepared[j])
        cached_honest.append((time.process_time() - start) / len(honest))
        start = time.process_time()
        for i, j in pairs:
            pixels.noise_correlation(images[i], images[j])
        scratch.append((time.process_time() - start) / len(pairs))
    shape = "×".join(str(n) for n in images[0].shape[::-1])
    print(f"{len(images)} photos ({shape}), {len(pairs)} pairs, medians of {args.runs} runs")
    print(f"prepare one photo:           {statistics.median(prepare) * 1000:7.2f} ms")
    print(f"compare a prepared pair:     {statistics.median(cached) * 1000:7.2f} ms")
    print(f"  of two new exposures:      {statistics.median(cached_honest) * 1000:7.2f} ms")
    print(f"compare a pair from scratch: {statistics.median(scratch) * 1000:7.2f} ms")
    ratio = statistics.median(scratch) / statistics.median(cached)
    print(f"ratio scratch / prepared:    {ratio:7.1f}")


if __name__ == "__main__":
    main()
