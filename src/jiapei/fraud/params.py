"""Detector parameters: one frozen dataclass per detector module, defaults in each module.

``Params`` gathers them; ``JIAPEI_FRAUD_PARAMS`` in settings may override any field as
``{"photos": {"field": value}, …}`` (read by :func:`current`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from jiapei.fraud.detectors.driving import DrivingParams
from jiapei.fraud.detectors.nofix import NoFixParams
from jiapei.fraud.detectors.overlaps import OverlapParams
from jiapei.fraud.detectors.patterns import PatternParams
from jiapei.fraud.detectors.photos import PhotoParams
from jiapei.fraud.detectors.schools import SchoolParams


@dataclass(frozen=True)
class Params:
    photos: PhotoParams = field(default_factory=PhotoParams)
    overlaps: OverlapParams = field(default_factory=OverlapParams)
    driving: DrivingParams = field(default_factory=DrivingParams)
    nofix: NoFixParams = field(default_factory=NoFixParams)
    patterns: PatternParams = field(default_factory=PatternParams)
    schools: SchoolParams = field(default_factory=SchoolParams)


def current() -> Params:
    """The defaults with the overrides of ``settings.JIAPEI_FRAUD_PARAMS`` applied."""
    overrides: dict[str, dict[str, Any]] = settings.JIAPEI_FRAUD_PARAMS
    params = Params()
    for group, values in overrides.items():
        if not hasattr(params, group):
            raise ValueError(f"JIAPEI_FRAUD_PARAMS: unknown group {group!r}")
        part = dataclasses.replace(getattr(params, group), **values)
        params = dataclasses.replace(params, **{group: part})
    return params
