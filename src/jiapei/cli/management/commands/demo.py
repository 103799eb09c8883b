"""``jiapei demo``: the platform's main job on the embedded default, end to end.

Migrates, then plays the demo province of :mod:`jiapei.sim.demo` (a world built through the real
signed API, training days with planted violations and injected fraud, the worker's audit, scan
and relay, the regulators' decisions) and prints what a regulator would want to know: students,
sessions, credited and void minutes by reason, parts completed, exam bookings, fraud findings, a
work order decided, the month's manual-audit draw and the monthly report.
"""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from jiapei.audit import queries as audit_queries
from jiapei.audit.reasons import explain
from jiapei.core import progress
from jiapei.outbox import queries as outbox_queries
from jiapei.sim import demo_fraud
from jiapei.sim import world as sim_world
from jiapei.sim.checks import compare
from jiapei.sim.demo import Booking, DemoOptions, DemoRun, play
from jiapei.stages.models import StageReview


def drain() -> None:
    """One ``jiapei worker --once``, quietly: everything due is audited, scanned and relayed."""
    call_command("worker", once=True, verbosity=0, stdout=io.StringIO())


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
        progress.add_quiet_argument(parser)

    @progress.shows_progress
    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        run = play(
            DemoOptions(
                cities=options["cities"],
                institutions=options["institutions"],
                students=options["students"],
                days=options["days"],
                violation_share=options["violation_share"],
                fraud_share=options["fraud_share"],
                seed=options["seed"],
            ),
            drain=drain,
        )
        self._print(run)
        self._print_police(run.approved, run.bookings)
        demo_fraud.print_follow_up(self.stdout.write, run.fraud)

    def _print_police(self, approved: int, bookings: list[Booking]) -> None:
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

    def _print(self, run: DemoRun) -> None:
        w = self.stdout.write
        platform, report = run.platform, run.report
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
            f"(含公安指定路线 incl. {len(run.world.routes)} police routes)"
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
            f"  回调 callbacks acknowledged by the timing platform: {run.callbacks}; "
            f"outbox {outbox_queries.status_counts()}"
        )
        w("  治理端 regulators' console: ./run serve  →  http://127.0.0.1:8000/console/")
        w(
            f"  监管账户 regulator logins (password {run.password!r}): hunan (省 province), "
            "city4301 长沙 … city4331 (市州 cities), county430104 岳麓区 (区县 county)"
        )
        w("  接口文档 API docs: http://127.0.0.1:8000/api/docs")
