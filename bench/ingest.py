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
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing as mp
import os
import platform as pyplatform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
JIAPEI = [sys.executable, "-m", "jiapei.cli"]  # the `jiapei` command of this interpreter
MINUTES_PER_SLOT = 240  # one student's training minutes on one day (the brief's ceiling)
SLOT_STARTS = ((8, 0), (13, 30))  # a terminal's morning and afternoon sessions
SHARED_CPU_NOTE = (
    "client and server share the same {cores} cores: the client processes (JSON, HTTP, reply "
    "parsing) compete with gunicorn and the database for CPU, so end-to-end figures are a lower "
    "bound of what the server alone could do"
)


# --------------------------------------------------------------------------------------------
# The traffic plan: pure data and functions (no Django), shared by the parent and the clients.
# --------------------------------------------------------------------------------------------


def sessions(plan: dict[str, Any], index: int) -> list[dict[str, Any]]:
    """The training sessions of day ``index`` (0 = yesterday, 1 = the day before, -1 = today,
    …): every terminal runs a morning and an afternoon session of MINUTES_PER_SLOT minutes,
    each with a different student; a student trains at most one session a day (students rotate
    through the days), so nobody gets more than MINUTES_PER_SLOT minutes on one day."""
    day = date.fromisoformat(plan["first_day"]) - timedelta(days=index)
    recnum = f"{index % 99999 + 1:05d}"  # one session per student and day: unique per student
    found = []
    for school in plan["schools"]:
        devices, coaches, students = school["devices"], school["coaches"], school["students"]
        slots = min(len(devices) * len(SLOT_STARTS), len(students))
        for slot in range(slots):
            device = slot // len(SLOT_STARTS)
            hour, minute_of_hour = SLOT_STARTS[slot % len(SLOT_STARTS)]
            student = students[(index * slots + slot) % len(students)]
            klass = "22" if student["traintype"] == "C2" else "21"
            found.append(
                {
                    "inscode": school["inscode"],
                    "devnum": devices[device],
                    "carnum": school["cars"][device],
                    "coachnum": coaches[device % len(coaches)],
                    "stunum": student["stunum"],
                    "recnum": recnum,
                    "subjcode": f"1{klass}2110000",  # practical, part 2, item 11
                    # A wall-clock time in Shanghai, sent as yyyyMMddHHmmss (no offset on the wire).
                    "start": datetime(day.year, day.month, day.day, hour, minute_of_hour),  # noqa: DTZ001
                    "seq0": (slot % len(SLOT_STARTS)) * MINUTES_PER_SLOT,
                    "centre": school["centre"],
                    "phase": device + 0.37 * index,
                }
            )
    return found


def day_minutes(plan: dict[str, Any], index: int) -> list[dict[str, Any]]:
    """All minute records of day ``index``, ordered by time and interleaved across terminals,
    as a timing platform relays them. Points move inside the school's approved 0.8 km square
    training ground (±0.24 km around its centre)."""
    from jiapei.testing.factories import minute

    items = []
    found = sessions(plan, index)
    for m in range(MINUTES_PER_SLOT):
        for s in found:
            lng0, lat0 = s["centre"]
            items.append(
                minute(
                    s["devnum"],
                    s["stunum"],
                    s["coachnum"],
                    s["start"] + timedelta(minutes=m, seconds=59),
                    s["seq0"] + m + 1,
                    subjcode=s["subjcode"],
                    lng=round(lng0 + 0.0025 * math.sin(m / 7 + s["phase"]), 6),
                    lat=round(lat0 + 0.0020 * math.cos(m / 5 + s["phase"]), 6),
                    speed=100 + (m * 37) % 200,
                    mileage=2 + m % 4,
                    classid=s["recnum"],
                    rpm=1500 + (m * 53) % 900,
                )
            )
    return items


