"""Template filters of the web kit."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from jiapei.core.models import AuditLogEntry
from jiapei.web import glossary, masking

register = template.Library()


@register.filter
def action_label(code: str) -> str:
    return glossary.action_label(code)


@register.filter
def changes(entry: AuditLogEntry) -> list[tuple[str, Any, Any]]:
    """The fields an audit-log row changed, as (name, before, after); timestamps left out."""
    before, after = entry.before or {}, entry.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    skip = {"updated_at", "created_at"}
    if not before:
        return []
    return [
        (key, masking.mask_field(key, before.get(key)), masking.mask_field(key, after.get(key)))
        for key in sorted(set(before) | set(after))
        if key not in skip and not _same(before.get(key), after.get(key))
    ][:12]


def _same(old: Any, new: Any) -> bool:
    """Equal values, counting ``"120.00"`` and ``"120"`` (a decimal re-filed) as the same."""
    if old == new:
        return True
    try:
        return Decimal(str(old)) == Decimal(str(new))
    except (InvalidOperation, ValueError):
        return False


@register.filter
def hours(minutes: int | float | None) -> str:
    return glossary.hours(minutes)


@register.filter
def mask_idcard(value: str | None) -> str:
    return masking.mask_idcard(value)


@register.filter
def mask_phone(value: str | None) -> str:
    return masking.mask_phone(value)


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"
