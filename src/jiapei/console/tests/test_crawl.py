"""Every console page reached from the navigation, crawled as each level: no 5xx anywhere, and
no other region's school, coach or student named on any page (issue 10's check)."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from jiapei.registry.models import Institution, Personnel, Student
from jiapei.testing.fixtures import School
from jiapei.testing.sessions import START, play_session

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="(/console/[^"#?]*)"')


def crawl(client: Client, limit: int = 400) -> dict[str, str]:
    """GET every console page linked from ``/console/`` (query strings left out: sort and page
    variants of a list render the same rows), breadth first; the pages' HTML by path."""
    seen: dict[str, str] = {}
    queue = deque(["/console/"])
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen:
            continue
        response = client.get(path)
        assert response.status_code < 500, f"{path}: HTTP {response.status_code}"
        body = (
            response.content.decode()
            if response.get("Content-Type", "").startswith("text/html")
            else ""
        )
        seen[path] = body
        if response.status_code == 200:
            queue.extend(p for p in HREF.findall(body) if p not in seen)
    return seen


def names_in(district_prefix: str) -> set[str]:
    """The names and numbers that identify the schools, coaches and students of a region."""
    schools = Institution.objects.filter(district__code__startswith=district_prefix)
    names = set(schools.values_list("name", flat=True)) | set(
        schools.values_list("inscode", flat=True)
    )
    people = Personnel.objects.filter(institution__in=schools)
    names |= set(people.values_list("name", flat=True))
    students = Student.objects.filter(institution__in=schools)
    names |= set(students.values_list("name", flat=True)) | set(
        students.values_list("stunum", flat=True)
    )
    return {n for n in names if n}


@pytest.fixture
def province_world(
    tp: Any, school: School, ground: Any, file_school: Callable[..., School]
) -> None:
    """A 长沙 岳麓区 school with an approved ground and an audited session; a 株洲 school."""
    play_session(tp, school, recnum="00001", start=START, length=45)
    call_command("worker", once=True)
    file_school("430203")


@pytest.mark.parametrize(
    ("role", "region", "foreign"),
    [
        ("city_regulator", "430200", "4301"),  # 株洲 must not see 长沙
        ("county_regulator", "430104", "4302"),  # 岳麓区 must not see 株洲
        ("city_regulator", "430100", "4302"),  # 长沙 must not see 株洲
    ],
)
def test_no_page_fails_or_names_another_region(
    province_world: None, make_user: Callable[..., Any], role: str, region: str, foreign: str
) -> None:
    client = Client()
    client.force_login(make_user(role, region, username=f"crawler{region}"))
    pages = crawl(client)
    assert len(pages) > 3
    hidden = names_in(foreign)
    assert hidden
    for path, html in pages.items():
        leaked = sorted(n for n in hidden if n in html)
        assert not leaked, f"{path} shows {leaked} to {role} {region}"


def test_the_province_reaches_every_page_without_errors(
    province_world: None, make_user: Callable[..., Any]
) -> None:
    client = Client()
    client.force_login(make_user("province_regulator", "430000", username="crawler-province"))
    pages = crawl(client)
    assert "/console/institutions/" in pages