def day_logs(plan: dict[str, Any], index: int, minutes: int = MINUTES_PER_SLOT) -> list[dict]:
    """The teaching logs (``classrecord``) closing day ``index``'s sessions after ``minutes``."""
    logs = []
    for s in sessions(plan, index):
        mileage = sum(2 + m % 4 for m in range(minutes)) / 10
        logs.append(
            {
                "inscode": s["inscode"],
                "stunum": s["stunum"],
                "coachnum": s["coachnum"],
                "carnum": s["carnum"],
                "simunum": s["devnum"],
                "platnum": plan["platnum"],
                "recnum": s["recnum"],
                "classid": s["recnum"],
                "subjcode": s["subjcode"],
                "photo1": plan["photos"][0],
                "photo3": plan["photos"][1],
                "starttime": f"{s['start']:%Y%m%d%H%M%S}",
                "endtime": f"{s['start'] + timedelta(minutes=minutes):%Y%m%d%H%M%S}",
                "duration": minutes,
                "mileage": f"{mileage:.1f}",
            }
        )
    return logs


def first_minutes(plan: dict[str, Any], count: int) -> tuple[list[dict[str, Any]], int]:
    """The first ``count`` minutes of the plan, over as many days as needed."""
    items: list[dict[str, Any]] = []
    index = 0
    while len(items) < count:
        items.extend(day_minutes(plan, index))
        index += 1
    return items[:count], index


