"""``jiapei digest [--user NAME]``: send today's digest e-mail (每日提醒) to every regulator.

Run it once a day (cron, a systemd timer); running it again the same day sends nothing twice
(:mod:`jiapei.reports.digest`). Exits 1 when a mail could not be sent, so the scheduler retries.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiapei.reports import digest


class Command(BaseCommand):
    help = (
        "Send each regulator with an e-mail address the day's alerts (new high-severity "
        "findings, work orders due or overdue, stage records waiting, schools that stopped "
        "uploading) through the configured mail backend; at most once per user and day."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", action="append", help="Only this username (repeatable).")

    def handle(self, *args: Any, **options: Any) -> None:
        users = digest.recipients()
        if options["user"]:
            users = users.filter(username__in=options["user"])
        run = digest.send_digests(users)
        self.stdout.write(
            f"digest {run.day}: {len(run.sent)} sent, {len(run.already)} already sent today, "
            f"{len(run.empty)} with nothing to do"
            + (f", {len(run.failed)} failed" if run.failed else "")
        )
        for name in run.sent:
            self.stdout.write(f"  sent: {name}")
        if run.failed:
            raise CommandError(f"not sent: {', '.join(run.failed)}")
