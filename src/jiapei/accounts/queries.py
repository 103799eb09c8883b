"""Reads about regions and the region scope of regulators."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet

from jiapei.accounts.models import Region, RegionLevel, User
from jiapei.core.errors import Forbidden, NotFound


def region_scope_prefix(user: User) -> str:
    """The GB/T 2260 code prefix a regulator may see; raises :class:`Forbidden` for others."""
    if not user.is_regulator or user.region is None:
        raise Forbidden("只有监管部门账户可以执行此操作 (regulator account required)")
    return user.region.scope_prefix


def scoped(queryset: QuerySet, user: User, field: str) -> QuerySet:
    """Restrict ``queryset`` to rows whose region code at ``field`` is within the user's region."""
    prefix = region_scope_prefix(user)
    return queryset.filter(Q(**{f"{field}__startswith": prefix}))


def in_scope(user: User, code: str) -> bool:
    return code.startswith(region_scope_prefix(user))


def get_region(code: str) -> Region:
    try:
        return Region.objects.get(code=code)
    except Region.DoesNotExist:
        raise NotFound(f"region {code!r} does not exist", field="district", value=code) from None


def region_tree(root: Region) -> list[Region]:
    """The region and every region below it, ordered by code."""
    return list(Region.objects.filter(code__startswith=root.scope_prefix).order_by("code"))


def province() -> Region:
    """The province this installation serves (``JIAPEI_PROVINCE``)."""
    return Region.objects.get(code=settings.JIAPEI_PROVINCE, level=RegionLevel.PROVINCE)
