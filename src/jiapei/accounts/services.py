"""Writes about regions and accounts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from jiapei.accounts.models import REGULATOR_ROLES, ROLE_LEVEL, Region, Role, User
from jiapei.accounts.regions import province_data
from jiapei.core import services as trail
from jiapei.core.actors import Actor
from jiapei.core.errors import DomainError, FieldError


def sync_regions(*, province_code: str) -> int:
    """Load the shipped divisions of a province; existing rows are updated. Returns the count.

    Idempotent and run after every ``migrate``, so a database always has its province's regions.
    Reference data shipped with the code, loaded like a data migration: no actor and no
    audit-log row.
    """
    rows = province_data(province_code)["regions"]
    with transaction.atomic():
        for row in rows:  # sorted by code, so parents come first
            Region.objects.update_or_create(
                code=row["code"],
                defaults={"name": row["name"], "level": row["level"], "parent_id": row["parent"]},
            )
    return len(rows)


def create_user(
    *,
    actor: Actor,
    username: str,
    password: str,
    role: str,
    region_code: str | None = None,
    **extra: Any,
) -> User:
    """Create an account. Regulators must be bound to a region of their level; the password must
    pass AUTH_PASSWORD_VALIDATORS (:func:`check_password_strength`)."""
    if role not in Role.values:
        raise FieldError("role", role, f"取值应为 {'/'.join(Role.values)}")
    region = None
    if role in REGULATOR_ROLES:
        region = Region.objects.filter(code=region_code or "").first()
        if region is None:
            raise FieldError(
                "region", region_code, "监管账户须绑定行政区划 (regulators need a region)"
            )
        if region.level != ROLE_LEVEL[Role(role)]:
            raise FieldError(
                "region", region_code, f"该角色应绑定{ROLE_LEVEL[Role(role)].label}级区划"
            )
    if User.objects.filter(username=username).exists():
        raise FieldError("username", username, "用户名已存在 (username taken)")
    user = User(username=username, role=role, region=region, **extra)
    check_password_strength(user, password)
    with transaction.atomic():
        user.set_password(password)
        user.save()
        trail.record(
            actor=actor,
            action="user.create",
            obj=user,
            after=trail.snapshot(user, exclude=("password",)),
        )
        return user


def check_password_strength(user: User, password: str) -> None:
    """Refuse a password AUTH_PASSWORD_VALIDATORS reject (too short, too common, all digits, too
    like the username), with all their messages; the password itself is never echoed."""
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise DomainError("密码不合要求 (password refused): " + " ".join(exc.messages),
                          field="password") from None  # fmt: skip
