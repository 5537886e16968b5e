from __future__ import annotations

from django.core.management.base import BaseCommand

from core.roles import roles_setup


class Command(BaseCommand):
    help = "Create or refresh the staff role groups (admin, supervisor, operator, field, viewer)."

    def handle(self, *args, **options):
        for role, count in roles_setup().items():
            self.stdout.write(f"{role}: {count} permissions")
