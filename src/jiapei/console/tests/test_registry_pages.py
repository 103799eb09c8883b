"""Registry pages over HTTP: scoping, the .xlsx export of the filtered rows, flat queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from jiapei.console.tests.registry_world import PageClient
from jiapei.registry.models import Institution
from jiapei.testing.pages import assert_flat_queries, xlsx_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def zhuzhou_client(make_user: Callable[..., Any]) -> Client:
    client = PageClient()  # keeps the test's PostgreSQL connection open between filings
    client.force_login(make_user("city_regulator", "430200", username="zhuzhou"))
    return client


def test_export_holds_exactly_the_filtered_rows_of_the_region(
    zhuzhou_client: Client, file_school: Callable[..., Any]
) -> None:
    for district in ("430203", "430203", "430104"):
        file_school(district)
    mine = Institution.objects.filter(district_id="430203").order_by("inscode")
    response = zhuzhou_client.get("/console/institutions/", {"export": "xlsx"})
    rows = xlsx_rows(response)
    assert rows[0][:2] == ["机构编号", "名称"]
    assert sorted(r[0] for r in rows[1:]) == [s.inscode for s in mine]
    wanted = mine.first()
    assert wanted is not None
    filtered = xlsx_rows(
        zhuzhou_client.get("/console/institutions/", {"export": "xlsx", "q": wanted.inscode})
    )
    assert [r[0] for r in filtered[1:]] == [wanted.inscode]


def test_lists_and_details_do_not_grow_queries_with_rows(
    zhuzhou_client: Client, file_school: Callable[..., Any]
) -> None:
    first = file_school("430203")
    school = Institution.objects.get(inscode=first.inscode)
    assert_flat_queries(zhuzhou_client, "/console/institutions/", lambda: file_school("430203"))
    assert_flat_queries(zhuzhou_client, "/console/platforms/", lambda: None)
    assert_flat_queries(
        zhuzhou_client, f"/console/institutions/{school.pk}/", lambda: file_school("430203")
    )


def test_non_regulators_and_anonymous_visitors_are_kept_out(
    make_user: Callable[..., Any],
) -> None:
    anonymous = Client().get("/console/institutions/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    school_staff = Client()
    school_staff.force_login(make_user("school", None, username="staff"))
    assert school_staff.get("/console/").status_code == 403


def test_htmx_gets_the_results_fragment_and_caches_vary_on_it(
    zhuzhou_client: Client, file_school: Callable[..., Any]
) -> None:
    file_school("430203")
    full = zhuzhou_client.get("/console/institutions/")
    fragment = zhuzhou_client.get("/console/institutions/", headers={"HX-Request": "true"})
    assert "<html" in full.content.decode() and "<html" not in fragment.content.decode()
    assert 'id="results"' in fragment.content.decode()
    assert "HX-Request" in full["Vary"] and "HX-Request" in fragment["Vary"]
