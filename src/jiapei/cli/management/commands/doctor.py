"""``jiapei doctor [--repair]``: list (and repair) stored values their columns cannot hold."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiapei.cli import doctor
from jiapei.core.actors import Actor


class Command(BaseCommand):
    help = (
        "List rows whose stored values their columns cannot hold (decimals beyond their "
        "precision or not finite, integers beyond their range, over-long strings, broken JSON). "
        "With --repair, fix them (clamp, cut or NULL; a teaching log is also voided) with an "
        "audit-log row each. Exits 1 when something found is left unrepaired."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repair", action="store_true", help="Repair what is found.")

    def handle(self, *args: Any, **options: Any) -> None:
        found = doctor.find()
        for item in found:
            self.stdout.write(
                f"{item.label} pk={item.pk} {item.field.name}: {item.shown()} ({item.problem})"
            )
        if not found:
            self.stdout.write("no poisoned rows")
            return
        if not options["repair"]:
            raise CommandError(f"{len(found)} poisoned value(s); run with --repair to fix them")
        repaired = doctor.repair(actor=Actor.system("doctor"), items=found)
        left = doctor.find()
        self.stdout.write(f"repaired {repaired} value(s)")
        if left:
            raise CommandError(f"{len(left)} poisoned value(s) left after the repair")
