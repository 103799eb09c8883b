"""Benchmark: the fraud scan of one day — how long loading and detecting take, and how much
memory the scan context holds — on a database that already has training data.

Fill a database first, e.g. with the evaluation (which also leaves findings behind):

    JIAPEI_DATA_DIR=/tmp/fb .venv/bin/jiapei migrate
    JIAPEI_DATA_DIR=/tmp/fb .venv/bin/jiapei fraud evaluate --days 5 --min-per-pattern 20
    JIAPEI_DATA_DIR=/tmp/fb .venv/bin/python bench/fraud_scan.py --runs 3

(``DATABASE_URL`` selects PostgreSQL as for every jiapei command.) Nothing is written: the
detectors run on the loaded context and their drafts are counted, not stored. For every day
that has sessions it prints the sessions of the day and of the look-back, the minute records
(of the day), the look-back track points and the photos loaded, the median load and detect
times over ``--runs``, and the traced memory of building the context (tracemalloc, one extra
pass), then the totals.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiapei.settings")

from jiapei.core import progress  # after sys.path gained src above


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", help="write the figures to this file")
    progress.add_quiet_argument(parser)
    options = parser.parse_args()
    with progress.shown(not options.quiet):
        scan_days(options)


def scan_days(options: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.db.models.functions import TruncDate
    from django.utils import timezone

    from jiapei.fraud import detectors, loading, params
    from jiapei.training.models import TeachingLog

    zone = timezone.get_current_timezone()
    local_days = TeachingLog.objects.annotate(d=TruncDate("starttime", tzinfo=zone))
    days = sorted(set(local_days.values_list("d", flat=True)))
    if not days:
        sys.exit("no teaching logs in this database: fill it first (see the module docstring)")
    chosen = params.current()
    rows: list[dict[str, Any]] = []
    for day in progress.bar(days, desc="days", unit="day"):
        loads, detects, drafts = [], [], 0
        for _ in range(options.runs):
            started = time.perf_counter()
            context = loading.day_context(day, chosen)
            loaded = time.perf_counter()
            drafts = sum(len(d(context)) for d in detectors.DAY_DETECTORS)
            loads.append(loaded - started)
            detects.append(time.perf_counter() - loaded)
        tracemalloc.start()
        context = loading.day_context(day, chosen)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        both = [*context.sessions, *context.earlier]
        rows.append(
            {
                "day": day.isoformat(),
                "sessions": len(context.sessions),
                "earlier_sessions": len(context.earlier),
                "minutes_loaded": sum(len(s.minutes) for s in both),
                "track_points_loaded": sum(len(s.track) for s in both if s.track is not None),
                "photos_loaded": sum(len(s.photos) for s in both),
                "load_s": round(statistics.median(loads), 3),
                "detect_s": round(statistics.median(detects), 3),
                "context_peak_mib": round(peak / 2**20, 1),
                "drafts": drafts,
            }
        )
        progress.write(json.dumps(rows[-1], ensure_ascii=False))
    seconds = sum(r["load_s"] + r["detect_s"] for r in rows)
    summary = {
        "database": os.environ.get("DATABASE_URL", "sqlite (JIAPEI_DATA_DIR)").split("@")[-1],
        "days": len(rows),
        "runs": options.runs,
        "sessions_scanned": sum(r["sessions"] for r in rows),
        "scan_s_total": round(seconds, 2),
        "sessions_per_s": round(sum(r["sessions"] for r in rows) / seconds, 1),
        "peak_context_mib": max(r["context_peak_mib"] for r in rows),
        "track_points_loaded_max": max(r["track_points_loaded"] for r in rows),
    }
    print(json.dumps(summary, ensure_ascii=False))
    if options.json:
        Path(options.json).write_text(json.dumps({"days": rows, "summary": summary}, indent=1))


if __name__ == "__main__":
    main()
