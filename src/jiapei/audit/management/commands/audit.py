"""``jiapei audit``: re-run the hours audit (e.g. after a threshold changed); say what changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jiapei.audit.services import audit_students
from jiapei.core import progress
from jiapei.core.actors import Actor
from jiapei.registry.models import Student
from jiapei.training.models import TeachingLog


class Command(BaseCommand):
    help = "Re-run the hours audit for one student, those trained since a date, or everyone."

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--student", help="a student's unified number (stunum)")
        target.add_argument("--since", help="students with sessions on or after YYYY-MM-DD")
        target.add_argument("--all", action="store_true", help="every student with sessions")
        progress.add_quiet_argument(parser)

    @progress.shows_progress
    def handle(self, *args: Any, **options: Any) -> None:
        if options["student"]:
            ids = list(
                Student.objects.filter(stunum=options["student"]).values_list("id", flat=True)
            )
            if not ids:
                raise CommandError(f"--student {options['student']}: no such student")
        else:
            logs = TeachingLog.objects.all()
            if options["since"]:
                try:
                    day = datetime.strptime(options["since"], "%Y-%m-%d").date()
                except ValueError:
                    raise CommandError(f"--since {options['since']}: expected YYYY-MM-DD") from None
                start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
                logs = logs.filter(starttime__gte=start)
            ids = sorted(set(logs.values_list("student_id", flat=True)))
        summary = audit_students(student_ids=ids, actor=Actor.system("jiapei audit"))
        changed = [c for c in summary.changes if c.minutes_changed or c.sessions_changed]
        self.stdout.write(
            f"audited {summary.students} students, {summary.minutes} minutes; "
            f"{len(changed)} students changed"
        )
        for change in changed:
            gained = ", ".join(f"{k}+{v}" for k, v in sorted(change.codes_gained.items()))
            self.stdout.write(
                f"  {change.stunum}: minutes changed {change.minutes_changed}, sessions changed "
                f"{change.sessions_changed}, credited {change.credited_before} → "
                f"{change.credited_after} min" + (f" ({gained})" if gained else "")
            )
