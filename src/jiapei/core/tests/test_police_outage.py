"""The police link survives an outage and a worker killed mid-relay (issue: "the police side
down for several minutes → each push delivered exactly once after it returns; the worker killed
with SIGKILL in the middle of relaying → nothing lost, nothing duplicated").

Everything runs as real processes over real HTTP: the police simulator, ``jiapei simulate``
(training days through the signed API), and ``jiapei worker`` (audit, stage review, relay).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from jiapei.testing.processes import check_ok, free_port, installation, jiapei_command

pytestmark = pytest.mark.slow


def outbox(inst) -> dict[str, int]:
    code = (
        "import json; from collections import Counter; "
        "from jiapei.outbox.models import OutboxMessage as M; "
        "print(json.dumps(Counter(M.objects.filter(destination='police')"
        ".values_list('status', flat=True))))"
    )
    return json.loads(check_ok(inst.run("shell", "-c", code)).strip().splitlines()[-1])


def test_pushes_arrive_once_after_an_outage_and_a_killed_worker(tmp_path: Path):
    port = free_port()
    police_url = f"http://127.0.0.1:{port}"
    police = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jiapei.police_sim",
            "--port",
            str(port),
            "--state",
            str(tmp_path / "police.json"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = None
    try:
        for _ in range(100):
            try:
                httpx.get(f"{police_url}/state", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        httpx.post(f"{police_url}/control", json={"fail": True})
        with installation(tmp_path) as inst:
            inst.env.update(
                JIAPEI_POLICE_URL=police_url,
                JIAPEI_STAGE_MANUAL_SHARE="0",
                JIAPEI_OUTBOX_LEASE_SECONDS="3",
                JIAPEI_OUTBOX_MAX_BACKOFF_SECONDS="2",
            )
            check_ok(
                inst.run(
                    "simulate",
                    "--cities",
                    "1",
                    "--institutions",
                    "1",
                    "--students",
                    "2",
                    "--days",
                    "3",
                    "--fast-track",
                    "1",
                    "--violation-share",
                    "0",
                    timeout=300,
                )
            )
            # The police side is down: the worker audits and approves, the pushes wait.
            check_ok(inst.run("worker", "--once", timeout=300))
            waiting = outbox(inst)
            assert waiting.get("pending", 0) >= 1 and "delivered" not in waiting, waiting

            # It comes back but slowly; a worker is killed while a push is in flight.
            httpx.post(f"{police_url}/control", json={"fail": False, "delay_ms": 4000})
            time.sleep(2.5)  # past the backoff
            worker = subprocess.Popen(
                jiapei_command("worker", "--interval", "0.2"),
                cwd=inst.root,
                env=inst.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(2.0)  # the push has been sent; the reply is 2 s away
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
            worker = None

            # A new worker takes over once the dead one's lease has expired.
            httpx.post(f"{police_url}/control", json={"delay_ms": 0})
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                check_ok(inst.run("worker", "--once", timeout=120))
                counts = outbox(inst)
                if set(counts) == {"delivered"}:
                    break
                time.sleep(1)
            assert set(counts) == {"delivered"}, counts

            state = httpx.get(f"{police_url}/state").json()["data"]
            stored = state["counters"].get("stored", 0)
            assert stored == counts["delivered"], state["counters"]  # each push stored once
            hours = state["hours"]  # idcard -> subject -> what was pushed
            assert hours, state
            idcard, subjects = next(iter(sorted(hours.items())))
            assert "1" in subjects, subjects
            booking = httpx.post(f"{police_url}/booking", json={"idcard": idcard, "subject": "1"})
            assert booking.json()["errorcode"] == 0, booking.json()
    finally:
        if worker is not None:
            worker.kill()
        police.terminate()
        police.wait(timeout=10)
