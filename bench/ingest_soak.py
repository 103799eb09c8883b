"""The soak of the ingest benchmark: ``jiapei worker`` runs while client processes keep posting
new days (signed just in time) and the logs closing them; the worker's and gunicorn's resident
memory is sampled throughout."""

from __future__ import annotations

import argparse
import itertools
import math
import multiprocessing as mp
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from ingest_http import Poster, load_signer, prepare
from ingest_machine import rss_kb, slope_per_minute
from ingest_plan import chunk, day_logs, day_minutes
from ingest_server import JIAPEI, Server

from jiapei.core import progress


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
    signer = load_signer(key_pem, serial)
    poster = Poster(port)
    index, sent, logs = first_index, 0, 0
    while time.monotonic() < deadline:
        for items in chunk(day_minutes(plan, index), batch):
            if time.monotonic() >= deadline:
                break
            poster.post(*prepare(signer, items))
            sent += len(items)
        else:
            for log in day_logs(plan, index):
                poster.post(*prepare(signer, log, "classrecord"))
                logs += 1
        index += step
    results.put(
        {"accepted": poster.accepted, "sent": sent, "logs": logs, "failures": poster.failures}
    )


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
    samples = itertools.count()
    expected = math.ceil(seconds / interval) + 1
    for _ in progress.bar(samples, desc="soak samples", total=expected, unit="sample"):
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
