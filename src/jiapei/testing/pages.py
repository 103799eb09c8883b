"""Helpers for tests of server-rendered pages (the Django test client, no browser)."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook


def queries_of(client: Any, url: str) -> int:
    """How many SQL queries one GET of ``url`` runs (the page must answer 200)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


def assert_flat_queries(client: Any, url: str, grow: Callable[[], Any]) -> None:
    """The page's query count does not grow with its rows: count, ``grow()`` the data, count
    again (no N+1 query hides in a column, a related record or a count)."""
    before = queries_of(client, url)
    grow()
    after = queries_of(client, url)
    assert after == before, f"{url}: {before} queries, then {after} after adding rows"


def xlsx_rows(response: Any) -> list[list[Any]]:
    """The rows of an ``.xlsx`` download (the header first)."""
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ), response["Content-Type"]
    sheet = load_workbook(BytesIO(response.content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]
