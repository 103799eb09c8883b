"""The raw insert ceiling of the ingest benchmark: the rows the API stored, inserted again
in-process without HTTP, with the ORM's ``bulk_create`` and (PostgreSQL) ``COPY``."""

from __future__ import annotations

import json
import time
from typing import Any

from ingest_machine import log, summary
from ingest_plan import chunk

from jiapei.core import progress


def snapshot_rows() -> list[dict[str, Any]]:
    """The ingested rows as column values (ids dropped, audit verdict reset)."""
    from jiapei.training.models import MinuteRecord

    fields = [
        f.attname
        for f in MinuteRecord._meta.concrete_fields
        if f.attname not in ("id", "valid", "codes", "received_at")
    ]
    return list(MinuteRecord.objects.order_by("id").values(*fields))


def raw_bulk_create(rows: list[dict[str, Any]], batch: int) -> float:
    from django.db import transaction

    from jiapei.training.models import MinuteRecord

    objects = [MinuteRecord(**row) for row in rows]
    began = time.perf_counter()
    for part in chunk(objects, batch):
        with transaction.atomic():
            MinuteRecord.objects.bulk_create(part, ignore_conflicts=True)
    return time.perf_counter() - began


def raw_copy(rows: list[dict[str, Any]], batch: int) -> float:
    from django.db import connection

    from jiapei.core import clock
    from jiapei.training.models import MinuteRecord

    columns = [*rows[0].keys(), "valid", "codes", "received_at"]
    now = clock.now()
    values = [
        [*(json.dumps(v) if isinstance(v, list) else v for v in row.values()), None, "[]", now]
        for row in rows
    ]
    sql = f"COPY {MinuteRecord._meta.db_table} ({', '.join(columns)}) FROM STDIN"
    connection.ensure_connection()
    pg = connection.connection
    began = time.perf_counter()
    for part in chunk(values, batch):
        with pg.transaction(), pg.cursor() as cursor, cursor.copy(sql) as copy:
            for row in part:
                copy.write_row(row)
    return time.perf_counter() - began


def raw_ceiling(vendor: str, runs: int, batch: int) -> dict[str, Any]:
    """``runs`` timed inserts of the stored rows per method, each into an empty table."""
    from ingest_server import empty_minutes

    from jiapei.training.models import MinuteRecord

    rows = snapshot_rows()
    raw: dict[str, Any] = {}
    methods = [("bulk_create", raw_bulk_create)]
    if vendor == "postgresql":
        methods.append(("copy", raw_copy))
    for name, method in methods:
        rates = []
        for _ in progress.bar(range(runs), desc=f"raw {name}", unit="run"):
            empty_minutes(vendor)
            seconds = method(rows, batch)
            if MinuteRecord.objects.count() != len(rows):
                raise SystemExit(f"raw {name}: row count mismatch")
            rates.append(len(rows) / seconds)
        raw[name] = summary(rates) | {"runs": rates}
        log(f"raw {name}: median {raw[name]['median']:,.0f} rows/s over {runs} runs")
    return raw
