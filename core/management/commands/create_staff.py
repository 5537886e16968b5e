from __future__ import annotations

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.access import ROLES
from core.roles import StaffProvisioningError, staff_create


class Command(BaseCommand):
    help = (
        "Provision a staff account with a role and its kecamatan. The password is read from standard "
        "input (--password-stdin) or prompted for, never taken from an argument."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--kecamatan", nargs="*", default=[], metavar="CODE", help="e.g. 33.19.01")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-stdin", action="store_true", help="Read the password from the first line of stdin."
        )

    def handle(self, *args, username, role, kecamatan, email, password_stdin, **options):
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        elif sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        else:
            password = None  # no terminal: an account without a usable password (set it later)
        try:
            user = staff_create(
                username=username,
                role=role,
                kecamatan_codes=kecamatan,
                password=password or None,
                email=email,
            )
        except (StaffProvisioningError, ValidationError) as exc:
            message = exc.message if isinstance(exc, StaffProvisioningError) else "; ".join(exc.messages)
            raise CommandError(str(message)) from exc
        scope = ", ".join(kecamatan) if kecamatan else "all kecamatan"
        self.stdout.write(self.style.SUCCESS(f"Staff {user.username}: role {role}, {scope}."))
