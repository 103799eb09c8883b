"""The operational alerts through the regulators' API (province only), and ``jiapei doctor`` on
the other kinds of poisoned value: an integer beyond its column, a string over its length, a
decimal in a nullable column."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from jiapei.accounts.models import Role, User
from jiapei.api.tests.scope_helpers import refused
from jiapei.core import alerts
from jiapei.core.models import AuditLogEntry, OperationalAlert
from jiapei.registry.models import Institution
from jiapei.testing.fixtures import School

URL = "/api/regulator/alerts"


def fail(task: str, unit: str, text: str) -> OperationalAlert:
    try:
        raise ValueError(text)
    except ValueError as exc:
        return alerts.report_failure(task, unit, exc)


def test_the_province_lists_the_open_alerts_and_nobody_else_does(
    api: Any, province_regulator: User, changsha_regulator: User, make_user: Callable[..., User]
):
    fail("audit", "4300500000000001", "first")
    fail("audit", "4300500000000001", "again")
    fail("fraud", "2026-11-20", "scan broke")
    alerts.resolve("fraud", "2026-11-20")

    body = api(province_regulator, "GET", URL).json()
    assert body["errorcode"] == 0 and body["data"]["total"] == 1
    [row] = body["data"]["items"]
    assert (row["task"], row["unit"], row["count"], row["message"]) == (
        "audit",
        "4300500000000001",
        2,
        "again",
    )
    assert row["exc_type"] == "builtins.ValueError" and "Traceback" in row["traceback"]
    assert row["first_seen"] <= row["last_seen"] < row["retry_at"] and row["resolved_at"] is None

    every = api(province_regulator, "GET", URL, params={"all": "true", "task": "fraud"}).json()
    [resolved] = every["data"]["items"]
    assert resolved["unit"] == "2026-11-20" and resolved["resolved_at"] is not None

    refused(api(changsha_regulator, "GET", URL), 403, 3001)
    refused(api(make_user(Role.COUNTY_REGULATOR, "430104"), "GET", URL), 403, 3001)
    assert api(None, "GET", URL).status_code == 401


def test_a_unit_that_fails_after_it_was_resolved_opens_a_new_episode(db: Any):
    fail("stages", "x part 2", "one")
    fail("stages", "x part 2", "two")
    alerts.resolve("stages", "x part 2")
    alert = fail("stages", "x part 2", "three")
    assert (alert.count, alert.resolved_at, alert.message) == (1, None, "three")
    assert OperationalAlert.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL refuses these values")
def test_doctor_finds_and_repairs_integers_strings_and_decimals(school: School):
    pk = Institution.objects.get(inscode=school.inscode).pk
    table = Institution._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET name = %s, classroom = %s, coachnumber = %s "  # noqa: S608
            "WHERE id = %s",
            ["驾" * 5000, 1e20, 2**40, pk],
        )
    out = io.StringIO()
    with pytest.raises(CommandError, match="poisoned value"):
        call_command("doctor", stdout=out)
    listing = out.getvalue()
    assert f"registry.Institution pk={pk} name: '驾驾驾" in listing and "…" in listing
    assert f"registry.Institution pk={pk} classroom: 1e+20" in listing
    assert f"registry.Institution pk={pk} coachnumber: {2**40}" in listing

    call_command("doctor", "--repair", stdout=io.StringIO())
    row = Institution.objects.get(pk=pk)
    # Cut to length; NULL where allowed; clamped to the column's range.
    assert (row.name, row.classroom, row.coachnumber) == ("驾" * 100, None, 2**31 - 1)
    repairs = AuditLogEntry.objects.filter(action="core.repair", object_id=str(pk))
    assert {r.after["field"] for r in repairs} == {"name", "classroom", "coachnumber"}
    call_command("doctor", stdout=io.StringIO())  # nothing left: exits 0
