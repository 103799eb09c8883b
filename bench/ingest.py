"""Minute-record ingest benchmark: end to end through the real signed HTTP API, against the raw
insert ceiling of the same rows, plus the audit rate and (optionally) a worker-memory soak.

Run from the repository root::

    .venv/bin/python bench/ingest.py --db postgres --records 100000 --runs 3
    .venv/bin/python bench/ingest.py --db sqlite --records 50000 --runs 3
    .venv/bin/python bench/ingest.py --db postgres --records 5000 --runs 1 --students 100 --soak 600

Every run works in a throwaway database (a SQLite file in a temporary directory, or a uniquely
named PostgreSQL database on postgres://postgres@127.0.0.1:5432 dropped at the end), builds a
small province through the real API (``jiapei.sim.world``) with approved training-ground fences,
starts ``jiapei serve`` (gunicorn) as a subprocess and posts pre-signed ``/minuterecords``
batches from client processes. See bench/README.md for what each figure means.

This file is the command line and the order of the phases; each phase lives in a module beside
it: ``ingest_plan`` (the traffic), ``ingest_server`` (database, world, ``jiapei serve``),
``ingest_http`` (client processes and timed runs), ``ingest_audit``, ``ingest_raw`` (the insert
ceiling), ``ingest_soak``, ``ingest_machine`` (CPU, memory, logging) and ``ingest_report``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform as pyplatform
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from ingest_audit import audit_rate, log_audit
from ingest_http import end_to_end
from ingest_machine import SHARED_CPU_NOTE, cpu_model, free_port, log
from ingest_plan import MINUTES_PER_SLOT, chunk, day_minutes, first_minutes
from ingest_raw import raw_ceiling
from ingest_report import print_table, result
from ingest_server import Server, build_world, throwaway_database
from ingest_soak import soak

from jiapei.core import progress


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--records", type=int, default=20000, help="minute records per run")
    p.add_argument("--batch", type=int, default=500, help="items per request (≤ 2000)")
    p.add_argument("--clients", type=int, default=4, help="client processes")
    p.add_argument("--runs", type=int, default=3, help="timed end-to-end runs (median)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    p.add_argument("--soak", type=float, default=0, help="seconds of worker soak (0: none)")
    p.add_argument("--cities", type=int, default=3, help="world size: cities")
    p.add_argument("--institutions", type=int, default=2, help="world size: schools per city")
    p.add_argument("--students", type=int, default=12, help="world size: students per school")
    p.add_argument("--json", type=Path, help="also write the result JSON to this file")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    progress.add_quiet_argument(p)
    args = p.parse_args(argv)
    if not 1 <= args.batch <= 2000:
        p.error("--batch must be 1..2000")
    if args.records < 1 or args.runs < 1 or args.clients < 1 or args.workers < 1:
        p.error("--records, --runs, --clients and --workers must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="jiapei-bench-"))
    report: dict[str, Any] = {"ok": False}
    try:
        with ExitStack() as stack, progress.shown(not args.quiet):
            url = stack.enter_context(throwaway_database(args.db, workdir))
            report = run(args, url, workdir, stack)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            log(f"kept {workdir}")
    text = json.dumps(report, ensure_ascii=False, default=str)
    if args.json:
        args.json.write_text(text + "\n")
    print(text, flush=True)
    return 0 if report.get("ok") else 1


def run(args: argparse.Namespace, url: str, workdir: Path, stack: ExitStack) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = url
    os.environ["JIAPEI_DATA_DIR"] = str(workdir / "data")
    os.environ["DJANGO_SETTINGS_MODULE"] = "jiapei.settings"
    os.environ.setdefault("JIAPEI_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from jiapei.sim.receiver import CallbackReceiver

    # Logins are not measured: skip the deliberately slow password hash while seeding.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cores = os.cpu_count() or 1
    vendor = connection.vendor
    facts = {
        "cores": cores,
        "cpu": cpu_model(),
        "loadavg_at_start": os.getloadavg(),
        "python": pyplatform.python_version(),
        "db": args.db,
        "records_per_run": args.records,
        "batch": args.batch,
        "clients": args.clients,
        "gunicorn_workers": args.workers,
        "gunicorn_threads": 4,
        "conn_max_age": settings.DATABASES["default"].get("CONN_MAX_AGE"),
    }
    t0 = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("select version()" if vendor == "postgresql" else "select sqlite_version()")
        facts["db_version"] = cursor.fetchone()[0].split(" on ")[0]
    log(f"{facts['db']} {facts['db_version']}: migrated in {time.perf_counter() - t0:.1f}s")

    receiver = stack.enter_context(CallbackReceiver())
    t0 = time.perf_counter()
    world = build_world(args.cities, args.institutions, args.students, receiver.url)
    plan = world["plan"]
    schools = plan["schools"]
    students = sum(len(s["students"]) for s in schools)
    devices = sum(len(s["devices"]) for s in schools)
    items, days = first_minutes(plan, args.records)
    batches = chunk(items, args.batch)
    facts["world"] = {
        "schools": len(schools),
        "terminals": devices,
        "students": students,
        "days": days,
        "max_minutes_per_student_day": MINUTES_PER_SLOT,
    }
    log(
        f"world built in {time.perf_counter() - t0:.1f}s: {len(schools)} schools, {devices} "
        f"terminals, {students} students; {len(items)} minutes over {days} days in "
        f"{len(batches)} batches of ≤{args.batch}"
    )

    port = free_port()
    server = Server(port, args.workers, workdir / "server.log")
    stack.callback(server.stop)
    server.wait_ready()
    log(f"jiapei serve on :{port} with {args.workers} gunicorn workers (pid {server.proc.pid})")
    log("note: " + SHARED_CPU_NOTE.format(cores=cores))

    ctx = mp.get_context("spawn")
    # Warm-up traffic lies far beyond the timed days, so it never collides with them.
    warm = chunk(day_minutes(plan, days + 500), args.batch)[: 2 * max(args.clients, args.workers)]
    e2e = end_to_end(ctx, args, world, server, batches, warm, vendor)

    log("audit …")
    audit = audit_rate(args.runs, vendor, world, days, len(items))
    log_audit(audit)

    raw = raw_ceiling(vendor, args.runs, args.batch)

    soaked = None
    if args.soak > 0:
        log(f"soak: {args.soak:.0f}s of traffic with `jiapei worker` running …")
        soaked = soak(ctx, args.soak, args, world, server, -1, workdir)

    found = result(facts, e2e, raw, audit, soaked, len(items))
    print_table(found)
    return found


if __name__ == "__main__":
    sys.exit(main())
