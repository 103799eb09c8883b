"""``jiapei worker``: relay the outbox (and, in later versions, run background tasks)."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jiapei.audit.tasks import drain_requests
from jiapei.core.actors import Actor
from jiapei.outbox import tasks as relay


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
        while True:
            audited = drain_requests(actor=actor)
            if audited:
                self.stdout.write(f"audit: {audited} students audited")
            delivered, failed = relay.relay_once()
            if delivered or failed:
                self.stdout.write(f"outbox: {delivered} delivered, {failed} failed")
            if options["once"] and not audited and not delivered:
                return
            if stopping:
                return
            if not delivered and not audited:
                time.sleep(options["interval"])
