"""``jiapei worker``: run the background tasks and relay the outbox (:mod:`jiapei.cli.worker`
says which, in which order) until stopped."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jiapei.cli import worker
from jiapei.core.actors import Actor


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
            busy = worker.run_pass(actor, self.stdout.write)
            # --once drains what is due (a pass audits up to 50 students, so a big upload takes
            # many passes), with a bound in case something keeps coming back.
            if options["once"] and (not busy or passes >= 2000):
                return
            if stopping:
                return
            if not busy:
                time.sleep(options["interval"])
