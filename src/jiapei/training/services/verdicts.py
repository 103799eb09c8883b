"""The audit's verdicts on training rows.

Training owns the minute records and teaching logs; the audit (above training in DESIGN §4)
decides their verdict columns and stores them only through these functions, inside its own
transaction, where the audit run records its audit-log row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection

from jiapei.training.models import MinuteRecord, TeachingLog

# The columns of a teaching log the audit decides.
SESSION_VERDICT_FIELDS = (
    "audit_status",
    "total_minutes",
    "valid_minutes",
    "credited_minutes",
    "credited_mileage",
    "codes",
    "rule_version",
    "audited_at",
)


def store_minute_verdicts(*, ids: Sequence[int], valid: bool, codes: list[str]) -> None:
    """Give the minute records ``ids`` one verdict, in one UPDATE (chunked on SQLite).

    Raw SQL: the ORM spends more building a long ``IN`` list than the database spends running
    it."""
    table = MinuteRecord._meta.db_table
    text = json.dumps(codes)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} SET valid = %s, codes = %s::jsonb WHERE id = ANY(%s)",  # noqa: S608
                [valid, text, list(ids)],
            )
            return
        for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
            chunk = ids[start : start + 900]
            marks = ", ".join("%s" for _ in chunk)
            cursor.execute(
                f"UPDATE {table} SET valid = %s, codes = %s WHERE id IN ({marks})",  # noqa: S608
                [valid, text, *chunk],
            )


def store_session_verdicts(*, logs: Sequence[TeachingLog]) -> None:
    """Store the verdict columns (:data:`SESSION_VERDICT_FIELDS`) the audit set on ``logs``."""
    TeachingLog.objects.bulk_update(logs, SESSION_VERDICT_FIELDS)
