"""Regions (GB/T 2260 administrative divisions) and users with their roles."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiapei.core import clock


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("province")
    CITY = "city", _("city")
    COUNTY = "county", _("county")


class Region(models.Model):
    """A GB/T 2260 division. ``code`` is the six-digit code; the hierarchy is in the digits."""

    code = models.CharField(_("administrative division code"), max_length=6, primary_key=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=8, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name = _("administrative division")
        verbose_name_plural = _("administrative divisions")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def scope_prefix(self) -> str:
        """The code prefix shared by this region and everything below it."""
        return scope_prefix(self.code, self.level)


def scope_prefix(code: str, level: str) -> str:
    return {RegionLevel.PROVINCE: code[:2], RegionLevel.CITY: code[:4]}.get(level, code)  # type: ignore[call-overload]


class Role(models.TextChoices):
    PROVINCE_REGULATOR = "province_regulator", _("province regulator")
    CITY_REGULATOR = "city_regulator", _("city regulator")
    COUNTY_REGULATOR = "county_regulator", _("county regulator")
    SCHOOL = "school", _("driving school")
    TIMING_PLATFORM = "timing_platform", _("timing platform")
    STUDENT = "student", _("student")


REGULATOR_ROLES = frozenset({Role.PROVINCE_REGULATOR, Role.CITY_REGULATOR, Role.COUNTY_REGULATOR})
ROLE_LEVEL = {
    Role.PROVINCE_REGULATOR: RegionLevel.PROVINCE,
    Role.CITY_REGULATOR: RegionLevel.CITY,
    Role.COUNTY_REGULATOR: RegionLevel.COUNTY,
}


class User(AbstractUser):
    """A person or machine account. Regulators are bound to the region they supervise."""

    REGION_PATH = "region_id"  # the region code, for the audit trail

    # Django's default is django.utils.timezone.now; the platform's clock stamps every row.
    date_joined = models.DateTimeField(_("date joined"), default=clock.now)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    institution = models.ForeignKey(
        "registry.Institution",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    timing_platform = models.ForeignKey(
        "registry.TimingPlatform",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_regulator(self) -> bool:
        return self.role in REGULATOR_ROLES and self.region_id is not None
