"""The HTTP load of the ingest benchmark: client processes (spawned: no Django, no GIL shared
with the parent or the server) that sign their batches before the clock starts and post them on
keep-alive connections, and the timed end-to-end runs."""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import os
import time
from typing import Any

from ingest_machine import cpu_seconds, log, postgres_cpu

from jiapei.core import progress


def load_signer(key_pem: bytes, serial: str) -> Any:
    from cryptography.hazmat.primitives import serialization

    from jiapei.signing import Signer

    return Signer(serialization.load_pem_private_key(key_pem, password=None), serial)


def prepare(
    signer: Any, payload: Any, resource: str = "minuterecords"
) -> tuple[str, bytes, int | None]:
    """Path with the signed query, body, and the item count (None for a single object)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    count = len(payload) if isinstance(payload, list) else None
    return f"/{resource}?{signer.query(body)}", body, count


class Poster:
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
    signer = load_signer(key_pem, serial)
    prepared = [prepare(signer, items) for items in batches]
    poster = Poster(port)
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


def end_to_end(
    ctx: mp.context.SpawnContext,
    args: Any,
    world: dict,
    server: Any,
    batches: list[list[Any]],
    warm: list[list[Any]],
    vendor: str,
) -> list[dict[str, Any]]:
    """An untimed warm-up (every gunicorn worker imports and connects), then ``args.runs``
    timed runs, each from an empty minute table; every item must be accepted and stored."""
    from ingest_server import empty_minutes

    from jiapei.training.models import MinuteRecord

    records = sum(len(b) for b in batches)
    outcome = http_run(ctx, warm, args.clients, world, server.port)
    if outcome["failures"]:
        log(server.tail())
        raise SystemExit(f"warm-up failed: {outcome['failures'][:3]}")
    e2e = []
    for n in progress.bar(range(1, args.runs + 1), desc="end-to-end runs", unit="run"):
        empty_minutes(vendor)
        outcome = http_run(ctx, batches, args.clients, world, server.port, server.worker_pids())
        stored = MinuteRecord.objects.filter(result="accepted").count()
        rate = records / outcome["seconds"]
        outcome.update({"records_per_s": rate, "stored_accepted": stored})
        e2e.append(outcome)
        log(
            f"run {n}: {records} records in {outcome['seconds']:.2f}s = {rate:,.0f} records/s "
            f"(batch p50 {outcome['latency_p50_ms']:.0f} ms, p95 "
            f"{outcome['latency_p95_ms']:.0f} ms); stored accepted {stored}; CPU s "
            + ", ".join(f"{k} {v:.1f}" for k, v in outcome["cpu_seconds"].items())
        )
        if outcome["failures"] or outcome["accepted"] != records or stored != records:
            for failure in outcome["failures"][:5]:
                log(f"  FAILED: {failure}")
            log(server.tail())
            raise SystemExit(f"run {n}: not every item was accepted and stored")
    return e2e
