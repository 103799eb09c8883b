"""Running the police-platform SIMULATOR as a separate process for demos (``jiapei demo``)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PoliceSimulator:
    """``python -m jiapei.police_sim`` on a free loopback port, stopped on exit."""

    def __init__(self, state: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.state = state
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PoliceSimulator:
        self._process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [
                sys.executable,
                "-m",
                "jiapei.police_sim",
                "--port",
                str(self.port),
                "--state",
                str(self.state),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/state", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError("the police simulator did not start")

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()

    def book(self, idcard: str, subject: str) -> dict[str, Any]:
        """Ask the simulator for an exam booking, as a student would through 12123."""
        reply = httpx.post(f"{self.url}/booking", json={"idcard": idcard, "subject": subject})
        return dict(reply.json())
