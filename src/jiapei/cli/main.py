"""The ``jiapei`` console command: a thin front for Django's management commands.

``jiapei serve``, ``jiapei worker``, ``jiapei demo`` and every Django command (``jiapei migrate``)
are available; the project's own commands live in ``jiapei/cli/management/commands`` (and a few
single-app ones, ``audit`` and ``report``, in their apps).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiapei.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    # Load the settings before Django does: Django's own commands (shell, check, help) would
    # otherwise run on without them, and a value the environment got wrong (e.g.
    # JIAPEI_FRAUD_LOOKBACK_DAYS=thirty) would surface later, or never, as a traceback.
    try:
        settings.INSTALLED_APPS  # noqa: B018  (the first access reads the settings module)
    except ImproperlyConfigured as exc:
        sys.exit(f"jiapei: {exc}")

    args = list(sys.argv if argv is None else ["jiapei", *argv])
    # Django names commands after their modules; the documented spelling has a hyphen.
    args = ["police_sim" if a == "police-sim" else a for a in args]
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
