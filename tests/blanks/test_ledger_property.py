"""Property: after any sequence of movements, every balance equals the sum of its ledger and is never
negative; a refused movement changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blanks.exceptions import OutOfStockError
from blanks.models import StockBalance, StockMovement
from blanks.selectors import blank_ledger_verify
from blanks.services import blank_adjust, blank_issue_for_printing, blank_receive, blank_spoil, blank_transfer
from registrations.models import ServiceRequest
from tests.factories import CitizenFactory, StockLocationFactory, staff_user

LOCATIONS = 3
NOW = dt.datetime(2024, 2, 2, 3, 0, tzinfo=dt.UTC)

location_index = st.integers(min_value=0, max_value=LOCATIONS - 1)
operation = st.one_of(
    st.tuples(st.just("receive"), location_index, st.integers(1, 50), st.integers(0, 5)),
    st.tuples(st.just("transfer"), location_index, location_index, st.integers(1, 60), st.integers(0, 5)),
    st.tuples(st.just("spoil"), location_index, st.integers(1, 20)),
    st.tuples(st.just("adjust"), location_index, st.integers(-30, 30).filter(bool)),
    st.tuples(st.just("issue"), location_index),
)


def _snapshot() -> dict[int, int]:
    return dict(StockBalance.objects.values_list("location_id", "balance"))


def _ledger_sums() -> dict[int, int]:
    sums = StockMovement.objects.order_by().values("location").annotate(total=Sum("delta"))
    return {row["location"]: row["total"] for row in sums}


@pytest.fixture
def people(regions):
    return staff_user("supervisor"), CitizenFactory()


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=25))
def test_every_balance_equals_its_ledger_after_any_sequence_of_movements(people, operations):
    supervisor, citizen = people
    # Each example runs in its own transaction, rolled back at the end.
    with transaction.atomic():
        locations = [StockLocationFactory() for _ in range(LOCATIONS)]
        for op in operations:
            before = (_snapshot(), StockMovement.objects.count())
            try:
                match op:
                    case ("receive", i, quantity, ref):
                        blank_receive(
                            location=locations[i], quantity=quantity, reference=f"R{ref}-{i}-{quantity}"
                        )
                    case ("transfer", i, j, quantity, ref):
                        if i == j:
                            continue
                        blank_transfer(
                            from_location=locations[i],
                            to_location=locations[j],
                            quantity=quantity,
                            reference=f"T{ref}-{i}-{j}-{quantity}",
                        )
                    case ("spoil", i, quantity):
                        blank_spoil(location=locations[i], quantity=quantity, reason="salah cetak")
                    case ("adjust", i, quantity):
                        blank_adjust(
                            location=locations[i], quantity=quantity, reason="opname", actor=supervisor
                        )
                    case ("issue", i):
                        request = ServiceRequest.objects.create(
                            citizen=citizen,
                            service="printing",
                            reason="damaged",
                            channel="office",
                            status="completed",
                            submitted_at=NOW,
                            completed_at=NOW,
                        )
                        blank_issue_for_printing(location=locations[i], service_request=request, actor=None)
            except OutOfStockError:
                assert (_snapshot(), StockMovement.objects.count()) == before, (
                    "a refused movement changed stock"
                )
            balances, sums = _snapshot(), _ledger_sums()
            for location in locations:
                assert balances[location.pk] >= 0
                assert balances[location.pk] == sums.get(location.pk, 0)
        assert blank_ledger_verify().ok
        transaction.set_rollback(True)