def chunk(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# --------------------------------------------------------------------------------------------
# Client processes (spawned: no Django, no shared GIL with the parent or the server).
# --------------------------------------------------------------------------------------------


def _signer(key_pem: bytes, serial: str) -> Any:
    from cryptography.hazmat.primitives import serialization

    from jiapei.signing import Signer

    return Signer(serialization.load_pem_private_key(key_pem, password=None), serial)


def _prepare(
    signer: Any, payload: Any, resource: str = "minuterecords"
) -> tuple[str, bytes, int | None]:
    """Path with the signed query, body, and the item count (None for a single object)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    count = len(payload) if isinstance(payload, list) else None
    return f"/{resource}?{signer.query(body)}", body, count


class _Poster:
    """One keep-alive HTTP connection; checks that every reply is errorcode 0 and, for a
    batch, that every item was accepted."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.failures: list[str] = []
        self.accepted = 0

    def post(self, path: str, body: bytes, count: int | None) -> None:
        headers = {"Content-Type": "application/json"}
        for attempt in (1, 2):
            try:
                self.conn.request("POST", path, body, headers)
                reply = self.conn.getresponse()
                raw = reply.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
                if attempt == 2:
                    raise
        try:
            envelope = json.loads(raw)
        except ValueError:
            envelope = {"errorcode": None, "message": raw[:200].decode(errors="replace")}
        data = envelope.get("data") or {}
        if (
            reply.status != 200
            or envelope.get("errorcode") != 0
            or (count is not None and data.get("accepted") != count)
            or data.get("rejected")
            or data.get("refused")
        ):
            detail = [r for r in data.get("results", []) if r.get("result") != "accepted"][:2]
            self.failures.append(
                f"HTTP {reply.status} errorcode={envelope.get('errorcode')} "
                f"message={envelope.get('message')!r} accepted={data.get('accepted')}/{count} "
                f"rejected={data.get('rejected')} refused={data.get('refused')} e.g. {detail}"
            )
        else:
            self.accepted += count or 0


def client_run(
    batches: list[list[Any]],
    key_pem: bytes,
    serial: str,
    port: int,
    ready: Any,
    start: Any,
    results: Any,
) -> None:
    """Sign every batch, report ready, wait for the start signal, then post them in order."""
    signer = _signer(key_pem, serial)
    prepared = [_prepare(signer, items) for items in batches]
    poster = _Poster(port)
    ready.put(os.getpid())
    start.wait()
    latencies = []
    cpu = time.process_time()
    began = time.monotonic()
    for path, body, count in prepared:
        t0 = time.monotonic()
        poster.post(path, body, count)
        latencies.append(time.monotonic() - t0)
    ended = time.monotonic()
    cpu = time.process_time() - cpu
    poster.conn.close()
    results.put(
        {
            "began": began,
            "ended": ended,
            "cpu": cpu,
            "accepted": poster.accepted,
            "failures": poster.failures,
            "latencies": latencies,
        }
    )


def client_soak(
    plan: dict[str, Any],
    first_index: int,
    step: int,
    batch: int,
    key_pem: bytes,
    serial: str,
    port: int,
    deadline: float,
    results: Any,
) -> None:
    """Post fresh days of minutes, then the teaching logs closing their sessions (which queue
    the students for the worker's audit), signed just in time, until ``deadline``."""
    import django

    django.setup()  # day_minutes() uses the test factories, which import models
    signer = _signer(key_pem, serial)
    poster = _Poster(port)
    index, sent, logs = first_index, 0, 0
    while time.monotonic() < deadline:
        for items in chunk(day_minutes(plan, index), batch):
            if time.monotonic() >= deadline:
                break
            poster.post(*_prepare(signer, items))
            sent += len(items)
        else:
            for log in day_logs(plan, index):
                poster.post(*_prepare(signer, log, "classrecord"))
                logs += 1
        index += step
    results.put(
        {"accepted": poster.accepted, "sent": sent, "logs": logs, "failures": poster.failures}
    )


# --------------------------------------------------------------------------------------------
# Parent-side helpers.
# --------------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


def slope_per_minute(samples: list[tuple[float, int]]) -> float:
    """Least-squares slope of (seconds, KiB) samples, in MiB per minute."""
    if len(samples) < 2:
        return 0.0
    ts = [t for t, _ in samples]
    ys = [y for _, y in samples]
    mt, my = statistics.fmean(ts), statistics.fmean(ys)
    var = sum((t - mt) ** 2 for t in ts)
    if var == 0:
        return 0.0
    cov = sum((t - mt) * (y - my) for t, y in samples)
    return cov / var * 60 / 1024


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return pyplatform.processor() or "unknown"


@contextmanager
def throwaway_database(kind: str, workdir: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.sqlite3'}"
        return
    import psycopg

    name = f"jiapei_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        log(f"dropped database {name}")


class Server:
    """``jiapei serve`` (gunicorn) as a subprocess in its own session."""

    def __init__(self, port: int, workers: int, logfile: Path) -> None:
        self.port = port
        self.workers = workers
        self.logfile = logfile
        self._log = logfile.open("wb")
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [*JIAPEI, "serve", "--port", str(port), "--workers", str(workers)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/api/docs")
                conn.getresponse().read()
                conn.close()
                # Every worker must have booted, not just the first one.
                if len(children_of(self.proc.pid)) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server did not answer within {timeout}s:\n{self.tail()}")

    def worker_pids(self) -> list[int]:
        return children_of(self.proc.pid)

    def tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.logfile.read_text(errors="replace").splitlines()
        return "\n".join(line for line in text if "POST /minuterecords" not in line)[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()


def build_world(cities: int, institutions: int, students: int, receiver_url: str) -> dict:
    """A province built through the real signed API, with every fence approved; returns the
    traffic plan (plain data for the client processes) and the platform's key."""
    from cryptography.hazmat.primitives import serialization
    from django.core.management import call_command

    from jiapei.core.actors import Actor
    from jiapei.core.management.commands.demo import (
        DEMO_PLATNUM,
        DEMO_SERIAL,
        demo_key,
        demo_password,
    )
    from jiapei.registry import services
    from jiapei.registry.models import TeachingArea
    from jiapei.signing import Signer, public_pem
    from jiapei.sim import world as sim_world
    from jiapei.sim.client import TimingPlatformClient
    from jiapei.sim.images import portrait

    users = sim_world.ensure_demo_users(demo_password())
    key = demo_key()
    tp, _ = services.register_platform(
        actor=Actor.for_user(users["hunan"]),
        platnum=DEMO_PLATNUM,
        name="基准测试计时平台",
        cert_serial=DEMO_SERIAL,
        public_key_pem=public_pem(key),
        callback_url=receiver_url,
    )
    client = TimingPlatformClient.in_process(Signer(key, DEMO_SERIAL))
    cfg = sim_world.WorldConfig(
        cities=cities, institutions_per_city=institutions, students_per_institution=students
    )
    world = sim_world.build_world(client, tp, users, cfg)
    photos = [client.upload("stuimg", portrait(990_000 + n)) for n in (1, 2)]
    client.close()
    call_command("worker", once=True, verbosity=0)  # deliver the review callbacks
    approved = TeachingArea.objects.filter(status="approved", institution__isnull=False).count()
    if approved < len(world.institutions):
        raise RuntimeError(f"only {approved} of {len(world.institutions)} fences approved")
    plan = {
        "first_day": (cfg.today - timedelta(days=1)).isoformat(),
        "platnum": DEMO_PLATNUM,
        "photos": photos,
        "schools": [
            {
                "inscode": inst.inscode,
                "centre": list(inst.centre),
                "devices": inst.devices,
                "cars": inst.cars,
                "coaches": inst.coaches,
                "students": [
                    {"stunum": s["stunum"], "traintype": s["traintype"]} for s in inst.students
                ],
            }
            for inst in world.institutions
        ],
    }
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return {"plan": plan, "key_pem": key_pem, "serial": DEMO_SERIAL}


def empty_minutes(vendor: str) -> None:
    from django.db import connection

    from jiapei.training.models import AuditRequest, MinuteRecord

    table = MinuteRecord._meta.db_table
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(f"TRUNCATE {table}")  # a model's table name, not input
            cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    AuditRequest.objects.all().delete()


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def cpu_seconds(pids: list[int], reaped: int | None = None) -> float:
    """User + system CPU seconds of these processes so far (from /proc/<pid>/stat), plus the
    CPU of the exited children ``reaped`` has waited for (cutime + cstime)."""
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])
            if pid == reaped:
                total += int(fields[13]) + int(fields[14])
    return total / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """CPU seconds of the local PostgreSQL server so far: the postmaster with every backend it
    has reaped, plus the live backends (per-request connections exit within a run). Counts
    every database of the cluster, so other users of the server show up too."""
    pids, parents = [], {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    for pid in pids:
        fields = _stat(pid)
        if fields:
            parents[pid] = int(fields[1])
    postmasters = [pid for pid, ppid in parents.items() if ppid not in parents]
    return sum(cpu_seconds(pids, reaped=pm) for pm in postmasters[:1])


def http_run(
    ctx: mp.context.SpawnContext,
    batches: list[list[Any]],
    clients: int,
    world: dict,
    port: int,
    server_pids: list[int] | None = None,
) -> dict[str, Any]:
    """One timed end-to-end run: sign in the clients, then release them together."""
    ready, results, start = ctx.Queue(), ctx.Queue(), ctx.Event()
    shares = [batches[i::clients] for i in range(clients)]
    procs = [
        ctx.Process(
            target=client_run,
            args=(share, world["key_pem"], world["serial"], port, ready, start, results),
        )
        for share in shares
        if share
    ]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.get(timeout=600)
    server_pids = server_pids or []
    server_cpu, db_cpu = cpu_seconds(server_pids), postgres_cpu()
    start.set()
    outcomes = [results.get() for _ in procs]
    server_cpu = cpu_seconds(server_pids) - server_cpu
    db_cpu = postgres_cpu() - db_cpu
    for proc in procs:
        proc.join()
    began = min(o["began"] for o in outcomes)
    ended = max(o["ended"] for o in outcomes)
    latencies = sorted(x for o in outcomes for x in o["latencies"])
    failures = [f for o in outcomes for f in o["failures"]]
    seconds = ended - began
    return {
        "seconds": seconds,
        "cpu_seconds": {
            "clients": sum(o["cpu"] for o in outcomes),
            "gunicorn_workers": server_cpu,
            "postgres": db_cpu,
            "available": seconds * (os.cpu_count() or 1),
        },
        "accepted": sum(o["accepted"] for o in outcomes),
        "failures": failures,
        "latency_p50_ms": 1000 * latencies[len(latencies) // 2],
        "latency_p95_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))],
    }


def snapshot_rows() -> list[dict[str, Any]]:
    """The ingested rows as column values (ids dropped, audit verdict reset)."""
    from jiapei.training.models import MinuteRecord

    fields = [
        f.attname
        for f in MinuteRecord._meta.concrete_fields
        if f.attname not in ("id", "valid", "codes", "received_at")
    ]
    return list(MinuteRecord.objects.order_by("id").values(*fields))


def raw_bulk_create(rows: list[dict[str, Any]], batch: int) -> float:
    from django.db import transaction

    from jiapei.training.models import MinuteRecord

    objects = [MinuteRecord(**row) for row in rows]
    began = time.perf_counter()
    for part in chunk(objects, batch):
        with transaction.atomic():
            MinuteRecord.objects.bulk_create(part, ignore_conflicts=True)
    return time.perf_counter() - began


def raw_copy(rows: list[dict[str, Any]], batch: int) -> float:
    from django.db import connection

    from jiapei.core import clock
    from jiapei.training.models import MinuteRecord

    columns = [*rows[0].keys(), "valid", "codes", "received_at"]
    now = clock.now()
    values = [
        [*(json.dumps(v) if isinstance(v, list) else v for v in row.values()), None, "[]", now]
        for row in rows
    ]
    sql = f"COPY {MinuteRecord._meta.db_table} ({', '.join(columns)}) FROM STDIN"
    connection.ensure_connection()
    pg = connection.connection
    began = time.perf_counter()
    for part in chunk(values, batch):
        with pg.transaction(), pg.cursor() as cursor, cursor.copy(sql) as copy:
            for row in part:
                copy.write_row(row)
    return time.perf_counter() - began


def file_logs(world: dict, days: int, records: int) -> int:
    """Close the ingested sessions with their teaching logs (in-process, untimed), as timing
    platforms do at sign-out; the audit groups minutes by log. Returns the number of logs."""
    from jiapei.sim.client import TimingPlatformClient

    plan = world["plan"]
    client = TimingPlatformClient.in_process(_signer(world["key_pem"], world["serial"]))
    per_day = len(day_minutes(plan, 0))
    filed = 0
    for index in range(days):
        left = records - index * per_day
        count = len(sessions(plan, index))
        minutes = MINUTES_PER_SLOT if left >= per_day else max(1, -(-left // count))
        for log in day_logs(plan, index, minutes):
            client.post("classrecord", log)
            filed += 1
    client.close()
    return filed


def reset_verdicts(vendor: str) -> None:
    """Forget every audit verdict, so the next audit is a first audit of fresh minutes."""
    from django.db import connection

    from jiapei.audit.models import PartResult
    from jiapei.training.models import MinuteRecord, TeachingLog

    MinuteRecord.objects.update(valid=None, codes=[])
    TeachingLog.objects.update(
        audit_status="pending",
        total_minutes=0,
        valid_minutes=0,
        credited_minutes=0,
        credited_mileage=0,
        codes=[],
        rule_version="",
        audited_at=None,
    )
    PartResult.objects.all().delete()
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {MinuteRecord._meta.db_table}")


AUDIT_PART = (
    "import os, sys, time, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
    "'jiapei.settings'); django.setup(); from jiapei.audit.services import audit_students; "
    "from jiapei.core.actors import Actor; ids = [int(x) for x in sys.argv[1].split(',')]; "
    "t = time.perf_counter(); audit_students(student_ids=ids, actor=Actor.system('bench')); "
    "print(time.perf_counter() - t)"
)


def parallel_audit(student_ids: list[int], processes: int) -> float:
    """First audits split over ``processes`` worker processes (as several ``jiapei worker``
    would share the queue); returns the slowest process's audit time, Django start-up excluded."""
    shares = [student_ids[i::processes] for i in range(processes)]
    procs = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and inline code
            [sys.executable, "-c", AUDIT_PART, ",".join(map(str, share))],
            stdout=subprocess.PIPE,
        )
        for share in shares
        if share
    ]
    return max(float(p.communicate()[0].decode().strip().splitlines()[-1]) for p in procs)


def audit_rate(runs: int, vendor: str, world: dict, days: int, records: int) -> dict[str, Any]:
    """Time ``audit_students`` over every ingested student: ``runs`` first audits (verdicts
    reset before each; every minute's verdict is written) and one re-audit (nothing changes)."""
    from collections import Counter

    from jiapei.core.actors import Actor
    from jiapei.training.models import MinuteRecord, TeachingLog

    try:
        from jiapei.audit.services import audit_students
    except (ImportError, AttributeError) as exc:
        return {"available": False, "why": f"{type(exc).__name__}: {exc}"}
    logs = file_logs(world, days, records)
    student_ids = sorted(set(MinuteRecord.objects.values_list("student_id", flat=True)))
    minutes = MinuteRecord.objects.filter(student_id__in=student_ids).count()

    def timed() -> float:
        began = time.perf_counter()
        audit_students(student_ids=student_ids, actor=Actor.system("bench"))
        return time.perf_counter() - began

    first = []
    for _ in range(runs):
        reset_verdicts(vendor)
        first.append(minutes / timed())
    again = minutes / timed()
    reset_verdicts(vendor)
    parallel = minutes / parallel_audit(student_ids, 2)
    return {
        "available": True,
        "two_processes_minutes_per_s": parallel,
        "students": len(student_ids),
        "minutes": minutes,
        "teaching_logs": logs,
        "minutes_per_s": summary(first) | {"runs": first},
        "reaudit_minutes_per_s": again,
        "minute_verdicts": dict(Counter(MinuteRecord.objects.values_list("valid", flat=True))),
        "session_verdicts": dict(
            Counter(TeachingLog.objects.values_list("audit_status", flat=True))
        ),
        "top_minute_codes": Counter(
            code for codes in MinuteRecord.objects.values_list("codes", flat=True) for code in codes
        ).most_common(5),
    }


def soak(
    ctx: mp.context.SpawnContext,
    seconds: float,
    args: argparse.Namespace,
    world: dict,
    server: Server,
    first_index: int,
    workdir: Path,
) -> dict[str, Any]:
    """Run ``jiapei worker`` while clients keep posting fresh minutes; sample RSS."""
    interval = 2.0 if seconds <= 120 else 5.0
    worker_log = (workdir / "worker.log").open("wb")
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [*JIAPEI, "worker"],
        stdout=worker_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    time.sleep(interval)  # let it import Django before the first sample
    results = ctx.Queue()
    began = time.monotonic()
    deadline = began + seconds
    procs = [
        ctx.Process(
            target=client_soak,
            args=(
                world["plan"],
                first_index - i,  # today, tomorrow, …: later than every filed log
                -args.clients,
                args.batch,
                world["key_pem"],
                world["serial"],
                server.port,
                deadline,
                results,
            ),
        )
        for i in range(args.clients)
    ]
    for proc in procs:
        proc.start()
    worker_samples: list[tuple[float, int]] = []
    server_samples: list[tuple[float, int]] = []
    while True:
        now = time.monotonic() - began
        kb = rss_kb(worker.pid)
        if kb is not None:
            worker_samples.append((now, kb))
        web = [rss_kb(pid) for pid in server.worker_pids()]
        if web and all(w is not None for w in web):
            server_samples.append((now, sum(w for w in web if w is not None)))
        if worker.poll() is not None or time.monotonic() >= deadline:
            break
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
    outcomes = [results.get(timeout=900) for _ in procs]
    for proc in procs:
        proc.join()
    elapsed = time.monotonic() - began
    exited = worker.poll()
    if exited is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    worker_log.close()

    def describe(samples: list[tuple[float, int]]) -> dict[str, Any]:
        if not samples:
            return {}
        return {
            "first_mib": samples[0][1] / 1024,
            "last_mib": samples[-1][1] / 1024,
            "max_mib": max(s[1] for s in samples) / 1024,
            "slope_mib_per_min": slope_per_minute(samples),
            "samples": len(samples),
            "series_s_mib": [(round(t), round(kb / 1024, 1)) for t, kb in samples],
        }

    from jiapei.training.models import AuditRequest

    accepted = sum(o["accepted"] for o in outcomes)
    worker_text = (workdir / "worker.log").read_text(errors="replace")
    audited = sum(
        int(line.split()[1]) for line in worker_text.splitlines() if line.startswith("audit: ")
    )
    return {
        "seconds": elapsed,
        "worker_exited_early": exited,
        "records_accepted": accepted,
        "records_per_s_with_signing": accepted / elapsed,
        "teaching_logs": sum(o["logs"] for o in outcomes),
        "students_audited_by_worker": audited,
        "audit_requests_pending_at_end": AuditRequest.objects.count(),
        "failures": [f for o in outcomes for f in o["failures"]][:5],
        "worker_rss": describe(worker_samples),
        "gunicorn_workers_rss_total": describe(server_samples),
        "worker_log_tail": worker_text[-1500:],
    }


# --------------------------------------------------------------------------------------------
# Main.
# --------------------------------------------------------------------------------------------


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
        with ExitStack() as stack:
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
    from jiapei.training.models import MinuteRecord

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
    # Warm-up (untimed): every gunicorn worker imports and connects before the first timed run.
    warm = chunk(day_minutes(plan, days + 500), args.batch)[: 2 * max(args.clients, args.workers)]
    outcome = http_run(ctx, warm, args.clients, world, port)
    if outcome["failures"]:
        log(server.tail())
        raise SystemExit(f"warm-up failed: {outcome['failures'][:3]}")
    e2e = []
    for n in range(1, args.runs + 1):
        empty_minutes(vendor)
        outcome = http_run(ctx, batches, args.clients, world, port, server.worker_pids())
        stored = MinuteRecord.objects.filter(result="accepted").count()
        rate = len(items) / outcome["seconds"]
        outcome.update({"records_per_s": rate, "stored_accepted": stored})
        e2e.append(outcome)
        log(
            f"run {n}: {len(items)} records in {outcome['seconds']:.2f}s = {rate:,.0f} records/s "
            f"(batch p50 {outcome['latency_p50_ms']:.0f} ms, p95 "
            f"{outcome['latency_p95_ms']:.0f} ms); stored accepted {stored}; CPU s "
            + ", ".join(f"{k} {v:.1f}" for k, v in outcome["cpu_seconds"].items())
        )
        if outcome["failures"] or outcome["accepted"] != len(items) or stored != len(items):
            for failure in outcome["failures"][:5]:
                log(f"  FAILED: {failure}")
            log(server.tail())
            raise SystemExit(f"run {n}: not every item was accepted and stored")

    log("audit …")
    audit = audit_rate(args.runs, vendor, world, days, len(items))
    if audit["available"]:
        log(f"audit: {audit['minutes']} minutes of {audit['students']} students in "
            f"{audit['teaching_logs']} sessions, first audit median "
            f"{audit['minutes_per_s']['median']:,.0f} minutes/s, re-audit "
            f"{audit['reaudit_minutes_per_s']:,.0f} minutes/s; minutes valid "
            f"{audit['minute_verdicts']}, sessions {audit['session_verdicts']}, "
            f"codes {audit['top_minute_codes']}")  # fmt: skip
    else:
        log(f"audit: not available ({audit['why']})")

    rows = snapshot_rows()
    raw: dict[str, Any] = {}
    methods = [("bulk_create", raw_bulk_create)]
    if vendor == "postgresql":
        methods.append(("copy", raw_copy))
    for name, method in methods:
        rates = []
        for _ in range(args.runs):
            empty_minutes(vendor)
            seconds = method(rows, args.batch)
            if MinuteRecord.objects.count() != len(rows):
                raise SystemExit(f"raw {name}: row count mismatch")
            rates.append(len(rows) / seconds)
        raw[name] = summary(rates) | {"runs": rates}
        log(f"raw {name}: median {raw[name]['median']:,.0f} rows/s over {args.runs} runs")

    soaked = None
    if args.soak > 0:
        log(f"soak: {args.soak:.0f}s of traffic with `jiapei worker` running …")
        soaked = soak(ctx, args.soak, args, world, server, -1, workdir)

    rates = [r["records_per_s"] for r in e2e]
    result = {
        "ok": True,
        "machine": facts,
        "end_to_end": summary(rates)
        | {
            "runs": rates,
            "latency_p50_ms": statistics.median(r["latency_p50_ms"] for r in e2e),
            "latency_p95_ms": statistics.median(r["latency_p95_ms"] for r in e2e),
            "cpu_share": {
                who: statistics.median(
                    r["cpu_seconds"][who] / r["cpu_seconds"]["available"] for r in e2e
                )
                for who in ("clients", "gunicorn_workers", "postgres")
            },
            "server_cpu_us_per_record": statistics.median(
                1e6 * r["cpu_seconds"]["gunicorn_workers"] / len(items) for r in e2e
            ),
            "target": 10000,
        },
        "raw": raw,
        "ratio_e2e_to_bulk_create": statistics.median(rates) / raw["bulk_create"]["median"],
        "audit": audit,
        "soak": soaked,
        "note": SHARED_CPU_NOTE.format(cores=cores),
    }
    if "copy" in raw:
        result["ratio_e2e_to_copy"] = statistics.median(rates) / raw["copy"]["median"]
    print_table(result)
    return result


def row(label: str, v: dict[str, float]) -> str:
    return f"  {label:<44}{v['median']:>12,.0f}{v['min']:>12,.0f}{v['max']:>12,.0f}"


def print_table(r: dict[str, Any]) -> None:
    m, e = r["machine"], r["end_to_end"]
    lines = [
        "",
        f"minute-record ingest benchmark — {m['db']} {m['db_version']}",
        f"  machine: {m['cores']} cores ({m['cpu']}), Python {m['python']}, load at start "
        f"{', '.join(f'{x:.2f}' for x in m['loadavg_at_start'])}",
        f"  server: jiapei serve, {m['gunicorn_workers']} gunicorn workers × "
        f"{m['gunicorn_threads']} threads, CONN_MAX_AGE={m['conn_max_age']}; "
        f"{m['clients']} client processes; batch {m['batch']}",
        f"  data: {m['records_per_run']} minutes per run, {m['world']['students']} students, "
        f"{m['world']['terminals']} terminals, {m['world']['schools']} schools, "
        f"{m['world']['days']} days, ≤{m['world']['max_minutes_per_student_day']} min/student/day",
        "",
        f"  {'figure':<44}{'median':>12}{'min':>12}{'max':>12}",
        row("end-to-end HTTP ingest (records/s)", e),
    ]
    for name, raw in r["raw"].items():
        lines.append(row(f"raw insert, {name} (rows/s)", raw))
    audit = r["audit"]
    if audit.get("available"):
        lines.append(row("audit, first pass (minutes audited/s)", audit["minutes_per_s"]))
    else:
        lines.append("  audit: not available")
    if audit.get("available"):
        lines.append(
            f"  re-audit (nothing changed): {audit['reaudit_minutes_per_s']:,.0f} minutes/s; "
            f"{audit['minutes']} minutes of {audit['students']} students in "
            f"{audit['teaching_logs']} sessions"
        )
        lines.append(
            f"  audit, first pass in two processes (as two workers): "
            f"{audit['two_processes_minutes_per_s']:,.0f} minutes/s"
        )
    ratios = f"  ratio end-to-end / bulk_create: {r['ratio_e2e_to_bulk_create']:.2f}"
    if "ratio_e2e_to_copy" in r:
        ratios += f";  end-to-end / COPY: {r['ratio_e2e_to_copy']:.2f}"
    lines.append(ratios)
    lines.append(
        f"  batch latency p50 {e['latency_p50_ms']:.0f} ms, p95 {e['latency_p95_ms']:.0f} ms; "
        f"target ≥ {e['target']:,} records/s: {'met' if e['median'] >= e['target'] else 'NOT met'}"
    )
    shares = ", ".join(
        f"{k} {100 * v:.0f}%"
        for k, v in e["cpu_share"].items()
        if m["db"] == "postgres" or k != "postgres"
    )
    lines.append(
        f"  CPU during the runs (share of {m['cores']} cores): {shares}; gunicorn "
        f"{e['server_cpu_us_per_record']:.0f} µs CPU per record"
    )
    if audit.get("available"):
        verdict = "yes" if audit["minutes_per_s"]["median"] >= e["median"] else "NO"
        both = "yes" if audit["two_processes_minutes_per_s"] >= e["median"] else "NO"
        lines.append(
            f"  audit at least as fast as ingest: one process {verdict}; two processes "
            f"(two workers, as ingest has two gunicorn workers) {both}"
        )
    s = r.get("soak")
    if s:
        lines.append(
            f"  soak {s['seconds']:.0f}s: {s['records_accepted']} records "
            f"({s['records_per_s_with_signing']:,.0f}/s incl. just-in-time signing)"
            + (f", {len(s['failures'])} failed batches" if s["failures"] else "")
            + f"; {s['teaching_logs']} teaching logs, worker audited "
            f"{s['students_audited_by_worker']} students, "
            f"{s['audit_requests_pending_at_end']} audit requests pending at the end"
        )
        for label, key in (
            ("jiapei worker", "worker_rss"),
            ("gunicorn workers (sum)", "gunicorn_workers_rss_total"),
        ):
            w = s[key]
            if w:
                lines.append(
                    f"    {label} RSS MiB: first {w['first_mib']:.1f}, last {w['last_mib']:.1f}, "
                    f"max {w['max_mib']:.1f}, slope {w['slope_mib_per_min']:+.2f} MiB/min "
                    f"({w['samples']} samples)"
                )
        if s["worker_exited_early"] is not None:
            lines.append(f"    WARNING: the worker exited early ({s['worker_exited_early']})")
    lines.append(f"  note: {r['note']}")
    lines.append("")
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
