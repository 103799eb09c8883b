"""Tables (django-tables2) for every list page, and the ``.xlsx`` export of the same rows.

:class:`BaseTable` renders with the kit's template (``<caption>``, ``aria-sort``, links that work
without JavaScript and are enhanced by htmx), says why a table is empty, and keeps paging stable
by ordering on ``pk`` last. The export (:func:`xlsx_response`) writes exactly the rows and
columns the user sees, through each column's ``value()``: a masked column exports masked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from io import BytesIO
from typing import Any
from urllib.parse import quote

import django_tables2 as tables
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_tables2.data import TableQuerysetData
from openpyxl import Workbook

from jiapei.core import clock
from jiapei.web import masking

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BaseTable(tables.Table):
    """The kit's table. ``caption`` names it for screen readers."""

    caption: str | Promise = ""

    class Meta:
        template_name = "web/table.html"
        attrs = {"class": "table"}
        empty_text = _("没有符合条件的记录")

    def order_with_tie_breaker(self) -> None:
        """Append ``pk`` to the ordering so that pages never skip or repeat rows."""
        if isinstance(self.data, TableQuerysetData):
            qs = self.data.data
            ordering = list(qs.query.order_by or qs.model._meta.ordering or [])
            if "pk" not in ordering and "-pk" not in ordering:
                self.data.data = qs.order_by(*ordering, "pk")


class MaskedColumn(tables.Column):
    """A column of personal data shown and exported masked (``kind``: idcard or phone)."""

    def __init__(self, *args: Any, kind: str = "idcard", **kwargs: Any) -> None:
        self.mask = {"idcard": masking.mask_idcard, "phone": masking.mask_phone}[kind]
        kwargs.setdefault("orderable", False)
        super().__init__(*args, **kwargs)

    def render(self, value: Any) -> str:
        return self.mask(str(value))

    def value(self, value: Any) -> str:
        return self.mask(str(value))


class DateTimeColumn(tables.DateTimeColumn):
    """``2026-03-05 14:30`` in Asia/Shanghai, sortable by eye (reference/ui.md §5)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("format", "Y-m-d H:i")
        super().__init__(*args, **kwargs)


def _rows(table: tables.Table) -> Iterator[list[Any]]:
    for row in table.as_values():
        yield [_cell(v) for v in row]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        # As the screen shows it: Asia/Shanghai, to the minute (never raw UTC ISO text).
        return date_format(timezone.localtime(value), "Y-m-d H:i")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return str(value)


def xlsx_response(table: tables.Table, filename: str) -> HttpResponse:
    """The table's rows (all pages, the same filter) as an ``.xlsx`` download."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=filename[:31])
    for row in _rows(table):
        sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    stamped = f"{filename}-{clock.localnow():%Y%m%d-%H%M}.xlsx"
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(stamped)}"
    return response


def queryset_of(table: tables.Table) -> QuerySet[Any] | None:
    data = table.data
    return data.data if isinstance(data, TableQuerysetData) else None
