"""The audit trail (操作日志) over HTTP: each entry's region is recorded, each level reads its
region's entries only (the province also those of no region), the filters, the links to the
objects' pages, the export, and a flat query count."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from jiapei.console.tests.test_dashboard import keep_connection
from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.core.models import AuditLogEntry
from jiapei.core.services import record, region_of
from jiapei.registry.models import Institution, Student, TimingPlatform
from jiapei.testing.fixtures import School
from jiapei.testing.pages import assert_flat_queries, xlsx_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_schools(file_school: Callable[..., School]) -> tuple[School, School]:
    return file_school("430104"), file_school("430203")  # 长沙 岳麓区, 株洲 芦淞区


def login(make_user: Callable[..., Any], role: str, region: str, name: str) -> Client:
    client = Client()
    client.force_login(make_user(role, region, username=name))
    return client


def quiet(file_school: Callable[..., School], district: str) -> School:
    keep_connection()
    return file_school(district)


def rows_of(client: Client, **query: str) -> list[AuditLogEntry]:
    response = client.get("/console/trail/", query)
    assert response.status_code == 200
    return list(response.context["table"].data.data)


def test_each_entry_records_the_region_of_its_object(two_schools: tuple[School, School]) -> None:
    changsha, zhuzhou = two_schools
    for school, code in ((changsha, "430104"), (zhuzhou, "430203")):
        institution = Institution.objects.get(inscode=school.inscode)
        student = Student.objects.get(stunum=school.stunum)
        for obj in (institution, student):
            entries = AuditLogEntry.objects.filter(
                object_type=obj._meta.label_lower, object_id=str(obj.pk)
            )
            assert entries.exists()
            assert set(entries.values_list("region_code", flat=True)) == {code}
    # A timing platform belongs to no region: its entries are the province's only.
    platform = TimingPlatform.objects.get()
    assert region_of(platform) is None
    assert set(
        AuditLogEntry.objects.filter(object_type="registry.timingplatform").values_list(
            "region_code", flat=True
        )
    ) == {None}


def test_a_missing_step_of_the_region_path_records_no_region(
    two_schools: tuple[School, School],
) -> None:
    student = Student.objects.get(stunum=two_schools[0].stunum)
    student.institution_id = None  # type: ignore[assignment]
    assert region_of(student) is None
    entry = record(actor=Actor.system("test"), action="student.update", obj=student)
    assert entry.region_code is None


def test_each_level_reads_only_its_region_and_the_province_everything(
    two_schools: tuple[School, School], make_user: Callable[..., Any]
) -> None:
    changsha = login(make_user, "city_regulator", "430100", "changsha")
    yuelu = login(make_user, "county_regulator", "430104", "yuelu")
    zhuzhou = login(make_user, "city_regulator", "430200", "zhuzhou")
    furong = login(make_user, "county_regulator", "430102", "furong")
    province = login(make_user, "province_regulator", "430000", "prov")
    everything = AuditLogEntry.objects.count()
    # Users are entries too (``accounts.user`` has the user's region): each level reads those
    # of its own region as well.
    assert {e.region_code[:4] for e in rows_of(changsha)} == {"4301"}
    assert "430104" in {e.region_code for e in rows_of(changsha)}
    assert {e.region_code for e in rows_of(yuelu)} == {"430104"}
    assert {e.region_code for e in rows_of(zhuzhou)} == {"430200", "430203"}
    assert {e.object_type for e in rows_of(furong)} == {"accounts.user"}
    empty = furong.get("/console/trail/", {"object_type": "registry.institution"})
    assert "没有符合条件的记录" in empty.content.decode()
    every = rows_of(province)
    assert len(every) == everything and None in {e.region_code for e in every}
    # The export holds the same rows, never another region's.
    exported = xlsx_rows(zhuzhou.get("/console/trail/", {"export": "xlsx"}))
    assert exported[0][0] == "时间" and len(exported) - 1 == len(rows_of(zhuzhou))
    assert all(row[5].startswith("4302") for row in exported[1:])
    assert "430104" not in zhuzhou.get("/console/trail/").content.decode()


def test_filters_by_object_type_action_user_and_days(
    two_schools: tuple[School, School], make_user: Callable[..., Any]
) -> None:
    changsha_school = two_schools[0]
    client = login(make_user, "city_regulator", "430100", "changsha")
    students = rows_of(client, object_type="registry.student")
    student = Student.objects.get(stunum=changsha_school.stunum)
    assert [e.object_id for e in students] == [str(student.pk)]
    # An action names one code, or a group of them: "student.file" is filing and updating one.
    filed = rows_of(client, action="student.file")
    assert filed and {e.action for e in filed} <= {"student.file.create", "student.file.update"}
    assert {e.object_id for e in filed} == {str(student.pk)}
    # The schools were filed by the timing platform; nothing by the regulator "changsha".
    assert rows_of(client, who="changsha") == []
    by_platform = rows_of(client, who="A0041")
    assert {e.actor_label for e in by_platform} == {"platform:A0041"}
    assert len(by_platform) == len(rows_of(client)) - len(rows_of(client, who="test"))
    today = clock.today()
    assert len(rows_of(client, since=today.isoformat(), until=today.isoformat())) == len(
        rows_of(client)
    )
    assert rows_of(client, since=(today + timedelta(days=1)).isoformat()) == []
    assert rows_of(client, until=(today - timedelta(days=1)).isoformat()) == []


def test_an_entry_links_to_its_object_page(
    two_schools: tuple[School, School], make_user: Callable[..., Any]
) -> None:
    school = Institution.objects.get(inscode=two_schools[0].inscode)
    client = login(make_user, "county_regulator", "430104", "yuelu")
    page = client.get("/console/trail/", {"object_type": "registry.institution"}).content.decode()
    assert f'href="/console/institutions/{school.pk}/"' in page
    assert "培训机构" in page


def test_the_trail_query_count_does_not_grow_with_entries(
    file_school: Callable[..., School], make_user: Callable[..., Any]
) -> None:
    file_school("430104")
    for role, region, name in (
        ("province_regulator", "430000", "prov"),
        ("county_regulator", "430104", "yuelu"),
    ):
        client = login(make_user, role, region, name)
        assert_flat_queries(client, "/console/trail/", lambda: quiet(file_school, "430104"))


def test_the_migration_fills_the_region_of_older_entries(
    two_schools: tuple[School, School],
) -> None:
    from importlib import import_module

    from django.apps import apps

    migration = import_module("jiapei.core.migrations.0003_auditlog_region_code")
    filed = AuditLogEntry.objects.filter(object_type__startswith="registry.")
    before = dict(filed.values_list("pk", "region_code"))
    # As rows written before the column existed (an UPDATE: the model refuses to save one).
    filed.update(region_code=None)
    migration.fill(apps, None)
    after = dict(filed.values_list("pk", "region_code"))
    platform_rows = set(
        filed.filter(object_type="registry.timingplatform").values_list("pk", flat=True)
    )
    assert {pk: code for pk, code in after.items() if pk not in platform_rows} == {
        pk: code for pk, code in before.items() if pk not in platform_rows
    }
    assert all(after[pk] is None for pk in platform_rows)
