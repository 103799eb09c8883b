"""``jiapei worker``: relay the outbox (and, in later versions, run background tasks)."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jiapei.audit.tasks import drain_requests
from jiapei.core.actors import Actor
from jiapei.fraud.tasks import scan_due
from jiapei.outbox import tasks as relay
from jiapei.stages.tasks import assemble_due
from jiapei.workorders.tasks import escalate_overdue


class Command(BaseCommand):
    help = "Audit closed sessions and relay the outbox to other systems until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Audit and relay what is due, then exit."
        )
        parser.add_argument("--interval", type=float, default=1.0, help="Idle poll interval (s).")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        actor = Actor.system("worker")
        passes = 0
        while True:
            passes += 1
            audited = drain_requests(actor=actor)
            if audited:
                self.stdout.write(f"audit: {audited} students audited")
            assembled = assemble_due(actor=actor)
            if assembled:
                self.stdout.write(f"stages: {assembled} stage records assembled")
            scanned = scan_due(actor=actor)
            if scanned:
                self.stdout.write(f"fraud: {scanned} days scanned")
            escalated = escalate_overdue(actor=actor)
            if escalated:
                self.stdout.write(f"work orders: {escalated} overdue escalated")
            delivered, failed = relay.relay_once()
            if delivered or failed:
                self.stdout.write(f"outbox: {delivered} delivered, {failed} failed")
            busy = audited or assembled or scanned or delivered
            # --once drains what is due (a pass audits up to 50 students, so a big upload takes
            # many passes), with a bound in case something keeps coming back.
            if options["once"] and (not busy or passes >= 2000):
                return
            if stopping:
                return
            if not busy:
                time.sleep(options["interval"])
