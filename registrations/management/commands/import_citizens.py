from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from registrations.services.citizens_import import ImportFileError, citizens_import


class Command(BaseCommand):
    help = (
        "Import citizens from a CSV file (upsert by NIK). Every row is validated; a file with errors "
        "writes nothing unless --skip-invalid is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Write the valid rows and a report of the rejected ones (FILE.rejects.csv).",
        )
        parser.add_argument("--report", type=Path, help="Where to write the rejects report.")
        parser.add_argument("--max-errors-shown", type=int, default=50)

    def handle(
        self, *args, file: Path, skip_invalid: bool, report: Path | None, max_errors_shown: int, **opts
    ):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        report_path = report or file.with_name(file.name + ".rejects.csv")
        bar = tqdm(unit=" rows", disable=not sys.stderr.isatty(), desc="Validating")
        try:
            with file.open(encoding="utf-8-sig", newline="") as source:
                result = citizens_import(
                    source, skip_invalid=skip_invalid, report_path=report_path, progress=bar.update
                )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()

        for error in result.errors[:max_errors_shown]:
            self.stderr.write(str(error))
        if len(result.errors) > max_errors_shown:
            self.stderr.write(f"… and {len(result.errors) - max_errors_shown} more")
        if not result.written:
            raise CommandError(
                f"{result.invalid} invalid row(s) of {result.rows}: nothing was written. "
                "Fix the file or use --skip-invalid."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.valid} of {result.rows} rows: {result.created} created, "
                f"{result.updated} updated, {result.invalid} rejected."
            )
        )
        if result.report_path:
            self.stdout.write(f"Rejected rows: {result.report_path}")
