"""Counts of related rows as correlated subqueries.

``Count`` over several joins multiplies rows (a school with 30 coaches and 2,000 students
joins 60,000 rows before ``DISTINCT``); a subquery per count stays one index lookup per row of
the page, so a list's cost does not grow with the size of its related tables.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce


def subcount(related: QuerySet[Any], fk: str, outer: str = "pk") -> Coalesce:
    """The number of ``related`` rows whose ``fk`` is the outer row's ``outer``, 0 if none."""
    counted = (
        related.filter(**{fk: OuterRef(outer)})
        .order_by()
        .values(fk)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
