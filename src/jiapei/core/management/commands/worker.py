"""``jiapei worker``: relay the outbox (and, in later versions, run background tasks)."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jiapei.outbox import relay


class Command(BaseCommand):
    help = "Relay outbox messages to the police, national and timing platforms until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Relay what is due, then exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Idle poll interval (s).")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while True:
            delivered, failed = relay.relay_once()
            if delivered or failed:
                self.stdout.write(f"outbox: {delivered} delivered, {failed} failed")
            if options["once"] or stopping:
                return
            if not delivered:
                time.sleep(options["interval"])
