"""``jiapei serve``: apply migrations and run the platform under gunicorn."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name) is this machine's loopback interface only."""
    if host.strip("[]") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_allowed_hosts(host: str) -> None:
    """Refuse to serve other machines while ALLOWED_HOSTS names only the loopback.

    The default JIAPEI_ALLOWED_HOSTS (the loopback names) needs no setup for the demo and for a
    server behind a proxy on this machine; on any other address the operator must say which host
    names are served, or every request would be refused (400) or, with ``*``, any Host trusted.
    """
    if is_loopback(host):
        return
    if set(settings.ALLOWED_HOSTS) <= set(settings.LOOPBACK_HOSTS):
        raise ImproperlyConfigured(
            f"jiapei serve --host {host}: set JIAPEI_ALLOWED_HOSTS to the host names this server "
            "answers (comma-separated, e.g. jiapei.example.gov.cn); only loopback names are "
            "allowed by default"
        )


class Command(BaseCommand):
    help = "Apply migrations and serve the platform (gunicorn, WSGI)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            require_allowed_hosts(options["host"])
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        call_command("migrate", interactive=False, verbosity=0)
        from gunicorn.app.wsgiapp import WSGIApplication

        bind = f"{options['host']}:{options['port']}"
        self.stdout.write(f"jiapei serving on http://{bind}/  (API docs: http://{bind}/api/docs)")
        argv = [
            "jiapei",
            "--bind",
            bind,
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--no-control-socket",
            "--access-logfile",
            "-",
            "jiapei.wsgi:application",
        ]
        import sys

        sys.argv = argv
        WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
