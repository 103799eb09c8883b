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
from pathlib import Path
from typing import Any

import httpx
import pytest

from jiapei.testing.processes import check_ok, free_port, installation, jiapei_command
from jiapei.testing.waiting import wait_until

pytestmark = pytest.mark.slow


def outbox(inst) -> dict[str, int]:
    code = (
        "import json; from collections import Counter; "
        "from jiapei.outbox.models import OutboxMessage as M; "
        "print(json.dumps(Counter(M.objects.filter(destination='police')"
        ".values_list('status', flat=True))))"
    )
    return json.loads(check_ok(inst.run("shell", "-c", code)).strip().splitlines()[-1])


def police_state(url: str) -> dict[str, Any] | None:
    """The simulator's ``/state`` data, or None while it does not answer."""
    try:
        return httpx.get(f"{url}/state", timeout=1).json()["data"]
    except httpx.HTTPError:
        return None


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
        wait_until(lambda: police_state(police_url), timeout=20, what="the police simulator")
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

            # It comes back but slowly; a worker is killed while a push is in flight. The
            # worker sends once the backoff has passed; the simulator then holds the request
            # for 4 s, which is when the worker is killed.
            httpx.post(f"{police_url}/control", json={"fail": False, "delay_ms": 4000})
            worker = subprocess.Popen(
                jiapei_command("worker", "--interval", "0.2"),
                cwd=inst.root,
                env=inst.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            wait_until(
                lambda: (police_state(police_url) or {}).get("held", 0) >= 1,
                timeout=60,
                what="a push held in flight by the police simulator",
                describe=lambda: f"outbox {outbox(inst)}",
            )
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
            worker = None

            # A new worker takes over once the dead one's lease has expired.
            httpx.post(f"{police_url}/control", json={"delay_ms": 0})

            def delivered_after_a_worker_pass() -> dict[str, int] | None:
                check_ok(inst.run("worker", "--once", timeout=120))
                counts = outbox(inst)
                return counts if set(counts) == {"delivered"} else None

            counts = wait_until(
                delivered_after_a_worker_pass,
                timeout=60,
                interval=1,
                what="every police message delivered",
                describe=lambda: f"outbox {outbox(inst)}",
            )

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
