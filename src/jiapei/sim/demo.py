"""The demo province: what ``jiapei demo`` plays, end to end, on the embedded default.

Seeds a demo province (regulator accounts and a timing platform with its own key), builds a
province-like world through the real signed API (the city regulators review the fences), plays a
few training days with planted violations and injected hours fraud through the same API, lets
the worker audit every closed session, scan for fraud and relay the callbacks, has the
regulators act (stage records approved, a work order decided, the month's manual-audit draw and
report) and students book exams at the police simulator. :func:`play` returns what happened;
the command prints it.

The worker is not called from here: this package sits below the composition root, so the caller
passes ``drain``, one pass of the worker until nothing is due.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.conf import settings

from jiapei.accounts.models import User
from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.registry import services
from jiapei.registry.models import TimingPlatform
from jiapei.signing import Signer, generate_key, public_pem
from jiapei.sim import demo_fraud
from jiapei.sim import world as sim_world
from jiapei.sim.client import TimingPlatformClient
from jiapei.sim.days import SimReport, simulate_days
from jiapei.sim.police_run import PoliceSimulator
from jiapei.sim.receiver import CallbackReceiver

DEMO_PLATNUM = "A0001"
DEMO_SERIAL = "9B64FED25801"
DEMO_PLATFORM_NAME = "示例计时平台"

Booking = tuple[str, str, str, dict[str, Any]]  # stunum, name, why, the simulator's reply


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
        path.write_text(secrets.token_urlsafe(12))  # 16 characters: passes the validators
        path.chmod(0o600)
    return path.read_text().strip()


def register_demo_platform(
    users: dict[str, User], key: Any, *, callback_url: str | None = None
) -> TimingPlatform:
    """File (or re-file) the demo timing platform under ``key``, as the province regulator.

    ``callback_url`` None keeps the address set earlier (e.g. by an operator pointing at a test
    rig); the demo passes its own receiver's."""
    if callback_url is None:
        existing = TimingPlatform.objects.filter(platnum=DEMO_PLATNUM).first()
        callback_url = existing.callback_url if existing else ""
    platform, _ = services.register_platform(
        actor=Actor.for_user(users["hunan"]),
        platnum=DEMO_PLATNUM,
        name=DEMO_PLATFORM_NAME,
        cert_serial=DEMO_SERIAL,
        public_key_pem=public_pem(key),
        callback_url=callback_url,
    )
    return platform


def approve_pending_stages(users: dict[str, Any]) -> int:
    """The city regulators decide the stage records drawn for manual review (in a real
    province a person reads them; the demo approves those whose checks all passed)."""
    from jiapei.stages.models import StageReview
    from jiapei.stages.services import review

    decided = 0
    for row in StageReview.objects.filter(status="pending_manual").select_related(
        "student__institution"
    ):
        if not all(check.get("ok") for check in row.checks):
            continue
        city = row.student.institution.district_id[:4]
        review(
            review_id=row.pk,
            approve=True,
            reason="演示：人工抽审通过",
            actor=Actor.for_user(users[f"city{city}"]),
        )
        decided += 1
    return decided


def book_exams(police: PoliceSimulator) -> list[Booking]:
    """Students ask the police simulator to book 科目一: those with part 1 approved and pushed,
    and one who is still short of part 1 hours."""
    from jiapei.audit.models import PartResult
    from jiapei.registry.models import Student

    complete = PartResult.objects.filter(part=1, complete=True)
    done = list(complete.select_related("student").order_by("student__stunum")[:3])
    short = Student.objects.exclude(pk__in=complete.values("student_id")).order_by("stunum").first()
    wanted = [(p.student, "已完成第一部分") for p in done]
    if short is not None:
        wanted.append((short, "第一部分学时不足"))
    return [(s.stunum, s.name, why, police.book(s.idcard, "1")) for s, why in wanted]


@dataclass(frozen=True)
class DemoOptions:
    """The demo's size and randomness (the command's options)."""

    cities: int = 2
    institutions: int = 2  # per city
    students: int = 8  # per institution
    days: int = 3  # training days to simulate
    violation_share: float = 0.15
    fraud_share: float = 0.1  # share of sessions carrying an injected fraud pattern (0: none)
    seed: int = 20260901


@dataclass
class DemoRun:
    """What the demo did, for printing."""

    platform: TimingPlatform
    world: sim_world.World
    report: SimReport
    password: str
    callbacks: int  # callbacks the timing platform acknowledged
    approved: int  # stage records a regulator approved in this run
    bookings: list[Booking]
    fraud: demo_fraud.FollowUp


def play(options: DemoOptions, *, drain: Callable[[], None]) -> DemoRun:
    """Play the demo on the migrated database; ``drain`` runs the worker until nothing is due."""
    password = demo_password()
    users = sim_world.ensure_demo_users(password)
    key = demo_key()
    police_state = Path(settings.DATA_DIR) / "police_sim_state.json"
    with CallbackReceiver() as receiver, PoliceSimulator(police_state) as police:
        # The police link goes to the simulator process for the length of the demo.
        settings.JIAPEI_POLICE_BACKEND, settings.JIAPEI_POLICE_URL = "http", police.url
        platform = register_demo_platform(users, key, callback_url=receiver.url)
        client = TimingPlatformClient.in_process(Signer(key, DEMO_SERIAL))
        days = options.days
        start = clock.today() - timedelta(days=days)
        cfg = sim_world.WorldConfig(
            seed=options.seed,
            cities=options.cities,
            institutions_per_city=options.institutions,
            students_per_institution=options.students,
            today=start,
        )
        try:
            world = sim_world.build_world(client, platform, users, cfg)
            report = (
                simulate_days(
                    client,
                    world,
                    days=days,
                    start_day=start,
                    seed=options.seed,
                    violation_share=options.violation_share,
                    fast_track=1,
                    injector=demo_fraud.injector(
                        seed=options.seed,
                        first_day=start,
                        days=days,
                        share=options.fraud_share,
                    ),
                )
                if days > 0
                else SimReport()
            )
        finally:
            client.close()
        drain()
        approved = approve_pending_stages(users)
        drain()
        # The last day played: the same month however long the run takes.
        fraud = demo_fraud.follow_up(users, report, start + timedelta(days=days - 1))
        drain()
        bookings = book_exams(police)
        callbacks = len(receiver.received)
    return DemoRun(
        platform=platform,
        world=world,
        report=report,
        password=password,
        callbacks=callbacks,
        approved=approved,
        bookings=bookings,
        fraud=fraud,
    )
