"""The blank-stock ledger: movements, balances, idempotency, the ledger check, the demo stock."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction
from django.db.models import Sum

from blanks.demo import MAIN_OFFICE_CODE, blanks_demo_seed
from blanks.exceptions import (
    InvalidMovementError,
    OutOfStockError,
    ReferenceReusedError,
    StockPermissionError,
)
from blanks.models import StockBalance, StockLocation, StockMovement
from blanks.selectors import blank_ledger_verify
from blanks.services import blank_adjust, blank_receive, blank_spoil, blank_transfer
from tests.factories import StockLocationFactory, staff_user, stocked_location

pytestmark = pytest.mark.django_db


def balance(location) -> int:
    return StockBalance.objects.get(location=location).balance


def ledger(location) -> int:
    return StockMovement.objects.filter(location=location).aggregate(total=Sum("delta"))["total"] or 0


def test_a_receipt_adds_to_the_balance_and_the_ledger():
    location = StockLocationFactory()
    movement = blank_receive(location=location, quantity=2000, reference="SJ-2024-001")
    assert (movement.kind, movement.delta, movement.balance_after) == ("receipt", 2000, 2000)
    assert balance(location) == ledger(location) == 2000


def test_posting_the_same_receipt_twice_creates_one_movement():
    location = StockLocationFactory()
    first = blank_receive(location=location, quantity=2000, reference="SJ-2024-001")
    again = blank_receive(location=location, quantity=2000, reference="SJ-2024-001")
    assert again.pk == first.pk
    assert StockMovement.objects.count() == 1 and balance(location) == 2000


def test_reusing_a_receipt_reference_for_another_quantity_is_a_conflict():
    location = StockLocationFactory()
    blank_receive(location=location, quantity=2000, reference="SJ-2024-001")
    with pytest.raises(ReferenceReusedError) as error:
        blank_receive(location=location, quantity=200, reference="SJ-2024-001")
    assert error.value.status_code == 409
    assert balance(location) == 2000


def test_a_receipt_needs_a_reference_and_a_positive_quantity():
    location = StockLocationFactory()
    with pytest.raises(InvalidMovementError):
        blank_receive(location=location, quantity=10, reference=" ")
    with pytest.raises(InvalidMovementError):
        blank_receive(location=location, quantity=0, reference="X")
    assert not StockMovement.objects.exists()


def test_a_transfer_writes_two_linked_entries_and_moves_the_balance():
    main, office = stocked_location(100), StockLocationFactory()
    outgoing = blank_transfer(from_location=main, to_location=office, quantity=30, reference="TR-1")
    incoming = outgoing.transfer_to
    assert (outgoing.location, outgoing.delta, incoming.location, incoming.delta) == (main, -30, office, 30)
    assert (balance(main), balance(office)) == (70, 30)
    again = blank_transfer(from_location=main, to_location=office, quantity=30, reference="TR-1")
    assert again.pk == outgoing.pk and StockMovement.objects.filter(kind="transfer").count() == 2


def test_a_transfer_larger_than_the_stock_fails_and_changes_nothing():
    main, office = stocked_location(10), StockLocationFactory()
    with pytest.raises(OutOfStockError):
        blank_transfer(from_location=main, to_location=office, quantity=11, reference="TR-1")
    assert (balance(main), balance(office)) == (10, 0)
    assert not StockMovement.objects.filter(kind="transfer").exists()


def test_a_transfer_to_the_same_location_is_refused():
    main = stocked_location(10)
    with pytest.raises(InvalidMovementError):
        blank_transfer(from_location=main, to_location=main, quantity=1, reference="TR-1")


def test_spoilage_needs_a_reason_and_removes_blanks():
    location = stocked_location(10)
    with pytest.raises(InvalidMovementError):
        blank_spoil(location=location, quantity=1, reason="")
    movement = blank_spoil(location=location, quantity=2, reason="Salah cetak")
    assert (movement.delta, movement.quantity, balance(location)) == (-2, 2, 8)


def test_only_an_admin_or_supervisor_may_adjust_stock(regions):
    location = stocked_location(10)
    with pytest.raises(StockPermissionError) as error:
        blank_adjust(location=location, quantity=-1, reason="Stock opname", actor=staff_user("operator"))
    assert error.value.status_code == 403
    movement = blank_adjust(
        location=location, quantity=-3, reason="Stock opname", actor=staff_user("supervisor")
    )
    assert (movement.kind, movement.quantity, balance(location)) == ("adjustment", -3, 7)
    with pytest.raises(OutOfStockError):
        blank_adjust(location=location, quantity=-8, reason="Stock opname", actor=staff_user("admin"))
    assert balance(location) == ledger(location) == 7


def test_movements_cannot_be_edited():
    location = stocked_location(10)
    with pytest.raises(DatabaseError), transaction.atomic():
        StockMovement.objects.filter(location=location).update(delta=11)
    assert ledger(location) == 10


def test_the_database_refuses_a_negative_balance():
    location = stocked_location(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        StockBalance.objects.filter(location=location).update(balance=-1)


def test_the_ledger_check_passes_on_consistent_stock_and_reports_a_tampered_balance(capsys):
    main, office = stocked_location(100, code="MAIN"), StockLocationFactory(code="OFF")
    blank_transfer(from_location=main, to_location=office, quantity=40, reference="TR-1")
    blank_spoil(location=office, quantity=1, reason="rusak")
    call_command("check_blank_ledger")
    assert "Blank ledger OK: 2 locations, 4 movements" in capsys.readouterr().out

    StockBalance.objects.filter(location=office).update(balance=50)
    assert [(m.location_code, m.balance, m.ledger_sum) for m in blank_ledger_verify().mismatches] == [
        ("OFF", 50, 39)
    ]
    with pytest.raises(CommandError):
        call_command("check_blank_ledger")
    assert "OFF: balance 50 but the ledger sums to 39" in capsys.readouterr().out


def test_the_demo_stock_puts_about_6000_blanks_at_the_main_office_and_is_idempotent(regions):
    summary = blanks_demo_seed()
    assert "6,000 blanks at the main office" in summary
    assert balance(StockLocation.objects.get(code=MAIN_OFFICE_CODE)) == 6000
    assert StockLocation.objects.filter(kind="kecamatan_office").count() == 9
    assert StockLocation.objects.filter(kind="mobile_unit").count() == 1
    movements = StockMovement.objects.count()
    blanks_demo_seed()
    assert StockMovement.objects.count() == movements
    assert blank_ledger_verify().ok
