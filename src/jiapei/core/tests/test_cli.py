"""The real console commands (``jiapei demo``, ``worker``, ``serve``) in subprocesses, each in
a throwaway installation with its own database (see :mod:`jiapei.testing.processes`).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jiapei.testing.processes import (
    Installation,
    check_ok,
    free_port,
    installation,
    jiapei_command,
)

pytestmark = pytest.mark.slow

DEMO_ARGS = ["demo", "--cities", "1", "--institutions", "1", "--students", "3", "--days", "2"]
TOTALS = re.compile(
    r"驾校 institutions (?P<institutions>\d+), 教练员 coaches (?P<coaches>\d+), "
    r"教练车 cars (?P<cars>\d+), 计时终端 terminals (?P<devices>\d+), "
    r"学员 students (?P<students>\d+)"
)
FENCES = re.compile(
    r"fences: approved (?P<approved>\d+), pending (?P<pending>\d+), rejected (?P<rejected>\d+)"
)
AUDIT = re.compile(
    r"教学日志 sessions: (?P<sessions>\d+) .*\n.*分钟学时 minutes: (?P<minutes>\d+) — "
    r"有效 valid (?P<valid>\d+)"
)


def summary(output: str) -> dict[str, int]:
    totals, fences, audit = TOTALS.search(output), FENCES.search(output), AUDIT.search(output)
    assert totals and fences and audit, output
    found = {**totals.groupdict(), **fences.groupdict(), **audit.groupdict()}
    return {k: int(v) for k, v in found.items()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Installation, str]]:
    """An installation on which ``jiapei demo`` has run once, with that run's output."""
    with installation(tmp_path_factory.mktemp("cli")) as inst:
        yield inst, check_ok(inst.run(*DEMO_ARGS))


def test_demo_exits_0_and_prints_the_summary(demo):
    inst, output = demo
    assert inst.database in output  # it used the throwaway database, not another one
    counts = summary(output)
    assert counts["institutions"] == 1
    assert counts["students"] == 3
    assert counts["coaches"] >= 1
    assert counts["approved"] >= 1
    assert counts["sessions"] >= 1 and 0 < counts["valid"] <= counts["minutes"]
    assert "pending 0" in output.split("教学日志 sessions:")[1].splitlines()[0]
    assert (inst.root / "data" / "demo_platform_key.pem").exists()


def test_demo_twice_duplicates_nothing(demo):
    inst, first = demo
    second = check_ok(inst.run(*DEMO_ARGS))
    assert summary(second) == summary(first)


def test_worker_once_exits_0(demo):
    inst, _ = demo
    result = inst.run("worker", "--once", timeout=60)
    check_ok(result)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def test_serve_answers_and_stops_on_sigterm(demo):
    inst, _ = demo
    port = free_port()
    log_path = inst.root / f"serve-{port}.out"
    with log_path.open("ab") as log:  # append mode: the children never overwrite each other
        proc = subprocess.Popen(
            jiapei_command("serve", "--port", str(port)), cwd=inst.root, env=inst.env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        status, deadline = None, time.monotonic() + 20
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/api/docs", timeout=2).status_code
            except httpx.TransportError:
                status = None
            if status == 200:
                break
            time.sleep(0.2)
        assert status == 200, f"no 200 from /api/docs within 20 s:\n{read(log_path)}"

        proc.send_signal(signal.SIGTERM)
        returncode = proc.wait(timeout=15)
        output = read(log_path)
        assert returncode == 0, output
        assert f"jiapei serving on http://127.0.0.1:{port}/" in output
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/api/docs", timeout=2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the session started above, by its id
            proc.wait(timeout=10)


def test_demo_follows_a_student_to_the_exam_booking(tmp_path: Path):
    """Three days of part-1 theory complete part 1; the stage is approved and pushed to the
    police simulator (a separate process), which then accepts that student's booking for
    科目一 and refuses a student who is short of part-1 hours."""
    args = ["demo", "--cities", "1", "--institutions", "1", "--students", "2", "--days", "3"]
    with installation(tmp_path) as inst:
        output = check_ok(inst.run(*args, timeout=300))
    bookings = [line for line in output.splitlines() if "预约科目一" in line]
    assert any("已完成第一部分" in line and "accepted" in line for line in bookings), output
    assert any("第一部分学时不足" in line and "refused" in line for line in bookings), output
