"""Start-up of the ingest benchmark: the throwaway database, the province built through the
real signed API, and ``jiapei serve`` (gunicorn) as a subprocess."""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from ingest_machine import children_of, log

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
JIAPEI = [sys.executable, "-m", "jiapei.cli"]  # the `jiapei` command of this interpreter


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
    from jiapei.registry import services
    from jiapei.registry.models import TeachingArea
    from jiapei.signing import Signer, public_pem
    from jiapei.sim import world as sim_world
    from jiapei.sim.client import TimingPlatformClient
    from jiapei.sim.demo import (
        DEMO_PLATNUM,
        DEMO_SERIAL,
        demo_key,
        demo_password,
    )
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
