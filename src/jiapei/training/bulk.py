"""Writing minute records in bulk, the hot path of ingest.

The ORM's ``bulk_create`` converts every field of every row in Python; at one record per
training minute per car that is most of the ingest cost. Here rows go in as plain tuples: on
PostgreSQL through ``COPY`` into a session-local staging table and one
``INSERT … ON CONFLICT (recordnum) DO NOTHING RETURNING``, on SQLite through one
``INSERT OR IGNORE`` ``executemany``. Both report which record numbers were actually stored, so
a record written concurrently by another request is never counted twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection

from jiapei.core import clock
from jiapei.training.models import MinuteRecord

TABLE = MinuteRecord._meta.db_table
STAGE = "jiapei_minute_stage"
COLUMNS = (
    "recordnum", "platform_id", "student_id", "devnum", "coachnum", "carnum", "classid", "at",
    "subjcode", "mode", "part", "max_speed", "mileage", "lng", "lat", "engine_rpm", "result",
    "reject_codes", "coach_classes", "car_class", "valid", "codes", "received_at",
)  # fmt: skip


@dataclass(slots=True)
class NewMinute:
    """One minute record about to be written (the columns of :class:`MinuteRecord`)."""

    recordnum: str
    platform_id: int
    student_id: int
    devnum: str
    coachnum: str
    carnum: str
    classid: str
    at: datetime
    subjcode: str
    mode: int
    part: int
    max_speed: float
    mileage: float
    lng: float | None
    lat: float | None
    engine_rpm: int | None
    coach_classes: str
    car_class: str
    institution_id: int
    reject_codes: list[str] = field(default_factory=list)
    result: str = ""


def _values(row: NewMinute, now: datetime, adapt: Any) -> tuple[Any, ...]:
    return (
        row.recordnum, row.platform_id, row.student_id, row.devnum, row.coachnum, row.carnum,
        row.classid, adapt(row.at), row.subjcode, row.mode, row.part, row.max_speed,
        row.mileage, row.lng, row.lat, row.engine_rpm, row.result, json.dumps(row.reject_codes),
        row.coach_classes, row.car_class, None, "[]", adapt(now),
    )  # fmt: skip


def insert(rows: Sequence[NewMinute]) -> set[str]:
    """Store ``rows``, skipping record numbers already stored. Call inside a transaction.

    Returns the record numbers this call stored.
    """
    if not rows:
        return set()
    now = clock.now()
    columns = ", ".join(COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} ON COMMIT DELETE ROWS AS "  # noqa: S608
                f"SELECT {columns} FROM {TABLE} WITH NO DATA"
            )
            # Rows from an earlier batch in the same transaction must not be inserted again.
            cursor.execute(f"DELETE FROM {STAGE}")  # noqa: S608
            raw = cursor.cursor
            with raw.copy(f"COPY {STAGE} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(_values(row, now, lambda value: value))
            cursor.execute(
                f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM {STAGE} "  # noqa: S608
                "ON CONFLICT (recordnum) DO NOTHING RETURNING recordnum"
            )
            return {number for (number,) in cursor.fetchall()}
        adapt = connection.ops.adapt_datetimefield_value
        marks = ", ".join("%s" for _ in COLUMNS)
        cursor.executemany(
            f"INSERT OR IGNORE INTO {TABLE} ({columns}) VALUES ({marks})",  # noqa: S608
            [_values(row, now, adapt) for row in rows],
        )
        if cursor.rowcount == len(rows):
            return {row.recordnum for row in rows}
    # Some were stored concurrently (SQLite serialises writers, so this is only a safety net).
    stored_now = set(
        MinuteRecord.objects.filter(
            recordnum__in=[row.recordnum for row in rows], received_at=now
        ).values_list("recordnum", flat=True)
    )
    return stored_now
