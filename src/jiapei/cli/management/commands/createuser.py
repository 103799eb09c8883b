"""``jiapei createuser``: create a regulator (or other) account bound to a region."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiapei.accounts.models import Role
from jiapei.accounts.services import create_user
from jiapei.core.actors import Actor
from jiapei.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create an account. Regulators need --region (GB/T 2260 code of their level). The "
        "password is read from JIAPEI_PASSWORD or asked for."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--region", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("JIAPEI_PASSWORD") or getpass.getpass("Password: ")
        try:
            user = create_user(
                actor=Actor.system("createuser"),
                username=options["username"],
                password=password,
                role=options["role"],
                region_code=options["region"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"created {user.username} ({user.get_role_display()}, {user.region_id})")
