"""``jiapei police_sim``: run the police platform SIMULATOR (公安平台模拟器) as its own server.

It stands in for 互联网交通安全综合服务管理平台 (12123) in demos, tests and 联调. Django only parses
the options here; the server itself uses the standard library and talks to jiapei over HTTP only.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jiapei.police_sim.server import add_arguments, run


class Command(BaseCommand):
    help = (
        "Run the police platform SIMULATOR (公安平台模拟器): receives hours pushes, gates exam "
        "booking on them, checks pre-entry with jiapei and sends exam results back."
    )
    # The simulator is not part of jiapei: it must start even if jiapei's configuration is broken.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        run(options, out=self.stdout)
