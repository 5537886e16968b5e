"""Shared start-up of the benchmark scripts: Django on the DATABASE_URL database, migrated."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kudus_capil.settings")
    # The benchmark driver seeds demo data: development mode unless a script chose production mode.
    os.environ.setdefault("DJANGO_DEBUG", "1")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Benchmarks run on PostgreSQL: `make bench-…` starts one (or set DATABASE_URL).")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from regions.services import regions_load

    regions_load()
