"""Personal data masked once, on the server (reference/ui.md §5).

The same function serves the screen, the ``.xlsx`` export and print, so no code path shows more
than another. Regulators and school staff see ID numbers and phone numbers masked; the full
value is shown only through an audited reveal.
"""

from __future__ import annotations


def mask_idcard(value: str | None) -> str:
    """``430104199001011234`` → ``4301**********1234``: the province and city, the check digits."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    """``13812345678`` → ``138****5678``; other lengths keep the first three and last four."""
    if not value:
        return ""
    if len(value) <= 7:
        return value[:1] + "*" * (len(value) - 1)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """For the public site only: 张三 → 张*, 张小三 → 张*三, 欧阳小明 → 欧**明."""
    if not value:
        return ""
    if len(value) == 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


# Snapshot keys (audit-log before/after, wire field names) that hold personal data.
PERSONAL_FIELDS = {
    "idcard": mask_idcard,
    "drilicence": mask_idcard,
    "mobile": mask_phone,
    "phone": mask_phone,
}


def mask_field(key: str, value: object) -> object:
    """``value`` masked when ``key`` names personal data, else unchanged."""
    mask = PERSONAL_FIELDS.get(key)
    return mask(str(value)) if mask and value else value
