"""Every row a jiapei model writes must fit its columns, on SQLite exactly as on PostgreSQL.

SQLite stores a 1 MB name in a ``varchar(50)`` and ``1e20`` in a ``decimal(10, 2)``; PostgreSQL
refuses both with a server error. :func:`column_errors` judges an instance against its own
model fields' metadata (``max_length``, ``max_digits``/``decimal_places``, the integer ranges
Django documents for each integer field type), so the limits have one source: the model. A
``pre_save`` receiver (connected in :class:`jiapei.core.apps.CoreConfig`) refuses an unfit row
with :class:`FieldErrors` naming the field, before anything is written; the service's
transaction then rolls back, so nothing is half-stored.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations

from jiapei.core.errors import FieldError, FieldErrors
from jiapei.core.wire import decimal, text_problem

# The documented ranges of Django's integer fields, the same whichever database is in use
# (SQLite would store anything; PostgreSQL raises on overflow).
INTEGER_RANGES: dict[str, tuple[int, int]] = dict(BaseDatabaseOperations.integer_field_ranges)


def integer_range(field: Any) -> tuple[int, int]:
    """The values an integer model field's column holds."""
    return INTEGER_RANGES.get(field.get_internal_type(), INTEGER_RANGES["BigIntegerField"])


def value_error(
    field: Any, value: Any, name: str | None = None, *, exact: bool = False
) -> FieldError | None:
    """Why ``value`` does not fit ``field``'s column, as a FieldError naming ``name`` (the
    wire field, by default the model field's name), or None when it fits.

    A decimal with more places than the column keeps is rounded when stored, which is fine for
    what jiapei computes (a mean speed); ``exact`` refuses it instead, for what a caller sent:
    a figure silently changed is not the figure that was filed."""
    name = name or field.name
    if value is None:
        return None
    if isinstance(field, models.CharField | models.TextField):
        if not isinstance(value, str):
            return None
        problem = text_problem(value)
        if problem is not None:
            return FieldError(name, value, problem)
        limit = getattr(field, "max_length", None)
        if isinstance(field, models.CharField) and limit and len(value) > limit:
            return FieldError(name, _short(value), f"长度不能超过{limit}个字符 (at most {limit})")
        return None
    if isinstance(field, models.DecimalField):
        return _decimal_error(field, value, name, exact=exact)
    if isinstance(field, models.IntegerField) and not isinstance(value, bool):
        if not isinstance(value, int):
            return None
        low, high = integer_range(field)
        if not low <= value <= high:
            return FieldError(name, value, f"应在 {low}–{high} 之间 (out of range)")
        return None
    if (
        isinstance(field, models.FloatField)
        and isinstance(value, float)
        and not math.isfinite(value)
    ):
        return FieldError(name, value, "应为有限的数字 (must be a finite number)")
    return None


def _decimal_error(
    field: models.DecimalField, value: Any, name: str, *, exact: bool
) -> FieldError | None:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return FieldError(name, value, "应为数字 (must be a number)")
    if not number.is_finite():
        return FieldError(name, value, "应为有限的数字 (must be a finite number)")
    places = field.decimal_places or 0
    whole = (field.max_digits or 0) - places
    if exact and decimal_places(number) > places:
        return FieldError(
            name,
            value,
            f"小数最多{places}位 (at most {places} digits after the point)",
        )
    # Rounded to the column's places first: 99999999.999 becomes 100000000.00 when stored.
    if number != 0 and number.adjusted() < whole + 1:
        number = number.quantize(Decimal(1).scaleb(-(field.decimal_places or 0)))
    if number != 0 and number.adjusted() + 1 > whole:
        return FieldError(
            name,
            value,
            f"整数部分不能超过{whole}位，小数最多{field.decimal_places}位 "
            f"(at most {field.max_digits} digits, {field.decimal_places} after the point)",
        )
    return None


def decimal_places(number: Decimal) -> int:
    """How many places after the point ``number`` needs to be written exactly ("1.50" needs
    one, "1E+2" none), counted without rounding to the decimal context's precision."""
    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite: checked by the caller
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing)) if any(digits) else 0


def _short(value: str) -> str:
    return value if len(value) <= 200 else value[:200] + "…"


_CHECKED = (
    models.CharField,
    models.TextField,
    models.DecimalField,
    models.IntegerField,
    models.FloatField,
)


@cache
def _checked_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    return tuple(f for f in model._meta.concrete_fields if isinstance(f, _CHECKED))


def column_errors(instance: models.Model) -> list[FieldError]:
    """Every field of ``instance`` whose value does not fit its column."""
    errors = []
    for field in _checked_fields(type(instance)):
        error = value_error(field, getattr(instance, field.attname, None))
        if error is not None:
            errors.append(error)
    return errors


def reader(field: Any, parse: Callable[[str, str], Any]) -> Callable[[str, str], Any]:
    """A :class:`jiapei.core.wire.Fields` parser: ``parse``, then the column ``field`` must
    hold the result exactly (a decimal is not rounded to fit), the error naming the wire
    field."""

    def read(name: str, value: str) -> Any:
        parsed = parse(name, value)
        error = value_error(field, parsed, name, exact=True)
        if error is not None:
            raise error
        return parsed

    return read


def decimal_of(model: type[models.Model], name: str) -> Callable[[str, str], str]:
    """The :class:`jiapei.core.wire.Fields` parser of a wire decimal stored in ``model``'s field
    ``name``: finite, non-negative, and within the column's digits and places, so the figure
    stored is the figure sent."""
    return reader(model._meta.get_field(name), decimal)


def fit(model: type[models.Model], values: dict[str, Any]) -> None:
    """Refuse ``values`` (model field name -> value) that ``model``'s columns cannot hold.

    For services that must judge a row before a side effect the database cannot undo (asking
    the national platform for a number); the ``pre_save`` check covers every other write."""
    errors = []
    for name, value in values.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        error = value_error(field, value)
        if error is not None:
            errors.append(error)
    _raise(errors)


def _raise(errors: list[FieldError]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise FieldErrors(errors)


def refuse_unfit_row(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    """``pre_save`` receiver: refuse a jiapei row that does not fit its columns."""
    if not sender.__module__.startswith("jiapei."):
        return
    _raise(column_errors(instance))
