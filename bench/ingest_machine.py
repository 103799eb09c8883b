"""What the ingest benchmark measures about the machine and its processes: CPU seconds and
resident memory from /proc, the CPU model, a free port, and the log line format."""

from __future__ import annotations

import os
import platform as pyplatform
import socket
import statistics
import time
from pathlib import Path

from jiapei.core import progress

SHARED_CPU_NOTE = (
    "client and server share the same {cores} cores: the client processes (JSON, HTTP, reply "
    "parsing) compete with gunicorn and the database for CPU, so end-to-end figures are a lower "
    "bound of what the server alone could do"
)


def log(message: str) -> None:
    progress.write(f"[{time.strftime('%H:%M:%S')}] {message}")


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
