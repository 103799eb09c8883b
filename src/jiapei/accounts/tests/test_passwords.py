"""Django's password validators (length, common, numeric, like the username) apply wherever a
password is set: ``jiapei createuser``, the accounts service, the demo's accounts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jiapei.accounts.models import Role, User
from jiapei.accounts.services import create_user
from jiapei.core.actors import Actor
from jiapei.core.errors import DomainError
from jiapei.core.models import AuditLogEntry
from jiapei.testing.processes import check_ok, installation

REFUSED = [
    ("1", "12"),  # too short, all digits: the minimum length is named
    ("password1234", "常见"),  # on the common-passwords list
    ("738291046358", "数字"),  # all digits
    ("changsha-clerk", "相似"),  # the username itself
]


@pytest.mark.parametrize(("password", "said"), REFUSED)
def test_create_user_refuses_weak_passwords_with_the_validators_messages(
    password: str, said: str, db: Any
):
    with pytest.raises(DomainError) as refused:
        create_user(actor=Actor.system("test"), username="changsha-clerk", password=password,
                    role=Role.CITY_REGULATOR, region_code="430100")  # fmt: skip
    assert refused.value.field == "password"
    assert said in refused.value.message, refused.value.message
    if len(password) > 1:  # never echoed ("1" is in "12")
        assert password not in refused.value.message, refused.value.message
    assert not User.objects.filter(username="changsha-clerk").exists()
    assert not AuditLogEntry.objects.filter(action="user.create").exists()


def test_the_demo_password_generator_passes_the_validators(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: Any
):
    from jiapei.sim.demo import demo_password
    from jiapei.sim.world import ensure_demo_users

    monkeypatch.delenv("JIAPEI_DEMO_PASSWORD", raising=False)
    for attempt in range(20):
        settings.DATA_DIR = tmp_path / str(attempt)
        password = demo_password()
        assert len(password) >= 12
    users = ensure_demo_users(password)
    assert users["hunan"].check_password(password)
    assert (settings.DATA_DIR / "demo_password").stat().st_mode & 0o777 == 0o600


def test_createuser_refuses_the_password_1_and_accepts_a_strong_one(tmp_path: Path):
    with installation(tmp_path) as inst:
        check_ok(inst.run("migrate", "-v", "0"))
        args = ("createuser", "--username", "hunan-ops", "--role", "province_regulator",
                "--region", "430000")  # fmt: skip
        inst.env["JIAPEI_PASSWORD"] = "1"
        weak = inst.run(*args)
        assert weak.returncode == 1, weak.stdout + weak.stderr
        assert "password" in weak.stderr and "12" in weak.stderr, weak.stderr
        assert "created" not in weak.stdout

        inst.env["JIAPEI_PASSWORD"] = "Xiang-river-ferry-1927"
        assert "created hunan-ops" in check_ok(inst.run(*args))
