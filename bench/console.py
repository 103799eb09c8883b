"""Benchmark: the regulators' console on a province-sized PostgreSQL database — p50/p95 of each
page with 4 logged-in users at once.

    .venv/bin/python bench/console.py --scale 0.05      # 1,000,000 minute records; minutes
    nice .venv/bin/python bench/console.py              # the issue's size: 20,000,000

The database (``jiapei_bench_console``, or ``jiapei_bench_console_<scale>`` below scale 1) is
built once and kept: 200,000 × scale students, 20,000,000 × scale minute records, 2,000,000 ×
scale photos and uploaded files, their teaching logs, findings, work orders, stage reviews and
audit-log entries (``console_build.py``; an interrupted build resumes; ``--rebuild`` drops it
first). Then ``jiapei serve`` (gunicorn, its default workers and threads) runs against it; four
users log in through the login page — the province (hunan), 长沙 (city4301), 岳麓区
(county430104) and 株洲 (city4302) — and each, in its own thread, opens every console page of
the navigation plus a filtered trail and an institution's detail page, ``--rounds`` times in a
shuffled order after one untimed warm-up round. Every answer must be HTTP 200. Prints per page:
requests, p50, p95 and max over the timed rounds, and the slowest warm-up (cold) request; the
JSON of the figures is the last line of stdout (and ``--json PATH``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[0] / "src"))
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiapei.settings")

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PASSWORD = "Bench-console-2026"  # noqa: S105 - the users of a throwaway benchmark database
USERS = ["hunan", "city4301", "county430104", "city4302"]
TARGET_P95_MS = 300


def database_name(scale: float) -> str:
    if scale >= 1:
        return "jiapei_bench_console"
    return "jiapei_bench_console_" + f"{scale:g}".replace(".", "p")


def ensure_database(name: str, rebuild: bool) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        if rebuild:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not found:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"[build] created database {name}", flush=True)


def build(scale: float) -> None:
    import django

    django.setup()
    import console_build
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    sizes = console_build.Sizes.at(scale)
    print(f"[build] {sizes}", flush=True)
    console_build.build(sizes, PASSWORD)
    from django.db import connections

    connections.close_all()


# Measuring.


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    def __init__(self, port: int, logfile: Path) -> None:
        self.port = port
        self._log = logfile.open("wb")
        self.logfile = logfile
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "jiapei.cli", "serve", "--port", str(port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 120) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.logfile.read_text()[-3000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/accounts/login/").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError("server did not answer")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        self._log.close()


def login(base: str, username: str) -> Any:
    import httpx

    client = httpx.Client(base_url=base, timeout=120)
    page = client.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    answer = client.post(
        "/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token[1]},
        headers={"Referer": f"{base}/accounts/login/"},
    )
    if answer.status_code != 302:
        raise RuntimeError(f"{username} could not log in: HTTP {answer.status_code}")
    return client


def pages_of(client: Any) -> list[str]:
    """The console pages a user reaches from the navigation, plus a filtered trail and the
    first institution's, finding's and work order's detail pages of the user's lists."""
    home = client.get("/console/").text
    nav = home.split('class="sidenav"', 1)[1].split("</nav>", 1)[0]
    pages = sorted(set(re.findall(r'href="(/console/[^"?#]*)"', nav)))
    pages.append("/console/trail/?object_type=training.teachinglog")
    for listing_url, pattern in (
        ("/console/institutions/", r'href="(/console/institutions/\d+/)"'),
        ("/console/findings/", r'href="(/console/findings/\d+/)"'),
        ("/console/workorders/?tab=all", r'href="(/console/workorders/\d+/)"'),
    ):
        detail = re.search(pattern, client.get(listing_url).text)
        if detail:
            pages.append(detail[1])
    return pages


def label(url: str) -> str:
    """Detail pages of different objects are one page."""
    return re.sub(r"/\d+/", "/<id>/", url)


def run_user(base: str, username: str, rounds: int, out: dict[str, Any]) -> None:
    client = login(base, username)
    pages = pages_of(client)
    timings: list[tuple[str, float, bool]] = []
    rng = random.Random(username)
    for round_no in range(rounds + 1):
        order = pages[:]
        rng.shuffle(order)
        for url in order:
            started = time.perf_counter()
            # A city's monthly report page redirects to its own form: time the form too.
            response = client.get(url, follow_redirects=True)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{username} {url}: HTTP {response.status_code}")
            timings.append((label(url), elapsed, round_no == 0))
    out[username] = timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    rank = max(1, -(-int(share * len(ordered) * 1000) // 1000))
    return ordered[min(rank, len(ordered)) - 1]


def measure(rounds: int, workdir: Path) -> dict[str, Any]:
    port = free_port()
    server = Server(port, workdir / "serve.log")
    try:
        server.wait_ready()
        base = f"http://127.0.0.1:{port}"
        results: dict[str, Any] = {}
        threads = [
            threading.Thread(target=run_user, args=(base, name, rounds, results)) for name in USERS
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    finally:
        server.stop()
    if len(results) != len(USERS):
        raise SystemExit(f"some users failed: {set(USERS) - set(results)} (see the errors above)")
    pages: dict[str, dict[str, list[float]]] = {}
    for timings in results.values():
        for page, seconds, cold in timings:
            entry = pages.setdefault(page, {"warm": [], "cold": []})
            entry["cold" if cold else "warm"].append(seconds)
    figures = {
        page: {
            "requests": len(t["warm"]),
            "p50_ms": round(1000 * percentile(t["warm"], 0.5), 1),
            "p95_ms": round(1000 * percentile(t["warm"], 0.95), 1),
            "max_ms": round(1000 * max(t["warm"]), 1),
            "cold_max_ms": round(1000 * max(t["cold"]), 1),
        }
        for page, t in sorted(pages.items())
    }
    return {"users": USERS, "rounds": rounds, "wall_s": round(wall, 1), "pages": figures}


def report(result: dict[str, Any]) -> None:
    print(f"{'page':<52} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'cold ms':>8}")
    for page, f in result["pages"].items():
        flag = "" if f["p95_ms"] < TARGET_P95_MS else "  > target"
        print(
            f"{page:<52} {f['requests']:>4} {f['p50_ms']:>8} {f['p95_ms']:>8} {f['max_ms']:>8} "
            f"{f['cold_max_ms']:>8}{flag}"
        )


def counts() -> dict[str, int]:
    import psycopg

    url = os.environ["DATABASE_URL"]
    tables = {
        "students": "registry_student",
        "minute_records": "training_minuterecord",
        "photos": "training_trainingphoto",
        "teaching_logs": "training_teachinglog",
        "audit_log": "core_auditlogentry",
    }
    with psycopg.connect(url) as conn:
        return {
            name: conn.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [t]
            ).fetchone()[0]  # type: ignore[index]
            for name, t in tables.items()
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = the issue's size")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per user")
    parser.add_argument("--rebuild", action="store_true", help="drop and build the database")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--json", help="also write the figures to this file")
    options = parser.parse_args()
    name = database_name(options.scale)
    ensure_database(name, options.rebuild)
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{name}"
    workdir = Path(tempfile.gettempdir()) / f"{name}-run"
    workdir.mkdir(exist_ok=True)
    os.environ.setdefault("JIAPEI_DATA_DIR", str(workdir))
    build(options.scale)
    if options.build_only:
        return
    print(f"[measure] database {name}: {counts()}", flush=True)
    print(f"[measure] load average at start: {os.getloadavg()}", flush=True)
    result = measure(options.rounds, workdir)
    result.update(database=name, scale=options.scale, rows=counts())
    report(result)
    if options.json:
        Path(options.json).write_text(json.dumps(result, indent=2))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
