"""Reads of the blank stock: balances with forecasts, visibility by role, the ledger check."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from blanks.models import StockBalance, StockLocation, StockMovement
from core.access import kecamatan_scope

FORECAST_WINDOW_DAYS = 7


def locations_with_stock(*, now: dt.datetime | None = None) -> QuerySet[StockLocation]:
    """Locations annotated with `balance` and `issued_last_7_days` (two correlated reads per row,
    on the balance primary key and the (location, kind, created_at) index)."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=FORECAST_WINDOW_DAYS)
    issued = (
        StockMovement.objects.filter(
            location=OuterRef("pk"), kind=StockMovement.Kind.ISSUE, created_at__gt=since, created_at__lte=now
        )
        .order_by()
        .values("location")
        .annotate(total=Sum("delta"))
        .values("total")
    )
    balance = StockBalance.objects.filter(location=OuterRef("pk")).values("balance")
    return (
        StockLocation.objects.select_related("kecamatan")
        .annotate(
            balance=Coalesce(Subquery(balance), Value(0)),
            issued_last_7_days=Coalesce(-Subquery(issued), Value(0)),
        )
        .order_by("code")
    )


def locations_visible_to(user, queryset: QuerySet[StockLocation] | None = None) -> QuerySet[StockLocation]:
    """Admin, supervisor and viewer see every location; operators and field staff the locations of
    their kecamatan plus those tied to none (mobile units)."""
    queryset = queryset if queryset is not None else StockLocation.objects.all()
    scope = kecamatan_scope(user)
    if scope is None:
        return queryset
    return queryset.filter(Q(kecamatan__in=scope) | Q(kecamatan__isnull=True))


def movements_visible_to(user) -> QuerySet[StockMovement]:
    queryset = StockMovement.objects.select_related(
        "location", "transfer_from__location", "transfer_to__location", "actor"
    )
    scope = kecamatan_scope(user)
    if scope is None:
        return queryset
    return queryset.filter(Q(location__kecamatan__in=scope) | Q(location__kecamatan__isnull=True))


@dataclass(frozen=True)
class StockForecast:
    """Days of cover of one location at the issue rate of the last 7 days."""

    location: StockLocation
    balance: int
    issued_last_7_days: int
    daily_issue_rate: Decimal
    days_of_cover: Decimal | None  # None: nothing issued lately, the stock lasts indefinitely
    runs_out_on: dt.date | None

    @property
    def below_threshold(self) -> bool:
        return self.balance < self.location.low_stock_threshold

    @property
    def short_cover(self) -> bool:
        return self.days_of_cover is not None and self.days_of_cover < self.location.min_days_of_cover

    @property
    def is_low(self) -> bool:
        return self.below_threshold or self.short_cover


def forecast_of(location: StockLocation, *, now: dt.datetime | None = None) -> StockForecast:
    """The forecast of a location annotated by `locations_with_stock`."""
    now = now or timezone.now()
    balance = int(location.balance)
    issued = int(location.issued_last_7_days)
    rate = (Decimal(issued) / FORECAST_WINDOW_DAYS).quantize(Decimal("0.01"))
    if issued == 0:
        days, runs_out_on = None, None
    else:
        exact = Decimal(balance) * FORECAST_WINDOW_DAYS / Decimal(issued)
        days = exact.quantize(Decimal("0.1"), rounding=ROUND_DOWN)
        runs_out_on = timezone.localdate(now) + dt.timedelta(days=int(exact))
    return StockForecast(
        location=location,
        balance=balance,
        issued_last_7_days=issued,
        daily_issue_rate=rate,
        days_of_cover=days,
        runs_out_on=runs_out_on,
    )


def stock_forecasts(*, now: dt.datetime | None = None) -> list[StockForecast]:
    """The forecast of every active location (one query)."""
    now = now or timezone.now()
    return [forecast_of(location, now=now) for location in locations_with_stock(now=now).filter(active=True)]


@dataclass(frozen=True)
class LedgerMismatch:
    location_code: str
    balance: int
    ledger_sum: int


@dataclass
class LedgerReport:
    locations: int = 0
    movements: int = 0
    mismatches: list[LedgerMismatch] = field(default_factory=list)
    unpaired_transfers: list[int] = field(default_factory=list)
    issues_without_completed_printing: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.mismatches or self.unpaired_transfers or self.issues_without_completed_printing)


def blank_ledger_verify() -> LedgerReport:
    """Every balance against the sum of its ledger (GROUP BY in SQL), every transfer against its
    second leg, every issue against a completed printing request."""
    sums = dict(
        StockMovement.objects.order_by()
        .values("location")
        .annotate(total=Sum("delta"))
        .values_list("location", "total")
    )
    balances = dict(StockBalance.objects.values_list("location_id", "balance"))
    report = LedgerReport(movements=StockMovement.objects.count())
    for location_id, code in StockLocation.objects.order_by("code").values_list("pk", "code"):
        report.locations += 1
        balance, ledger_sum = balances.get(location_id, 0), sums.get(location_id) or 0
        if balance != ledger_sum:
            report.mismatches.append(
                LedgerMismatch(location_code=code, balance=balance, ledger_sum=ledger_sum)
            )
    transfers = StockMovement.objects.filter(kind=StockMovement.Kind.TRANSFER)
    report.unpaired_transfers = sorted(
        [
            *transfers.filter(delta__lt=0, transfer_to__isnull=True).values_list("pk", flat=True),
            *transfers.filter(delta__gt=0, transfer_from__isnull=True).values_list("pk", flat=True),
            *transfers.filter(delta__gt=0)
            .exclude(transfer_from__delta=-F("delta"))
            .exclude(transfer_from__isnull=True)
            .values_list("pk", flat=True),
        ]
    )
    report.issues_without_completed_printing = list(
        StockMovement.objects.filter(kind=StockMovement.Kind.ISSUE)
        .exclude(service_request__status="completed", service_request__service="printing")
        .values_list("pk", flat=True)
    )
    return report
