"""A stand-in timing platform's callback endpoint (``/reviewmsg``, ``/recordchangemsg``) for the
demo and tests: a small HTTP server on loopback that acknowledges and records what it receives.
It drops a repeated ``X-Idempotency-Key``, as a real receiver should."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class CallbackReceiver:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, fail: bool = False) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.duplicates = 0
        self.fail = fail
        self._keys: set[str] = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                if receiver.fail:
                    reply, status = {"errorcode": 1, "message": "unavailable"}, 503
                else:
                    key = self.headers.get("X-Idempotency-Key", "")
                    if key and key in receiver._keys:
                        receiver.duplicates += 1
                    else:
                        receiver._keys.add(key)
                        receiver.received.append((self.path, body))
                    reply, status = {"errorcode": 0, "message": "ok"}, 200
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> CallbackReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
