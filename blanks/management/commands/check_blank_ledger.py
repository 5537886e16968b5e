from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from blanks.selectors import blank_ledger_verify


class Command(BaseCommand):
    help = (
        "Verify every blank-stock balance against the sum of its ledger, every transfer against its "
        "second leg and every issue against a completed printing request. Exits 1 on any difference."
    )

    def handle(self, *args, **options):
        report = blank_ledger_verify()
        for mismatch in report.mismatches:
            self.stdout.write(
                f"{mismatch.location_code}: balance {mismatch.balance} "
                f"but the ledger sums to {mismatch.ledger_sum}"
            )
        for pk in report.unpaired_transfers:
            self.stdout.write(f"transfer movement {pk} has no matching second leg")
        for pk in report.issues_without_completed_printing:
            self.stdout.write(f"issue movement {pk} is not linked to a completed printing request")
        summary = f"{report.locations} locations, {report.movements} movements"
        if not report.ok:
            raise CommandError(f"Blank ledger check FAILED: {summary}.")
        self.stdout.write(self.style.SUCCESS(f"Blank ledger OK: {summary}, every balance equals its ledger."))
