"""``jiapei fraud``: scan days for hours fraud, list findings, evaluate the detectors.

* ``jiapei fraud scan --day D | --since D [--until D] | --month YYYY-MM``
* ``jiapei fraud findings [--region CODE] [--since D] [--detector CODE] [--limit N]``
* ``jiapei fraud evaluate …`` (options and work belong to :mod:`jiapei.sim.fraud_eval`)
"""

from __future__ import annotations

import calendar
import importlib
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiapei.core import clock, progress
from jiapei.core.actors import Actor
from jiapei.fraud import queries, services
from jiapei.fraud.detectors.base import DETECTORS
from jiapei.fraud.models import Finding


def _date(option: str, value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise CommandError(f"{option} {value}: expected YYYY-MM-DD") from None


def _month(value: str) -> tuple[date, date]:
    try:
        year, month = (int(part) for part in value.split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise CommandError(f"--month {value}: expected YYYY-MM") from None
    return first, date(year, month, calendar.monthrange(year, month)[1])


def _fraud_eval() -> Any:
    """The evaluation module, imported only when used (it is written separately and pulls in
    the simulator)."""
    return importlib.import_module("jiapei.sim.fraud_eval")


class Command(BaseCommand):
    help = "Scan days for hours fraud, list the findings, or evaluate the detectors."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        scan = actions.add_parser("scan", help="run the detectors and store what they find")
        which = scan.add_mutually_exclusive_group(required=True)
        which.add_argument("--day", help="one local day, YYYY-MM-DD")
        which.add_argument("--since", help="every day from YYYY-MM-DD (to --until or today)")
        which.add_argument("--month", help="every day of YYYY-MM so far, then the schools")
        scan.add_argument("--until", help="last day with --since, YYYY-MM-DD")

        found = actions.add_parser("findings", help="list stored findings")
        found.add_argument("--region", help="GB/T 2260 code (prefix) of the schools' region")
        found.add_argument("--since", help="findings of this day or later, YYYY-MM-DD")
        found.add_argument("--detector", help="one detector code")
        found.add_argument("--limit", type=int, default=100)

        evaluate = actions.add_parser("evaluate", help="measure the detectors on simulated data")
        progress.add_quiet_argument(evaluate)
        try:
            fraud_eval = _fraud_eval()
        except ImportError:  # the evaluation module ships separately; scan and list still work
            return
        fraud_eval.add_arguments(evaluate)

    @progress.shows_progress
    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "scan":
            self._scan(options)
        elif action == "findings":
            self._findings(options)
        else:
            try:
                fraud_eval = _fraud_eval()
            except ImportError:
                raise CommandError("evaluate: jiapei.sim.fraud_eval is not installed") from None
            # It plays days into the configured database, which may be new (as simulate does).
            call_command("migrate", interactive=False, verbosity=0)
            fraud_eval.run(options, self.stdout)

    def _scan(self, options: dict[str, Any]) -> None:
        today = clock.today()
        period = None
        if options["day"]:
            if options["until"]:
                raise CommandError("--until goes with --since")
            first = last = _date("--day", options["day"])
        elif options["since"]:
            first = _date("--since", options["since"])
            last = _date("--until", options["until"]) if options["until"] else today
        else:
            if options["until"]:
                raise CommandError("--until goes with --since")
            first, last = _month(options["month"])
            last = min(last, today)
            period = (first, last)
        if last < first:
            raise CommandError(f"--until {last}: before the first day {first}")
        if first > today:
            raise CommandError(f"{first}: in the future")
        actor = Actor.system("jiapei fraud scan")
        result = services.ScanResult()
        day = first
        while day <= last:
            result.extend(services.scan_day_result(actor=actor, day=day))
            day += timedelta(days=1)
        if period is not None:
            result.extend(services.scan_period_result(actor=actor, first=period[0], last=period[1]))
        days = (last - first).days + 1
        self.stdout.write(
            f"scanned {days} day(s) {first}..{last}: {len(result.findings)} findings, "
            f"{len(result.created)} new"
            + (f", {result.skipped} skipped (no known school)" if result.skipped else "")
        )
        new = Counter(f.detector for f in result.created)
        for code, count in result.by_detector.items():
            name = DETECTORS.get(code, (code,))[0]
            self.stdout.write(f"  {code:<24} {count:>6}  (new {new[code]})  {name}")

    def _findings(self, options: dict[str, Any]) -> None:
        detector = options["detector"]
        if detector and detector not in DETECTORS:
            raise CommandError(f"--detector {detector}: unknown (see {', '.join(DETECTORS)})")
        qs = queries.filtered(
            Finding.objects.select_related("institution", "student"),
            region=options["region"],
            since=_date("--since", options["since"]) if options["since"] else None,
            detector=detector,
        )
        total = qs.count()
        rows = list(qs[: max(options["limit"], 0)])
        self.stdout.write(
            f"{'id':>6}  {'day':<10}  {'detector':<22}  {'sev':<6}  {'status':<9}  "
            f"{'region':<6}  {'inscode':<16}  {'stunum':<16}  summary"
        )
        for f in rows:
            summary = f.summary if len(f.summary) <= 60 else f.summary[:59] + "…"
            self.stdout.write(
                f"{f.pk:>6}  {f.day.isoformat():<10}  {f.detector:<22}  {f.severity:<6}  "
                f"{f.status:<9}  {f.region_id:<6}  "
                f"{f.institution.inscode if f.institution else '-':<16}  "
                f"{f.student.stunum if f.student else '-':<16}  {summary}"
            )
        self.stdout.write(f"{len(rows)} of {total} findings")
