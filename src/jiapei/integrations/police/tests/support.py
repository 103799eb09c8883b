"""Test support: well-formed messages, a stub jiapei, and the simulator as a real subprocess."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

IDCARD = "430102200001011234"


def hours(idcard: str = IDCARD, subject: str = "2", **changes: Any) -> dict[str, Any]:
    """A valid push of part ``subject``'s approved hours."""
    message = {
        "idcard": idcard,
        "name": "张三",
        "stunum": "4300501234567890",
        "traintype": "C1",
        "subject": subject,
        "part": int(subject),
        "totaltime": 960,
        "vehicletime": 900,
        "classtime": 60,
        "simulatortime": 0,
        "networktime": 0,
        "mileage": 0.0 if subject in ("1", "4") else 35.5,
        "coachnum": "4300201234567890",
        "coachname": "李教练",
        "inscode": "4300101234567890",
        "insname": "长沙市安达驾驶培训学校",
        "auditunit": "长沙市交通运输局",
        "auditor": "王审核",
        "auditdate": "2027-04-02",
        "updatetime": "2027-04-02T10:00:00+08:00",
        "stageid": f"{idcard}-{subject}",
        "transition": False,
    }
    message.update(changes)
    return message


def withdrawal(idcard: str = IDCARD, subject: str = "2", **changes: Any) -> dict[str, Any]:
    message = {
        "idcard": idcard,
        "subject": subject,
        "stageid": f"{idcard}-{subject}",
        "reason": "抽查发现代培 (sampling found a stand-in trainee)",
        "updatetime": "2027-04-05T09:00:00+08:00",
    }
    message.update(changes)
    return message


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StubJiapei:
    """jiapei's side of the police link: answers the status endpoint from :attr:`students`
    (stunum -> data; unknown stunums get a 404 envelope) and records forwarded exam results."""

    def __init__(self) -> None:
        self.students: dict[str, dict[str, Any]] = {}
        self.results: list[tuple[dict[str, Any], str | None]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stunum = self.path.removeprefix("/api/police/students/").removesuffix("/status")
                if stunum in stub.students:
                    self._send(200, {"errorcode": 0, "data": stub.students[stunum]})
                else:
                    self._send(404, {"errorcode": 2002, "message": "学员不存在 (no such student)"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                stub.results.append((body, self.headers.get("X-Idempotency-Key")))
                self._send(200, {"errorcode": 0, "message": "ok"})

            def _send(self, status: int, reply: dict[str, Any]) -> None:
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class SimProcess:
    """``jiapei police_sim`` in its own process, through the same CLI an operator uses."""

    def __init__(self, state: Path, jiapei_url: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "jiapei.cli", "police_sim"),
                    *("--port", str(self.port), "--state", str(state)),
                    *("--jiapei-url", jiapei_url),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"simulator exited:\n{self.log.read_text(errors='replace')}")
            try:
                if httpx.get(self.url + "/state", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError(f"simulator not ready:\n{self.log.read_text(errors='replace')}")

    def post(self, path: str, body: dict[str, Any], key: str | None = None) -> httpx.Response:
        headers = {"X-Idempotency-Key": key} if key else {}
        return httpx.post(self.url + path, json=body, headers=headers, timeout=10)

    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = httpx.get(self.url + "/state", timeout=10).json()["data"]
        return data

    def stop(self) -> None:
        """Terminate, and kill if it does not go: a test must never leave the simulator running."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
