"""公安平台模拟器 — police platform SIMULATOR, a stand-in for 互联网交通安全综合服务管理平台.

A separate HTTP process (standard library only: no Django in request handling) for demos, tests and
联调. It is not the police platform; every reply says ``"simulator": true``.

Interfaces (JSON bodies; replies ``{"errorcode", "message", "data", "simulator": true}``):

* ``POST /hours``, ``POST /hours/withdraw`` — from jiapei (``X-Idempotency-Key``), see ``wire``;
* ``POST /preentry`` {idcard, name, traintype, inscode, stunum} — a school's 预录入; accepted only
  if ``GET {jiapei}{status path}`` says the student is filed and scheduled;
* ``POST /booking`` {idcard, subject} — a student's 约考; needs the subject's active hours;
* ``POST /results`` {idcard, subject, passed, date} — recorded, then POSTed to ``{jiapei}{results
  path}`` (a few attempts; failures are logged and kept in the state);
* ``GET /state``, ``GET /students/{idcard}``; ``POST /control`` {"fail": bool, "delay_ms": int}
  makes business endpoints answer 503 or slowly (outage tests). Control is not persisted.
  ``/state`` also says how many requests ``delay_ms`` is holding right now (``held``), so that a
  test can act while a request is in flight.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, unquote

from jiapei.integrations.police.state import Code, PoliceState, Reply, bad_request, ok

logger = logging.getLogger("jiapei.police_sim")

NAME = "公安平台模拟器 (police platform SIMULATOR)"
DEFAULT_STATUS_PATH = "/api/police/students/{stunum}/status"
DEFAULT_RESULTS_PATH = "/api/police/results"
PREENTRY_FIELDS = ("idcard", "name", "traintype", "inscode", "stunum")


@dataclass
class Settings:
    """How the simulator reaches jiapei, and the outage switches set by ``POST /control``."""

    jiapei_url: str = "http://127.0.0.1:8000"
    status_path: str = DEFAULT_STATUS_PATH
    results_path: str = DEFAULT_RESULTS_PATH
    token: str | None = None  # sent to jiapei as "Authorization: Bearer …" when set
    timeout: float = 5.0
    forward_attempts: int = 3
    control: dict[str, Any] = field(default_factory=lambda: {"fail": False, "delay_ms": 0})


def call_jiapei(
    settings: Settings, method: str, path: str, body: dict[str, Any] | None = None, **headers: str
) -> tuple[int, dict[str, Any] | None]:
    """One request to jiapei: (HTTP status, JSON object or None); OSError if unreachable."""
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's --jiapei-url
        settings.jiapei_url.rstrip("/") + path,
        method=method,
        data=None if body is None else json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
    )
    if settings.token:
        request.add_header("Authorization", f"Bearer {settings.token}")
    try:
        with urllib.request.urlopen(request, timeout=settings.timeout) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:  # an HTTP error still carries a body worth reading
        status, raw = exc.code, exc.read()
    try:
        parsed = json.loads(raw or b"null")
    except ValueError:
        parsed = None
    return status, parsed if isinstance(parsed, dict) else None


def student_status(settings: Settings, stunum: str) -> tuple[dict[str, Any] | None, str | None]:
    """Ask jiapei whether ``stunum`` is filed and scheduled: (data, None) or (None|data, why).

    jiapei's refusal (e.g. an unknown student, ``errorcode`` ≠ 0) counts as "not filed" with
    jiapei's message; only an unreachable or broken jiapei leaves the answer unknown (None).
    """
    path = settings.status_path.format(stunum=quote(stunum, safe=""))
    try:
        status, envelope = call_jiapei(settings, "GET", path)
    except OSError as exc:
        return None, f"{settings.jiapei_url}{path}: {exc}"
    if envelope is None or status >= 500:
        return None, f"{settings.jiapei_url}{path}: HTTP {status}"
    if envelope.get("errorcode") not in (0, "0"):
        return {"filed": False, "scheduled": False}, str(envelope.get("message") or status)
    data = envelope.get("data")
    return (data, None) if isinstance(data, dict) else (None, f"{path}: reply has no data")


def forward_result(settings: Settings, state: PoliceState, entry: dict[str, Any]) -> None:
    """POST an exam result to jiapei, a few attempts with backoff; the outcome goes in the state."""
    body = {k: entry[k] for k in ("idcard", "stunum", "traintype", "subject", "passed", "date")}
    body["result_id"] = entry["id"]
    error: str | None = None
    attempt = 0
    for attempt in range(1, settings.forward_attempts + 1):
        try:
            status, envelope = call_jiapei(
                settings,
                "POST",
                settings.results_path,
                body,
                **{"X-Idempotency-Key": f"police-sim:result:{entry['id']}"},
            )
        except OSError as exc:
            error = f"unreachable: {exc}"
        else:
            if status < 400 and envelope is not None and envelope.get("errorcode") in (0, "0"):
                error = None
                break
            error = f"HTTP {status}: {(envelope or {}).get('message')}"
        time.sleep(0.2 * 2 ** (attempt - 1))
    if error:
        logger.error("%s: exam result %s NOT forwarded to jiapei: %s", NAME, entry["id"], error)
    state.mark_forwarded(entry["id"], attempt, error)


class Handler(BaseHTTPRequestHandler):
    server: SimulatorServer

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        try:
            body = self._body() if method == "POST" else {}
        except ValueError as exc:
            self._send(bad_request([f"body: {exc}"]))
            return
        self._send(self.server.route(method, path, body, self.headers.get("X-Idempotency-Key")))

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if not isinstance(body, dict):
            raise ValueError("a JSON object is required")
        return body

    def _send(self, reply: Reply) -> None:
        data = json.dumps(reply.envelope(), ensure_ascii=False).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Simulator", "police-platform")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s %s - %s", NAME, self.address_string(), format % args)


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: PoliceState, settings: Settings) -> None:
        super().__init__(address, Handler)
        self.state = state
        self.settings = settings
        self.held = 0  # requests being delayed by ``delay_ms`` right now
        self._held_lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(self, method: str, path: str, body: dict[str, Any], key: str | None) -> Reply:
        """Answer one request. Control and inspection always work, even during an outage."""
        if (method, path) == ("GET", "/state"):
            control = dict(self.settings.control)
            return ok(NAME, {**self.state.snapshot(), "control": control, "held": self.held})
        if (method, path) == ("POST", "/control"):
            return self._control(body)
        if (method, path) == ("GET", "/"):
            return ok(NAME, {"simulates": "互联网交通安全综合服务管理平台 (12123)"})
        control = self.settings.control
        if control["delay_ms"]:
            with self._held_lock:
                self.held += 1
            try:
                time.sleep(control["delay_ms"] / 1000)
            finally:
                with self._held_lock:
                    self.held -= 1
        if control["fail"]:
            return Reply(503, Code.OUTAGE, "模拟故障：服务不可用 (simulated outage: unavailable)")
        if method == "GET" and path.startswith("/students/"):
            return ok(NAME, self.state.student(unquote(path.removeprefix("/students/"))))
        handlers = {
            "/hours": lambda: self.state.push_hours(body, key),
            "/hours/withdraw": lambda: self.state.withdraw_hours(body, key),
            "/booking": lambda: self.state.book(body),
            "/preentry": lambda: self._preentry(body),
            "/results": lambda: self._result(body),
        }
        if method != "POST" or path not in handlers:
            return Reply(404, Code.NOT_FOUND, f"no such interface: {method} {path}")
        reply = handlers[path]()
        logger.info("%s %s → errorcode %s %s", NAME, path, reply.errorcode, reply.message)
        return reply

    def _control(self, body: dict[str, Any]) -> Reply:
        control = self.settings.control
        if "fail" in body:
            control["fail"] = bool(body["fail"])
        if "delay_ms" in body:
            try:
                control["delay_ms"] = max(0, int(body["delay_ms"]))
            except (TypeError, ValueError):
                return bad_request(["delay_ms: integer milliseconds"])
        logger.warning("%s control: %s", NAME, control)
        return ok("模拟器控制已更新 (simulator control updated)", dict(control))

    def _preentry(self, body: dict[str, Any]) -> Reply:
        missing = [
            f"{name}: required" for name in PREENTRY_FIELDS if not isinstance(body.get(name), str)
        ]
        if missing:
            return bad_request(missing)
        status, error = student_status(self.settings, body["stunum"])
        return self.state.record_preentry(body, status, error)

    def _result(self, body: dict[str, Any]) -> Reply:
        reply, entry = self.state.record_result(body)
        if entry is not None:
            # Forward in the background: the exam system's write must not wait for jiapei.
            threading.Thread(
                target=forward_result, args=(self.settings, self.state, entry), daemon=True
            ).start()
        return reply


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The simulator's options; shared by ``jiapei police_sim`` and ``python -m``."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--jiapei-url", default="http://127.0.0.1:8000")
    parser.add_argument("--state", default=None, help="JSON state file (kept across restarts)")
    parser.add_argument("--status-path", default=DEFAULT_STATUS_PATH)
    parser.add_argument("--results-path", default=DEFAULT_RESULTS_PATH)
    parser.add_argument("--jiapei-token", default=None, help="bearer token for calls to jiapei")


def build(options: dict[str, Any]) -> SimulatorServer:
    """A bound, not yet serving, simulator from parsed options (argparse names)."""
    settings = Settings(
        jiapei_url=options["jiapei_url"],
        status_path=options["status_path"],
        results_path=options["results_path"],
        token=options.get("jiapei_token"),
    )
    return SimulatorServer(
        (options["host"], options["port"]), PoliceState(options["state"]), settings
    )


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run(options: dict[str, Any], out: Any = None) -> None:
    """Serve until interrupted; prints a banner that cannot be mistaken for the real platform."""
    if not logging.getLogger().handlers and not logger.handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    server = build(options)
    if threading.current_thread() is threading.main_thread():
        # Stop cleanly on SIGTERM too (tests and process managers send it); state is already on
        # disk after every change, so this only closes the socket.
        signal.signal(signal.SIGTERM, _interrupt)
    banner = (
        f"*** {NAME} ***\n"
        f"    NOT the real 互联网交通安全综合服务管理平台 — for demos, tests and 联调 only\n"
        f"    listening on {server.url}  state: {options['state'] or '(memory only)'}\n"
        f"    jiapei: {options['jiapei_url']}"
    )
    stream = out or sys.stdout
    stream.write(banner + "\n")
    stream.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        logger.info("%s stopped", NAME)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="police-sim", description=NAME)
    add_arguments(parser)
    run(vars(parser.parse_args(argv)))
