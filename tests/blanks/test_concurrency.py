"""50 printing completions at once against 10 blanks, on PostgreSQL with real threads."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db.models import Sum

from blanks import services as blank_services
from blanks.exceptions import OutOfStockError
from blanks.models import StockBalance, StockMovement
from registrations.models import Citizen, ServiceRequest
from registrations.services.service_requests import (
    service_request_complete,
    service_request_create,
    service_request_start,
)
from tests.factories import printable_citizen, stocked_location
from tests.helpers import needs_postgres, run_concurrently

COMPLETIONS = 50
STOCK = 10
NOW = dt.datetime(2024, 2, 2, 3, 0, tzinfo=dt.UTC)

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]


def _printing_requests_in_progress(location, count: int) -> list[ServiceRequest]:
    requests = []
    for _ in range(count):
        sr = service_request_create(
            citizen=printable_citizen(),
            service="printing",
            reason="new",
            channel="office",
            location=location,
            now=NOW,
        )
        requests.append(service_request_start(service_request=sr, actor=None, now=NOW))
    return requests


def _complete_all_at_once(requests) -> list[object]:
    return run_concurrently(
        len(requests), lambda i: service_request_complete(service_request=requests[i], actor=None, now=NOW)
    )


def _outcome(location) -> tuple[int, int, int, int]:
    balance = StockBalance.objects.get(location=location).balance
    ledger = StockMovement.objects.filter(location=location).aggregate(total=Sum("delta"))["total"]
    issues = StockMovement.objects.filter(location=location, kind="issue").count()
    printed = Citizen.objects.filter(printed_at__isnull=False).count()
    return balance, ledger, issues, printed


def test_fifty_concurrent_printings_against_ten_blanks_complete_exactly_ten(regions_tx):
    location = stocked_location(STOCK)
    requests = _printing_requests_in_progress(location, COMPLETIONS)

    results = _complete_all_at_once(requests)

    completed = [r for r in results if isinstance(r, ServiceRequest)]
    refused = [r for r in results if isinstance(r, OutOfStockError)]
    assert (len(completed), len(refused)) == (STOCK, COMPLETIONS - STOCK), results
    assert _outcome(location) == (0, 0, STOCK, STOCK)  # balance, ledger sum, issues, printed cards
    assert ServiceRequest.objects.filter(status="completed").count() == STOCK
    assert ServiceRequest.objects.filter(status="in_progress").count() == COMPLETIONS - STOCK


def _naive_change_balance(location_id: int, delta: int, now: dt.datetime) -> int:
    """The read-then-write that the conditional UPDATE of `_change_balance` prevents: read, decide,
    pause, write an absolute value."""
    balance = StockBalance.objects.values_list("balance", flat=True).get(location_id=location_id)
    if balance + delta < 0:
        raise OutOfStockError()
    time.sleep(0.2)  # widen the window between the read and the write
    StockBalance.objects.filter(location_id=location_id).update(balance=balance + delta, updated_at=now)
    return balance + delta


def test_with_a_naive_read_then_write_balance_the_same_race_goes_wrong(regions_tx, monkeypatch):
    """Proves the test above can fail: a read-then-write balance (injected here in place of the
    conditional UPDATE) loses updates under this load."""
    location = stocked_location(STOCK)
    requests = _printing_requests_in_progress(location, COMPLETIONS)
    monkeypatch.setattr(blank_services, "_change_balance", _naive_change_balance)

    results = _complete_all_at_once(requests)

    completed = sum(isinstance(r, ServiceRequest) for r in results)
    balance, ledger, issues, printed = _outcome(location)
    assert completed > STOCK or balance != ledger, "the unguarded race did not go wrong"
    assert issues > STOCK and printed > STOCK  # more cards printed than there were blanks
