"""Accounts' writes: creating users (regulators bound to a region of their level) and loading the
shipped regions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jiapei.accounts.models import Region, RegionLevel, Role, User
from jiapei.accounts.regions import province_data
from jiapei.accounts.services import create_user, sync_regions
from jiapei.core.actors import Actor
from jiapei.core.errors import FieldError
from jiapei.core.models import AuditLogEntry
from jiapei.testing.fixtures import PASSWORD

ADMIN = Actor.system("test")


def create(**fields: Any) -> User:
    return create_user(actor=ADMIN, password=PASSWORD, **{"username": "someone", **fields})


@pytest.mark.parametrize(
    ("role", "region", "level"),
    [
        (Role.PROVINCE_REGULATOR, "430000", RegionLevel.PROVINCE),
        (Role.CITY_REGULATOR, "430100", RegionLevel.CITY),
        (Role.COUNTY_REGULATOR, "430104", RegionLevel.COUNTY),
    ],
)
def test_a_regulator_is_bound_to_a_region_of_its_level(
    role: str, region: str, level: str, db: Any
) -> None:
    user = create(role=role, region_code=region)
    user.refresh_from_db()
    assert (user.role, user.region_id, user.region.level) == (role, region, level)
    assert user.is_regulator and user.check_password(PASSWORD)


@pytest.mark.parametrize("role", [Role.SCHOOL, Role.TIMING_PLATFORM, Role.STUDENT])
def test_other_accounts_are_bound_to_no_region(role: str, db: Any) -> None:
    user = create(role=role, region_code="430100")
    user.refresh_from_db()
    assert user.region_id is None and not user.is_regulator


def test_creating_a_user_writes_one_audit_row_without_the_password(db: Any) -> None:
    user = create(role=Role.CITY_REGULATOR, region_code="430100", email="cs@example.org")
    entry = AuditLogEntry.objects.get(action="user.create")
    assert (entry.object_id, entry.actor_label) == (str(user.pk), "test")
    assert entry.after["username"] == "someone" and entry.after["region_id"] == "430100"
    assert "password" not in entry.after
    assert PASSWORD not in str(entry.after) and user.password not in str(entry.after)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"role": "inspector"}, "role"),
        ({"role": Role.CITY_REGULATOR}, "region"),
        ({"role": Role.CITY_REGULATOR, "region_code": "439999"}, "region"),
        ({"role": Role.CITY_REGULATOR, "region_code": "430104"}, "region"),
        ({"role": Role.COUNTY_REGULATOR, "region_code": "430100"}, "region"),
        ({"role": Role.PROVINCE_REGULATOR, "region_code": "430100"}, "region"),
    ],
    ids=[
        "unknown role",
        "no region",
        "unknown region",
        "county for a city",
        "city for a county",
        "city for the province",
    ],
)
def test_a_bad_account_is_refused_by_field_and_nothing_is_stored(
    fields: dict[str, Any], field: str, db: Any
) -> None:
    with pytest.raises(FieldError) as refused:
        create(**fields)
    assert refused.value.field == field
    assert not User.objects.exists() and not AuditLogEntry.objects.exists()


def test_a_taken_username_is_refused(make_user: Callable[..., User]) -> None:
    make_user(Role.CITY_REGULATOR, "430100", "changsha")
    rows = AuditLogEntry.objects.count()
    with pytest.raises(FieldError) as refused:
        create(username="changsha", role=Role.COUNTY_REGULATOR, region_code="430104")
    assert refused.value.field == "username"
    assert User.objects.get(username="changsha").role == Role.CITY_REGULATOR
    assert AuditLogEntry.objects.count() == rows


def test_loading_the_shipped_regions_again_restores_them_and_adds_nothing(db: Any) -> None:
    shipped = province_data("430000")["regions"]
    count = Region.objects.count()
    assert count == len(shipped)  # loaded after migrate
    Region.objects.filter(code="430104").update(name="改名")
    assert sync_regions(province_code="430000") == len(shipped)
    assert Region.objects.count() == count
    yuelu = Region.objects.get(code="430104")
    assert (yuelu.name, yuelu.level, yuelu.parent_id) == ("岳麓区", RegionLevel.COUNTY, "430100")
