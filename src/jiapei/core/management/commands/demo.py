"""``jiapei demo``: the platform's main job on the embedded default, end to end.

Migrates, seeds a demo province (regulator accounts and a timing platform with its own key),
builds a province-like world through the real signed API (the city regulators review the
fences), plays a few training days with planted violations and injected hours fraud through the
same API, lets the worker audit every closed session, scan for fraud and relay the callbacks,
and prints what a regulator would want to know: students, sessions, credited and void minutes by
reason, parts completed, exam bookings, fraud findings, a work order decided, the month's
manual-audit draw and the monthly report.
"""

from __future__ import annotations

import io
import os
import secrets
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from jiapei.audit import queries as audit_queries
from jiapei.audit.reasons import explain
from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.outbox import queries as outbox_queries
from jiapei.registry import services
from jiapei.signing import Signer, generate_key, public_pem
from jiapei.sim import demo_fraud
from jiapei.sim import world as sim_world
from jiapei.sim.checks import compare
from jiapei.sim.client import TimingPlatformClient
from jiapei.sim.days import SimReport, simulate_days
from jiapei.sim.police_run import PoliceSimulator
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


def book_exams(police: PoliceSimulator) -> list[tuple[str, str, str, dict[str, Any]]]:
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


class Command(BaseCommand):
    help = "Seed a demo province, play training days through the real API, audit, summarise."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cities", type=int, default=2)
        parser.add_argument("--institutions", type=int, default=2, help="per city")
        parser.add_argument("--students", type=int, default=8, help="per institution")
        parser.add_argument("--days", type=int, default=3, help="training days to simulate")
        parser.add_argument("--violation-share", type=float, default=0.15)
        parser.add_argument(
            "--fraud-share",
            type=float,
            default=0.1,
            help="share of sessions carrying an injected fraud pattern (0: none)",
        )
        parser.add_argument("--seed", type=int, default=20260901)

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        password = demo_password()
        users = sim_world.ensure_demo_users(password)
        key = demo_key()
        police_state = Path(settings.DATA_DIR) / "police_sim_state.json"
        with CallbackReceiver() as receiver, PoliceSimulator(police_state) as police:
            # The police link goes to the simulator process for the length of the demo.
            settings.JIAPEI_POLICE_BACKEND, settings.JIAPEI_POLICE_URL = "http", police.url
            platform, _ = services.register_platform(
                actor=Actor.for_user(users["hunan"]),
                platnum=DEMO_PLATNUM,
                name="示例计时平台",
                cert_serial=DEMO_SERIAL,
                public_key_pem=public_pem(key),
                callback_url=receiver.url,
            )
            client = TimingPlatformClient.in_process(Signer(key, DEMO_SERIAL))
            days = options["days"]
            start = clock.today() - timedelta(days=days)
            cfg = sim_world.WorldConfig(
                seed=options["seed"],
                cities=options["cities"],
                institutions_per_city=options["institutions"],
                students_per_institution=options["students"],
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
                        seed=options["seed"],
                        violation_share=options["violation_share"],
                        fast_track=1,
                        injector=demo_fraud.injector(
                            seed=options["seed"],
                            first_day=start,
                            days=days,
                            share=options["fraud_share"],
                        ),
                    )
                    if days > 0
                    else SimReport()
                )
            finally:
                client.close()
            call_command("worker", once=True, verbosity=0, stdout=io.StringIO())
            approved = approve_pending_stages(users)
            call_command("worker", once=True, verbosity=0, stdout=io.StringIO())
            # The last day played: the same month however long the run takes.
            fraud = demo_fraud.follow_up(users, report, start + timedelta(days=days - 1))
            call_command("worker", once=True, verbosity=0, stdout=io.StringIO())
            bookings = book_exams(police)
            callbacks = len(receiver.received)
        self._print(platform, world, report, cfg, callbacks, password)
        self._print_police(approved, bookings)
        demo_fraud.print_follow_up(self.stdout.write, fraud)

    def _print_police(
        self, approved: int, bookings: list[tuple[str, str, str, dict[str, Any]]]
    ) -> None:
        from jiapei.stages.models import StageReview

        w = self.stdout.write
        w("")
        w("阶段审核与公安联网 stage review and the police link (公安平台为模拟器 SIMULATOR)")
        counts = dict(Counter(StageReview.objects.values_list("status", flat=True)))
        w(
            f"  阶段培训记录 stage records: {counts or 'none yet'}; 人工抽审通过 approved by a "
            f"regulator in this run: {approved}"
        )
        for stunum, name, why, reply in bookings:
            verdict = "受理 accepted" if reply.get("errorcode") == 0 else "拒绝 refused"
            w(
                f"  预约科目一 booking 科目一 for {name} ({stunum}, {why}): {verdict} — "
                f"{reply.get('message', '')}"
            )

    def _print(
        self, platform: Any, world: Any, report: SimReport, cfg: Any, callbacks: int, password: str
    ) -> None:
        w = self.stdout.write
        counts = sim_world.summary()
        audit = audit_queries.summary()
        db = settings.DATABASES["default"]
        w("")
        w("jiapei 驾培监管平台 演示 / demo")
        w(f"  数据库 database: {db['ENGINE'].rsplit('.', 1)[-1]}  {db['NAME']}")
        w(f"  计时平台 timing platform: {platform.platnum} {platform.name}")
        w("")
        w("备案 filings")
        w(
            f"  驾校 institutions {counts['institutions']}, 教练员 coaches {counts['coaches']}, "
            f"教练车 cars {counts['cars']}, 计时终端 terminals {counts['devices']}, "
            f"学员 students {counts['students']}"
        )
        areas = counts["areas"]
        w(
            f"  教学区域 fences: approved {areas.get('approved', 0)}, pending "
            f"{areas.get('pending', 0)}, rejected {areas.get('rejected', 0)} "
            f"(含公安指定路线 incl. {len(world.routes)} police routes)"
        )
        w("")
        w("学时审核 hours audit")
        sessions = audit["sessions"]
        w(f"  学员参训 students trained: {audit['students_trained']} of {audit['students']}")
        w(
            f"  教学日志 sessions: {sum(sessions.values())} — 整体有效 valid "
            f"{sessions.get('valid', 0)}, 部分有效 partly valid {sessions.get('partial', 0)}, "
            f"无效 invalid {sessions.get('invalid', 0)}, 待审 pending {sessions.get('pending', 0)}"
        )
        w(
            f"  分钟学时 minutes: {audit['minutes']} — 有效 valid {audit['minutes_valid']}, "
            f"无效 void {audit['minutes_void']} (其中接收时拒收 rejected at ingest "
            f"{audit['minutes_rejected_at_ingest']})"
        )
        if audit["void_by_reason"]:
            w("  无效原因 void minutes by reason:")
            for code, n in audit["void_by_reason"].items():
                w(f"    {code:<24} {n:>6}  {explain(code)}")
        done = audit["parts_complete"]
        w(
            "  完成部分 parts completed: "
            + (
                ", ".join(f"第{p}部分 {n}人" for p, n in sorted(done.items()))
                or "none yet (a few days cover only part of the syllabus)"
            )
        )
        if report.sessions:
            catch = compare(report)
            caught = sum(catch.caught.values())
            w(
                f"  植入违规 planted violations caught: {caught}/{sum(catch.planted.values())}; "
                f"honest sessions flagged: {catch.honest_flagged}/{catch.honest}"
            )
        w("")
        w(
            f"  回调 callbacks acknowledged by the timing platform: {callbacks}; "
            f"outbox {outbox_queries.status_counts()}"
        )
        w(
            f"  监管账户 regulator logins (password {password!r}): hunan (省), city4301 … (市州), "
            "county430104 (区县)"
        )
        w("  启动服务 serve: ./run serve  →  http://127.0.0.1:8000/api/docs")
