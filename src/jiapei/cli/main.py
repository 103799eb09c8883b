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
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["jiapei", *argv])
    # Django names commands after their modules; the documented spelling has a hyphen.
    args = ["police_sim" if a == "police-sim" else a for a in args]
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
