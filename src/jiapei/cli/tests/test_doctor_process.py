"""``jiapei worker --once`` and ``jiapei doctor`` as an operator runs them, in subprocesses on a
throwaway installation after a demo, with one teaching log poisoned behind the ORM's back."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from jiapei.testing.processes import Installation, check_ok, installation

pytestmark = pytest.mark.slow

DEMO_ARGS = ["demo", "--cities", "1", "--institutions", "1", "--students", "2", "--days", "1"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installation]:
    with installation(tmp_path_factory.mktemp("doctor")) as inst:
        check_ok(inst.run(*DEMO_ARGS))
        yield inst


def sql(inst: Installation, query: str, *params: Any) -> list[tuple[Any, ...]]:
    """Run one statement (``%s`` placeholders) on the installation's database, past the ORM."""
    url = inst.env["DATABASE_URL"]
    if url.startswith("sqlite"):
        with sqlite3.connect(inst.database) as conn:
            return conn.execute(query.replace("%s", "?"), params).fetchall()
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
        cursor = conn.execute(query, params)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


def test_a_poisoned_log_neither_stops_the_worker_nor_escapes_the_doctor(demo: Installation):
    sqlite = demo.env["DATABASE_URL"].startswith("sqlite")
    check_ok(demo.run("doctor"))  # a clean installation: exit 0
    [(log, student)] = sql(demo, "SELECT MIN(id), MIN(student_id) FROM training_teachinglog")
    # SQLite keeps 1e20 in a numeric(8, 2) column; PostgreSQL keeps NaN.
    poison = 1e20 if sqlite else "NaN"
    sql(demo, "UPDATE training_teachinglog SET mileage = %s WHERE id = %s", poison, log)
    sql(demo, "DELETE FROM training_auditrequest")
    sql(demo, "INSERT INTO training_auditrequest (student_id, reason, days, requested_at) "
              "VALUES (%s, 'test', '[]', '2026-01-01 00:00:00+00')", student)  # fmt: skip

    check_ok(demo.run("worker", "--once", timeout=120))
    if sqlite:  # the log no longer loads: the student's audit failed, alone
        [(count,)] = sql(
            demo,
            "SELECT count FROM core_operationalalert WHERE resolved_at IS NULL AND task = 'audit'",
        )
        assert count == 1

    found = demo.run("doctor")
    assert found.returncode == 1
    assert f"training.TeachingLog pk={log} mileage" in found.stdout

    repaired = check_ok(demo.run("doctor", "--repair"))
    assert "repaired 1 value" in repaired
    check_ok(demo.run("doctor"))
    check_ok(demo.run("worker", "--once", timeout=120))
    assert sql(demo, "SELECT task, unit FROM core_operationalalert WHERE resolved_at IS NULL") == []
    [(void_reason,)] = sql(demo, "SELECT void_reason FROM training_teachinglog WHERE id = %s", log)
    assert "doctor" in void_reason
