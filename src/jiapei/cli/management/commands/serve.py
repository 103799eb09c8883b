"""``jiapei serve``: apply migrations and run the platform under gunicorn."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Apply migrations and serve the platform (gunicorn, WSGI)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args: Any, **options: Any) -> None:
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
