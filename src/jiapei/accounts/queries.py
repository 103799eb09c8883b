"""Reads about regions. Who may see which region is decided in :mod:`jiapei.accounts.access`."""

from __future__ import annotations

from django.conf import settings

from jiapei.accounts.models import Region, RegionLevel
from jiapei.core.errors import NotFound


def get_region(code: str) -> Region:
    try:
        return Region.objects.get(code=code)
    except Region.DoesNotExist:
        raise NotFound(f"region {code!r} does not exist", field="district", value=code) from None


def province() -> Region:
    """The province this installation serves (``JIAPEI_PROVINCE``)."""
    return Region.objects.get(code=settings.JIAPEI_PROVINCE, level=RegionLevel.PROVINCE)
