"""Reads about regions and the audit trail. Who may see which region is decided in
:mod:`jiapei.accounts.access`."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from jiapei.accounts import access
from jiapei.accounts.models import Region, RegionLevel, User
from jiapei.core.errors import NotFound
from jiapei.core.models import AuditLogEntry


def get_region(code: str) -> Region:
    try:
        return Region.objects.get(code=code)
    except Region.DoesNotExist:
        raise NotFound(f"region {code!r} does not exist", field="district", value=code) from None


def province() -> Region:
    """The province this installation serves (``JIAPEI_PROVINCE``)."""
    return Region.objects.get(code=settings.JIAPEI_PROVINCE, level=RegionLevel.PROVINCE)


def trail_for(user: User) -> QuerySet[AuditLogEntry]:
    """The audit-trail entries the user may read, newest first: the province reads every entry
    (those of no region too: timing platforms, bulk ingests, rows older than ``region_code``);
    a city or a county reads the entries about objects in its region (raises for
    non-regulators)."""
    rows = AuditLogEntry.objects.order_by("-at", "-id")
    if access.figures_prefix(user) is None:
        return rows
    return access.scope(user, rows, region_field="region_code")
