"""Demo stock: the main office with about 6,000 blanks (early Feb 2024), one office per kecamatan
and a mobile unit, each stocked by a transfer from the main office. Idempotent: every movement
carries a fixed reference, so a second run posts nothing new."""

from __future__ import annotations

from django.db import transaction

from blanks.models import StockBalance, StockLocation
from blanks.services import blank_receive, blank_transfer, stock_location_create
from regions.models import Kecamatan

MAIN_OFFICE_CODE = "PUSAT"
MOBILE_UNIT_CODE = "MOBIL-1"
MAIN_OFFICE_STOCK = 6_000
OFFICE_STOCK = 100
MOBILE_STOCK = 100


def _location(*, code: str, **fields) -> StockLocation:
    existing = StockLocation.objects.filter(code=code).first()
    return existing or stock_location_create(code=code, **fields)


@transaction.atomic
def blanks_demo_seed() -> str:
    kota = Kecamatan.objects.filter(code="33.19.02").first()
    main = _location(
        code=MAIN_OFFICE_CODE,
        name="Disdukcapil Kudus (kantor pusat)",
        kind=StockLocation.Kind.MAIN_OFFICE,
        kecamatan=kota,
        low_stock_threshold=1_000,
        min_days_of_cover=3,
    )
    outlets = [
        _location(
            code=f"KEC-{kecamatan.code[-2:]}",
            name=f"Kantor Kecamatan {kecamatan.name}",
            kind=StockLocation.Kind.KECAMATAN_OFFICE,
            kecamatan=kecamatan,
            low_stock_threshold=20,
            min_days_of_cover=2,
        )
        for kecamatan in Kecamatan.objects.order_by("code")
    ]
    mobile = _location(
        code=MOBILE_UNIT_CODE,
        name="Mobil pelayanan keliling 1",
        kind=StockLocation.Kind.MOBILE_UNIT,
        low_stock_threshold=20,
        min_days_of_cover=1,
    )
    distributed = OFFICE_STOCK * len(outlets) + MOBILE_STOCK
    blank_receive(
        location=main,
        quantity=MAIN_OFFICE_STOCK + distributed,
        reference="DEMO-KEMENDAGRI-2024-01",
        reason="Demo: kiriman blangko dari Kemendagri",
    )
    for outlet, quantity in [*((office, OFFICE_STOCK) for office in outlets), (mobile, MOBILE_STOCK)]:
        blank_transfer(
            from_location=main,
            to_location=outlet,
            quantity=quantity,
            reference=f"DEMO-DISTRIBUSI-{outlet.code}",
            reason="Demo: distribusi awal",
        )
    main_balance = StockBalance.objects.get(location=main).balance
    return (
        f"Blank stock: {len(outlets) + 2} locations; {main_balance:,} blanks at the main office, "
        f"{OFFICE_STOCK} at each kecamatan office, {MOBILE_STOCK} in the mobile unit."
    )
