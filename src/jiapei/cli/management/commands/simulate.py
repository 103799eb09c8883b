"""``jiapei simulate``: training days of a demo province, played through the real signed API.

Migrates, builds (or re-files) the demo world with ``sim.world`` under the demo timing
platform's key, then plays ``--days`` training days with ``sim.days.simulate_days``: honest
sessions plus a share carrying one planted violation each. Prints what was sent, what the API
answered and which violations were planted; ``--report FILE`` writes every session as JSON so
that planted violations can be checked against the audit's verdicts.

``--url`` sends the training data to a running server instead of the in-process application;
the world builder also writes regulators' fences directly, so that server must use the same
database.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiapei.core import clock, progress
from jiapei.signing import Signer
from jiapei.sim import world as sim_world
from jiapei.sim.client import TimingPlatformClient
from jiapei.sim.days import CODES, SimReport, simulate_days
from jiapei.sim.demo import DEMO_SERIAL, demo_key, demo_password, register_demo_platform


class Command(BaseCommand):
    help = "Play training days through the real API, with planted violations, and summarise."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=3, help="number of training days")
        parser.add_argument(
            "--start", type=date.fromisoformat, default=None,
            help="first day, YYYY-MM-DD (default: the last --days days before today)",
        )  # fmt: skip
        parser.add_argument("--seed", type=int, default=20260901)
        parser.add_argument("--violation-share", type=float, default=0.1)
        parser.add_argument(
            "--violations", default="", help=f"comma-separated codes (default all): {CODES}"
        )
        parser.add_argument("--cities", type=int, default=3)
        parser.add_argument("--institutions", type=int, default=2, help="per city")
        parser.add_argument("--students", type=int, default=12, help="per institution")
        parser.add_argument("--url", default="", help="a running server, e.g. http://host:8000")
        parser.add_argument("--report", default="", help="write every session as JSON here")
        parser.add_argument(
            "--fast-track",
            type=int,
            default=0,
            help="students per school who take the part-1 theory at the daily maximum",
        )
        progress.add_quiet_argument(parser)

    @progress.shows_progress
    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days < 1:
            raise CommandError("--days must be at least 1")
        if not 0 <= options["violation_share"] <= 1:
            raise CommandError("--violation-share must be between 0 and 1")
        chosen = {c.strip().upper() for c in options["violations"].split(",") if c.strip()}
        if chosen - set(CODES):
            raise CommandError(f"unknown violation codes {sorted(chosen - set(CODES))}")
        start = options["start"] or clock.today() - timedelta(days=days)
        call_command("migrate", interactive=False, verbosity=0)
        users = sim_world.ensure_demo_users(demo_password())
        key = demo_key()
        # Keeps a callback address set earlier (e.g. by an operator pointing at a test rig).
        platform = register_demo_platform(users, key)
        signer = Signer(key, DEMO_SERIAL)
        client = (
            TimingPlatformClient(signer, base_url=options["url"].rstrip("/"))
            if options["url"]
            else TimingPlatformClient.in_process(signer)
        )
        # Students enrol before the first training day: applydates are drawn before ``today``.
        cfg = sim_world.WorldConfig(
            seed=options["seed"],
            cities=options["cities"],
            institutions_per_city=options["institutions"],
            students_per_institution=options["students"],
            today=start,
        )
        try:
            world = sim_world.build_world(client, platform, users, cfg)
            began = time.monotonic()
            report = simulate_days(
                client, world, days=days, start_day=start, seed=options["seed"],
                violation_share=options["violation_share"], violations=chosen or None,
                fast_track=options["fast_track"],
            )  # fmt: skip
            elapsed = time.monotonic() - began
        finally:
            client.close()
        self._summary(report, start, days, elapsed)
        if options["report"]:
            rows = [{**asdict(s), "day": s.day.isoformat()} for s in report.sessions]
            Path(options["report"]).write_text(json.dumps(rows, ensure_ascii=False, indent=1))
            self.stdout.write(f"  报告 report: {options['report']}")

    def _summary(self, report: SimReport, start: date, days: int, elapsed: float) -> None:
        w = self.stdout.write
        last = start + timedelta(days=days - 1)
        sessions = len(report.sessions)
        w("")
        w(f"jiapei 训练日模拟 / training-day simulation {start} … {last}")
        w(
            f"  学时 sessions: {sessions} 个教学日志 logs ({report.logs_refused} refused), "
            f"{report.photos_sent} 张照片 photos, {report.minutes_sent} 条分钟学时 minutes"
        )
        w(
            f"  接收结果 ingest: accepted {report.accepted}, rejected {report.rejected}, "
            f"refused {report.refused} (replayed duplicates {report.duplicates})"
        )
        planted = report.planted()
        w(f"  植入违规 planted violations: {sum(planted.values())} sessions")
        for code in CODES:
            if planted[code]:
                w(f"    {code:<24} {planted[code]}")
        w(f"  用时 elapsed: {elapsed:.1f} s ({sessions / max(elapsed, 1e-9):.2f} sessions/s)")
        for error in report.errors[:10]:
            w(f"  ! {error}")
