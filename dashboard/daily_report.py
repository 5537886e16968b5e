"""The printable daily report: coverage as of the day, the day's sessions, requests completed per
service, and the stock movements of the day — each scoped to what the user may see."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from blanks.models import StockLocation, StockMovement
from blanks.selectors import locations_visible_to
from core.access import kecamatan_scope
from dashboard.overview import sessions_of_day
from registrations.coverage import CURRENT_FIRST
from registrations.coverage_selectors import area_names, figures
from registrations.models import CoverageRun, CoverageSnapshot, ServiceRequest
from registrations.selectors import service_requests_visible_to

Level = CoverageSnapshot.Level
Cohort = CoverageSnapshot.Cohort


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Start of `day` and of the next day in Asia/Jakarta (the office's day)."""
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(day, dt.time.min, tz)
    return start, start + dt.timedelta(days=1)


def coverage_as_of(day: dt.date) -> dict | None:
    """The coverage of the latest run whose reference date is `day` or earlier (None if none)."""
    run = CoverageRun.objects.filter(reference_date__lte=day).order_by(*CURRENT_FIRST).first()
    if run is None:
        return None
    snapshots = list(
        run.snapshots.filter(Q(level=Level.KABUPATEN) | Q(level=Level.KECAMATAN, cohort=Cohort.ALL)).order_by(
            "area_code", "cohort"
        )
    )
    names = area_names(desa=False)
    kabupaten = {s.cohort: figures(s, names) for s in snapshots if s.level == Level.KABUPATEN}
    return {
        "run": run,
        "kabupaten": kabupaten[Cohort.ALL],
        "pemula": kabupaten[Cohort.PEMULA],
        "age_16": kabupaten[Cohort.AGE_16],
        "kecamatan": [figures(s, names) for s in snapshots if s.level == Level.KECAMATAN],
    }


def requests_of_day(*, user, day: dt.date) -> list[dict]:
    """Per service: requests submitted, completed, and cancelled or rejected during `day`."""
    start, end = day_bounds(day)
    status = ServiceRequest.Status
    in_day = {"completed": Q(completed_at__gte=start, completed_at__lt=end, status=status.COMPLETED)}
    in_day["submitted"] = Q(submitted_at__gte=start, submitted_at__lt=end)
    in_day["closed"] = Q(
        closed_at__gte=start, closed_at__lt=end, status__in=[status.CANCELLED, status.REJECTED]
    )
    rows = {
        row["service"]: row
        for row in service_requests_visible_to(user)
        .prefetch_related(None)
        .filter(in_day["completed"] | in_day["submitted"] | in_day["closed"])
        .order_by()
        .values("service")
        .annotate(**{name: Count("id", filter=condition) for name, condition in in_day.items()})
    }
    return [
        {
            "service": value,
            "label": label,
            **{name: rows.get(value, {}).get(name, 0) for name in in_day},
        }
        for value, label in ServiceRequest.Service.choices
    ]


def stock_movements_of_day(*, user, day: dt.date) -> list[dict]:
    """Per location with movements during `day`: opening and closing balance and the blanks
    received, transferred in and out, issued, spoiled and adjusted (one grouped query)."""
    start, end = day_bounds(day)
    kind = StockMovement.Kind
    in_day = Q(movements__created_at__gte=start, movements__created_at__lt=end)
    last_of_day = StockMovement.objects.filter(
        location=OuterRef("pk"), created_at__gte=start, created_at__lt=end
    ).order_by("-created_at", "-id")

    def total(condition: Q):
        return Coalesce(Sum("movements__delta", filter=in_day & condition), 0)

    locations = (
        locations_visible_to(user, StockLocation.objects.all())
        .filter(movements__created_at__gte=start, movements__created_at__lt=end)
        .annotate(
            movements_count=Count("movements", filter=in_day),
            net=total(Q()),
            received=total(Q(movements__kind=kind.RECEIPT)),
            transferred_in=total(Q(movements__kind=kind.TRANSFER, movements__delta__gt=0)),
            transferred_out=total(Q(movements__kind=kind.TRANSFER, movements__delta__lt=0)),
            issued=total(Q(movements__kind=kind.ISSUE)),
            spoiled=total(Q(movements__kind=kind.SPOILAGE)),
            adjusted=total(Q(movements__kind=kind.ADJUSTMENT)),
            closing=Subquery(last_of_day.values("balance_after")[:1]),
        )
        .order_by("code")
    )
    rows = []
    for location in locations:
        rows.append(
            {
                "location": location,
                "movements": location.movements_count,
                "opening": location.closing - location.net,
                "closing": location.closing,
                "received": location.received,
                "transferred_in": location.transferred_in,
                "transferred_out": -location.transferred_out,
                "issued": -location.issued,
                "spoiled": -location.spoiled,
                "adjusted": location.adjusted,
            }
        )
    return rows


def daily_report(*, user, day: dt.date) -> dict:
    sessions = sessions_of_day(user=user, day=day)
    session_totals = {
        key: sum(getattr(s, key) for s in sessions)
        for key in ("capacity", "booked", "checked_in", "no_show", "waiting", "cancelled", "walk_ins")
    }
    scope = kecamatan_scope(user)
    return {
        "day": day,
        "coverage": coverage_as_of(day),
        "highlighted": scope or frozenset(),
        "scoped": scope is not None,
        "sessions": sessions,
        "session_totals": session_totals,
        "requests": requests_of_day(user=user, day=day),
        "stock": stock_movements_of_day(user=user, day=day),
    }
