"""``jiapei demo``: the platform's main job on the embedded default, end to end.

Migrates, seeds a demo province (regulator accounts and a timing platform with its own key),
builds a province-like world through the real signed API, has the city regulators review the
fences, relays the callbacks, and prints what a regulator would want to know.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from jiapei.core.actors import Actor
from jiapei.outbox import queries as outbox_queries
from jiapei.registry import services
from jiapei.signing import Signer, generate_key, public_pem
from jiapei.sim import world as sim_world
from jiapei.sim.client import TimingPlatformClient
from jiapei.sim.receiver import CallbackReceiver

DEMO_PLATNUM = "A0001"
DEMO_SERIAL = "9B64FED25801"


def demo_key() -> Any:
    """The demo timing platform's private key, created once per installation in DATA_DIR."""
    path = Path(settings.DATA_DIR) / "demo_platform_key.pem"
    if path.exists():
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    key = generate_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return key


def demo_password() -> str:
    """The demo regulators' password: JIAPEI_DEMO_PASSWORD, or one generated per installation."""
    if os.environ.get("JIAPEI_DEMO_PASSWORD"):
        return os.environ["JIAPEI_DEMO_PASSWORD"]
    path = Path(settings.DATA_DIR) / "demo_password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(9))
        path.chmod(0o600)
    return path.read_text().strip()


class Command(BaseCommand):
    help = "Seed a demo province through the real API and print a summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cities", type=int, default=3)
        parser.add_argument("--institutions", type=int, default=2, help="per city")
        parser.add_argument("--students", type=int, default=12, help="per institution")
        parser.add_argument("--seed", type=int, default=20260901)

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        password = demo_password()
        users = sim_world.ensure_demo_users(password)
        key = demo_key()
        with CallbackReceiver() as receiver:
            self._run(options, users, key, receiver, password)

    def _run(
        self, options: dict, users: dict, key: Any, receiver: CallbackReceiver, password: str
    ) -> None:
        platform, _ = services.register_platform(
            actor=Actor.for_user(users["hunan"]),
            platnum=DEMO_PLATNUM,
            name="示例计时平台",
            cert_serial=DEMO_SERIAL,
            public_key_pem=public_pem(key),
            callback_url=receiver.url,
        )
        client = TimingPlatformClient.in_process(Signer(key, DEMO_SERIAL))
        cfg = sim_world.WorldConfig(
            seed=options["seed"],
            cities=options["cities"],
            institutions_per_city=options["institutions"],
            students_per_institution=options["students"],
        )
        world = sim_world.build_world(client, platform, users, cfg)
        call_command("worker", once=True, verbosity=0)
        counts = sim_world.summary()
        w = self.stdout.write
        w("")
        w("jiapei 驾培监管平台 演示 / demo")
        w(
            f"  数据库 database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
            f"  {settings.DATABASES['default']['NAME']}"
        )
        w(
            f"  计时平台 timing platform: {platform.platnum} {platform.name} "
            f"(证书 {platform.cert_serial})"
        )
        w(
            f"  本次备案 filed this run: {len(world.institutions)} 所驾校 institutions in "
            f"{cfg.cities} 市州 cities"
        )
        w(
            f"  平台合计 totals: 驾校 {counts['institutions']}, 教练员 {counts['coaches']}, "
            f"教练车 {counts['cars']}, 计时终端 {counts['devices']}, 学员 {counts['students']}"
        )
        areas = counts["areas"]
        w(
            f"  教学区域 fences: 已启用 approved {areas.get('approved', 0)}, 待审核 pending "
            f"{areas.get('pending', 0)}, 已驳回 rejected {areas.get('rejected', 0)} "
            f"(含公安指定路线 incl. {len(world.routes)} police routes)"
        )
        w(
            f"  回调 callbacks received by the timing platform this run: {len(receiver.received)}; "
            f"outbox {outbox_queries.status_counts()}"
        )
        w(
            f"  监管账户 regulator logins (password {password!r}): hunan (省), "
            "city4301 … (市州), county430104 (区县)"
        )
        w("  启动服务 serve: jiapei serve  →  http://127.0.0.1:8000/api/docs")
