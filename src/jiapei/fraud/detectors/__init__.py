"""The fraud detectors. Each module exposes ``detect(context) -> list[Draft]`` (see ``base``)."""

from __future__ import annotations

from collections.abc import Callable

from jiapei.fraud.detectors import (
    driving,
    faces,
    nofix,
    overlaps,
    patterns,
    photos,
    replay,
    resent,
    schools,
)
from jiapei.fraud.detectors.base import Draft, ScanContext

# Detectors run on every scanned day, in this order.
DAY_DETECTORS: tuple[Callable[[ScanContext], list[Draft]], ...] = (
    photos.detect,
    faces.detect,
    overlaps.detect,
    driving.detect,
    replay.detect,
    nofix.detect,
    patterns.detect,
    resent.detect,
)
# Detectors run over a period of a school's figures (``ScanContext.schools``).
PERIOD_DETECTORS: tuple[Callable[[ScanContext], list[Draft]], ...] = (schools.detect,)
