"""Finding and repairing poisoned rows: values a column cannot hold that SQLite stored anyway.

SQLite keeps whatever it is given: a decimal beyond its column's precision (``1e20`` in a
``max_digits=8`` column), an integer beyond the column's range, a string over ``max_length``.
Django then raises when it reads the row (a decimal cannot be quantized), so every page and
every task that touches the row fails. (JSON columns are safe: Django adds a ``JSON_VALID``
check on SQLite.) PostgreSQL refuses most of these on insert, but a ``numeric`` column still
takes ``NaN``.

:func:`scan` looks for them generically, model by model through ``_meta``, with one SQL query
per table that reads the raw column values (never through the fields' converters, which are
what fail). :func:`fix_for` says what a repair writes: a string cut to ``max_length``; else
NULL where the column allows it; otherwise the value clamped into the column's range (a decimal
to its largest magnitude with its sign, or 0 when it is no number; an integer to its bound).
The write itself is :func:`jiapei.core.services.repair_field` (with an audit-log row).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, models
from django.db.backends.base.operations import BaseDatabaseOperations

# The ranges of the integer columns as the schema means them (PostgreSQL's), not SQLite's
# 64-bit storage.
INTEGER_RANGES = BaseDatabaseOperations.integer_field_ranges


@dataclass(frozen=True)
class Poisoned:
    """One stored value its column cannot hold."""

    model: type[models.Model]
    pk: Any
    field: models.Field[Any, Any]
    value: Any  # as the database returned it, before any converter
    problem: str

    @property
    def label(self) -> str:
        return self.model._meta.label

    def shown(self, width: int = 60) -> str:
        """The value for a listing, cut to ``width`` characters."""
        text = repr(self.value)
        return text if len(text) <= width else text[: width - 1] + "…"


def _decimal_limit(field: models.DecimalField[Any, Any]) -> Decimal:
    return Decimal(10) ** ((field.max_digits or 0) - (field.decimal_places or 0))


def _checks(field: models.Field[Any, Any]) -> tuple[str, list[Any], str] | None:
    """The SQL predicate (with its parameters) true for a poisoned value of ``field``, and what
    it means; None for fields that cannot be poisoned this way."""
    column = connection.ops.quote_name(str(field.column))
    sqlite = connection.vendor == "sqlite"
    if field.primary_key or field.is_relation:
        return None
    if isinstance(field, models.DecimalField):
        limit = _decimal_limit(field)
        digits = f"{field.max_digits} digits with {field.decimal_places} decimals"
        text = f"beyond {digits} or not finite"
        if sqlite:  # NUMERIC affinity: a value that is no number stays text
            return (
                f"(typeof({column}) NOT IN ('integer', 'real', 'null') OR ABS({column}) >= %s)",
                [float(limit)],
                text,
            )
        return f"ABS({column}) >= %s", [limit], text  # NaN sorts above every number
    internal = field.get_internal_type()
    if internal in INTEGER_RANGES:
        low, high = INTEGER_RANGES[internal]
        return f"({column} < %s OR {column} > %s)", [low, high], f"outside {low}…{high}"
    if isinstance(field, models.CharField) and field.max_length:
        return f"LENGTH({column}) > %s", [field.max_length], f"longer than {field.max_length}"
    return None


def scan(model_list: Iterable[type[models.Model]]) -> Iterator[Poisoned]:
    """Every poisoned value in the tables of ``model_list``, table by table."""
    for model in model_list:
        checks = [(f, c) for f in model._meta.concrete_fields if (c := _checks(f))]
        if not checks:
            continue
        table = connection.ops.quote_name(model._meta.db_table)
        pk = connection.ops.quote_name(str(model._meta.pk.column))
        columns = ", ".join(connection.ops.quote_name(str(f.column)) for f, _ in checks)
        where = " OR ".join(sql for _, (sql, _, _) in checks)
        params = [p for _, (_, ps, _) in checks for p in ps]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {pk}, {columns} FROM {table} WHERE {where} ORDER BY {pk}",  # noqa: S608
                params,
            )
            rows = cursor.fetchall()
        for row in rows:
            for (field, (_, _, problem)), value in zip(checks, row[1:], strict=True):
                if _bad(field, value):
                    yield Poisoned(model, row[0], field, value, problem)


def _bad(field: models.Field[Any, Any], value: Any) -> bool:
    """Whether one raw value is poisoned (the row matched, but maybe through another field)."""
    if value is None:
        return False
    if isinstance(field, models.DecimalField):
        try:
            number = Decimal(str(value)) if not isinstance(value, Decimal) else value
        except InvalidOperation:
            return True
        return not number.is_finite() or abs(number) >= _decimal_limit(field)
    internal = field.get_internal_type()
    if internal in INTEGER_RANGES:
        low, high = INTEGER_RANGES[internal]
        return not isinstance(value, int) or not low <= value <= high
    if isinstance(field, models.CharField) and field.max_length:
        return len(str(value)) > field.max_length
    return False


def fix_for(item: Poisoned) -> Any:
    """The value a repair writes in place of ``item.value`` (see the module's docstring)."""
    field, value = item.field, item.value
    if isinstance(field, models.CharField):
        return str(value)[: field.max_length]
    if field.null:
        return None
    if isinstance(field, models.DecimalField):
        places = field.decimal_places or 0
        largest = _decimal_limit(field) - Decimal(1).scaleb(-places)
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if math.isnan(number):
            return Decimal(0).quantize(Decimal(1).scaleb(-places))
        return largest if number > 0 else -largest
    internal = field.get_internal_type()
    if internal in INTEGER_RANGES:
        low, high = INTEGER_RANGES[internal]
        try:
            number = float(value)
        except (TypeError, ValueError):
            return max(low, 0) if low is not None else 0
        return high if number > 0 else low
    return field.get_default()
