"""Real ``jiapei`` commands in subprocesses, each against a throwaway installation.

Each installation gets a temporary ``JIAPEI_DATA_DIR`` and its own database: a SQLite file in a
temporary directory, or, when the suite runs on PostgreSQL (``DATABASE_URL=postgres://…``), a
freshly created, uniquely named database that is dropped afterwards. A subprocess never sees the
real database nor pytest-django's test database.
"""

from __future__ import annotations

import fcntl
import os
import pty
import socket
import struct
import subprocess
import sys
import termios
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")


def jiapei_command(*args: str) -> list[str]:
    """The installed console script next to this interpreter, or ``python -m jiapei.cli``."""
    script = Path(sys.executable).with_name("jiapei")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "jiapei.cli", *args]


@contextmanager
def fresh_database(tmp: Path) -> Iterator[tuple[str, str]]:
    """Yield ``(DATABASE_URL, database name)`` for a database nobody else uses."""
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in POSTGRES_SCHEMES:
        path = tmp / "cli.sqlite3"
        yield f"sqlite:///{path}", str(path)
        return

    import psycopg
    from psycopg import sql

    name = f"jiapei_cli_{uuid.uuid4().hex[:16]}"
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}")), name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@dataclass
class Installation:
    """A throwaway installation: its directory, environment and database."""

    root: Path
    env: dict[str, str]
    database: str

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - the project's own console script
            jiapei_command(*args), cwd=self.root, env=self.env, capture_output=True,
            text=True, timeout=timeout, check=False,
        )  # fmt: skip

    def run_on_terminal(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Like :meth:`run`, but the command's stderr is a terminal (a pseudo-terminal whose
        output becomes ``stderr``), as when a person runs it; stdout is still a pipe."""
        main, child = pty.openpty()
        # A new pseudo-terminal is 0 × 0; bars need a width, as a real terminal has.
        fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        proc = subprocess.Popen(  # noqa: S603 - the project's own console script
            jiapei_command(*args), cwd=self.root, env=self.env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=child,
        )  # fmt: skip
        os.close(child)
        chunks: list[bytes] = []

        def drain() -> None:
            # Read while the command runs: a full terminal buffer would block it.
            while True:
                try:
                    data = os.read(main, 65536)
                except OSError:  # EIO: the command closed its end
                    return
                if not data:
                    return
                chunks.append(data)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            out, _ = proc.communicate(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            reader.join(timeout=10)
            os.close(main)
        terminal = b"".join(chunks).decode(errors="replace")
        return subprocess.CompletedProcess(proc.args, proc.returncode, out.decode(), terminal)


@contextmanager
def installation(root: Path) -> Iterator[Installation]:
    """A throwaway installation in ``root`` whose environment points at a fresh database."""
    with fresh_database(root) as (url, name):
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("JIAPEI_") and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
        }
        env.update(
            DATABASE_URL=url,
            JIAPEI_DATA_DIR=str(root / "data"),
            XDG_RUNTIME_DIR=str(root),  # gunicorn's control socket, not the shared ~/.gunicorn
            PYTHONUNBUFFERED="1",
        )
        yield Installation(root, env, name)


def check_ok(result: subprocess.CompletedProcess[str]) -> str:
    """The command's standard output; fails the test, showing both streams, unless it exited 0."""
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
