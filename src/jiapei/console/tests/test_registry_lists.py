"""The registry's lists over HTTP: each level sees its region's rows only (on the page and in
the .xlsx export), the filters (行政区划, school, 无绑定终端, 从未带教) narrow them, personal data
is masked in the export, and the query count does not grow with the rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from jiapei.console.tests.registry_world import PREFIX, World, build_world, client_of
from jiapei.registry.models import (
    Device,
    DeviceBinding,
    FeeStandard,
    Institution,
    Personnel,
    TrainingCar,
)
from jiapei.testing.pages import assert_flat_queries, xlsx_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tp: Any, file_school: Callable[..., Any], make_user: Callable[..., Any]) -> World:
    return build_world(tp, file_school, make_user)


def first_column(client: Client, url: str, **params: str) -> list[Any]:
    """The first column of the list's export (the header dropped)."""
    response = client.get(url, {"export": "xlsx", **params})
    assert response.status_code == 200, (url, response.status_code)
    return sorted(str(row[0]) for row in xlsx_rows(response)[1:])


# The first exported column of each list, and the rows a region prefix should see, computed
# from the database independently of the access module.
def expected(kind: str, prefix: str) -> list[str]:
    region = {"institution__district__code__startswith": prefix}
    rows: dict[str, Any] = {
        "institutions": Institution.objects.filter(district__code__startswith=prefix).values_list(
            "inscode", flat=True
        ),
        "coaches": Personnel.objects.filter(role="coach", **region).values_list(
            "number", flat=True
        ),
        "examiners": Personnel.objects.filter(role="examiner", **region).values_list(
            "number", flat=True
        ),
        "safety-officers": Personnel.objects.filter(role="securityguard", **region).values_list(
            "number", flat=True
        ),
        "cars": TrainingCar.objects.filter(**region).values_list("carnum", flat=True),
        "terminals": Device.objects.filter(**region).values_list("devnum", flat=True),
        "bindings": DeviceBinding.objects.filter(
            car__institution__district__code__startswith=prefix
        ).values_list("device__devnum", flat=True),
        "fees": FeeStandard.objects.filter(**region).values_list("institution__name", flat=True),
    }
    return sorted(str(v) for v in rows[kind])


LISTS = [
    "institutions",
    "coaches",
    "examiners",
    "safety-officers",
    "cars",
    "terminals",
    "bindings",
    "fees",
]


@pytest.mark.parametrize("username", ["sheng", "cs", "zz", "yl"])
def test_each_level_lists_and_exports_only_its_region(world: World, username: str) -> None:
    client = client_of(username)
    other_school = {"cs": world.zhuzhou, "zz": world.yuelu, "yl": world.furong}.get(username)
    for kind in LISTS:
        url = f"/console/{kind}/"
        mine = expected(kind, PREFIX[username])
        assert mine, f"{kind}: the world gives {username} rows to see"
        assert first_column(client, url) == mine, (username, kind)
        page = client.get(url).content.decode()
        if other_school is not None:
            name = Institution.objects.get(inscode=other_school.inscode).name
            assert name not in page, (username, kind)


def test_platforms_count_only_the_schools_of_the_region(world: World) -> None:
    for username, schools in (("sheng", 3), ("cs", 2), ("zz", 1), ("yl", 1)):
        rows = xlsx_rows(client_of(username).get("/console/platforms/", {"export": "xlsx"}))
        assert rows[0][:3] == ["平台编号", "名称", "辖区内服务机构"]
        assert [(r[0], r[2]) for r in rows[1:]] == [("A0041", schools)], username


def test_filters_narrow_by_region_school_and_status(world: World) -> None:
    client = client_of("cs")
    yuelu = Institution.objects.get(inscode=world.yuelu.inscode)
    assert first_column(client, "/console/coaches/", district="430102") == [world.furong.coachnum]
    assert first_column(client, "/console/coaches/", school=str(yuelu.pk)) == sorted(
        [world.yuelu.coachnum, world.idle_coach]
    )
    assert first_column(client, "/console/examiners/", q=world.examiner) == [world.examiner]
    assert first_column(client, "/console/cars/", filing_status="revoked") == []
    # A school of another city is not a choice: the filter is refused, no rows.
    zhuzhou = Institution.objects.get(inscode=world.zhuzhou.inscode)
    assert first_column(client, "/console/cars/", school=str(zhuzhou.pk)) == []
    assert first_column(client, "/console/cars/", district="430203") == []


def test_cars_without_a_bound_terminal(world: World) -> None:
    """Seed 001 应装尽装: the one car with no current binding, not the one rebound."""
    client = client_of("sheng")
    assert first_column(client, "/console/cars/", unbound="on") == [world.bare_car]
    page = client.get("/console/cars/", {"unbound": "on"}).content.decode()
    assert "共 1 条记录" in page
    assert first_column(client, "/console/terminals/", unbound="on") == []
    assert first_column(client, "/console/bindings/", state="past") == [world.yuelu.devnum]
    assert len(first_column(client, "/console/bindings/", state="current")) == 3


def test_coaches_never_seen_teaching(world: World) -> None:
    """Seed 002 资质核查: every coach no teaching log names, and not the one who taught."""
    client = client_of("cs")
    never = first_column(client, "/console/coaches/", never_taught="on")
    assert world.idle_coach in never and world.furong.coachnum in never
    assert world.yuelu.coachnum not in never
    rows = xlsx_rows(client.get("/console/coaches/", {"export": "xlsx"}))
    last = rows[0].index("最近带教")
    taught = {r[0]: r[last] for r in rows[1:]}
    assert taught[world.yuelu.coachnum].startswith("2026-11-20 09:00")
    assert taught[world.idle_coach] in (None, "")  # an empty cell in the export


def test_exports_mask_id_numbers_and_phones(world: World) -> None:
    client = client_of("cs")
    people = Personnel.objects.filter(institution__district__code__startswith="4301")
    for kind in ("coaches", "examiners", "safety-officers"):
        response = client.get(f"/console/{kind}/", {"export": "xlsx"})
        rows = xlsx_rows(response)
        header = rows[0]
        cells = {str(c) for row in rows[1:] for c in row}
        for person in people:
            assert person.idcard not in cells and person.mobile not in cells
        idcards = [r[header.index("身份证号")] for r in rows[1:]]
        phones = [r[header.index("手机号码")] for r in rows[1:]]
        assert all(v[:4] == "4301" and "*" * 10 in v for v in idcards), idcards
        assert all("****" in v for v in phones), phones
        page = client.get(f"/console/{kind}/").content.decode()
        assert not any(p.idcard in page or p.mobile in page for p in people)


@pytest.mark.parametrize("kind", [*LISTS, "platforms"])
def test_lists_do_not_grow_queries_with_rows(
    world: World, kind: str, file_school: Callable[..., Any], tp: Any
) -> None:
    def grow() -> None:
        school = file_school("430104")
        tp.post("examiner", {**_person(), "inscode": school.inscode})
        tp.post("securityguard", {**_person(), "inscode": school.inscode})
        tp.post("charstandard", _fee(school.inscode))

    assert_flat_queries(client_of("cs"), f"/console/{kind}/", grow)


def _person() -> dict[str, Any]:
    from jiapei.testing import factories as f

    return dict(f.CoachPayload())


def _fee(inscode: str) -> dict[str, Any]:
    from jiapei.testing import factories as f

    return dict(f.FeePayload(inscode=inscode))
