"""What the overview page and the daily report read: coverage from the latest snapshot set (never a
COUNT over citizens), the day's sessions with their bookings, and the blank stock with its forecast.

Every read is scoped by role: operators see the kabupaten coverage (an aggregate) with their own
kecamatan highlighted, but only the sessions and stock locations of their kecamatan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from blanks.models import StockAlert
from blanks.selectors import StockForecast, forecast_of, locations_visible_to, locations_with_stock
from core.access import kecamatan_scope, scope_queryset
from registrations.coverage import CoverageNotComputedError
from registrations.coverage_selectors import coverage_overview, coverage_projection
from registrations.models import CoverageSnapshot
from schedules.models import Appointment, OutreachSession, QueueTicket

TREND_DAYS = 30
Cohort = CoverageSnapshot.Cohort


@dataclass(frozen=True)
class SessionDay:
    """One session of a day with its bookings: places, held, checked in, no-shows, walk-ins."""

    session: OutreachSession
    capacity: int
    booked: int  # places held (active, checked in and no-show bookings)
    checked_in: int
    no_show: int
    waiting: int  # active bookings not (yet) checked in
    cancelled: int
    walk_ins: int


def sessions_of_day(*, user, day: dt.date) -> list[SessionDay]:
    """The sessions of `day` in the user's kecamatan, with their booking counts (three queries)."""
    sessions = list(
        scope_queryset(OutreachSession.objects.filter(date=day), user, "kecamatan_id")
        .select_related("kecamatan")
        .annotate(
            capacity=Coalesce(Sum("slots__capacity", filter=Q(slots__removed_at__isnull=True)), 0),
            booked=Coalesce(Sum("slots__booked"), 0),
        )
        .order_by("start_time", "kecamatan_id", "id")
    )
    ids = [s.pk for s in sessions]
    status = Appointment.Status
    counts = {
        row["slot__session_id"]: row
        for row in Appointment.objects.filter(slot__session_id__in=ids)
        .order_by()
        .values("slot__session_id")
        .annotate(
            checked_in=Count("id", filter=Q(status=status.CHECKED_IN)),
            no_show=Count("id", filter=Q(status=status.NO_SHOW)),
            waiting=Count("id", filter=Q(status=status.ACTIVE)),
            cancelled=Count("id", filter=Q(status=status.CANCELLED)),
        )
    }
    walk_ins = dict(
        QueueTicket.objects.filter(session_id__in=ids, appointment__isnull=True)
        .order_by()
        .values("session_id")
        .annotate(n=Count("id"))
        .values_list("session_id", "n")
    )
    empty = {"checked_in": 0, "no_show": 0, "waiting": 0, "cancelled": 0}
    return [
        SessionDay(
            session=s,
            capacity=s.capacity,
            booked=s.booked,
            walk_ins=walk_ins.get(s.pk, 0),
            **{key: counts.get(s.pk, empty)[key] for key in empty},
        )
        for s in sessions
    ]


def stock_of(*, user, now: dt.datetime | None = None) -> tuple[list[StockForecast], list[StockAlert]]:
    """Forecasts of the active locations the user may see (lowest cover first) and their open alerts."""
    now = now or timezone.now()
    locations = locations_visible_to(user, locations_with_stock(now=now).filter(active=True))
    forecasts = [forecast_of(location, now=now) for location in locations]
    forecasts.sort(key=lambda f: (f.days_of_cover is None, f.days_of_cover or 0, f.location.code))
    alerts = list(
        StockAlert.objects.filter(resolved_at__isnull=True, location__in=locations_visible_to(user))
        .select_related("location")
        .order_by("-raised_at")
    )
    return forecasts, alerts


def coverage_trend(*, today: dt.date, days: int = TREND_DAYS) -> list[dict]:
    """The kabupaten's coverage (all wajib KTP and first-time voters) per reference date over the
    last `days` days: the last computation of each day. Reads snapshot rows only."""
    since = today - dt.timedelta(days=days)
    rows = (
        CoverageSnapshot.objects.filter(
            area_code=settings.KUDUS_KABUPATEN_CODE,
            cohort__in=[Cohort.ALL, Cohort.PEMULA],
            reference_date__gt=since,
        )
        .order_by("reference_date", "computed_at", "id")
        .values_list("reference_date", "cohort", "recorded", "wajib_ktp")
    )
    by_day: dict[dt.date, dict[str, tuple[int, int]]] = {}
    for day, cohort, recorded, wajib in rows:
        by_day.setdefault(day, {})[cohort] = (recorded, wajib)  # later computations replace earlier ones
    points = []
    for day, cohorts in sorted(by_day.items()):
        point = {"date": day}
        for cohort in (Cohort.ALL, Cohort.PEMULA):
            recorded, wajib = cohorts.get(cohort, (0, 0))
            point[cohort] = {
                "recorded": recorded,
                "wajib_ktp": wajib,
                "coverage_pct": CoverageSnapshot.percent(recorded, wajib),
            }
        points.append(point)
    return points


def _kecamatan_rows(coverage: dict, projection: dict | None, highlighted: frozenset[str]) -> list[dict]:
    """Kecamatan figures with their projection, the largest gap to 100% first."""
    projected = {p.code: p for p in projection["kecamatan"]} if projection else {}
    rows = [
        {**k, "projection": projected.get(k["code"]), "highlight": k["code"] in highlighted}
        for k in coverage["kecamatan"]
    ]
    rows.sort(key=lambda k: (-k["unrecorded"], k["code"]))
    return rows


def dashboard_overview(*, user, target_date: dt.date | None = None, now: dt.datetime | None = None) -> dict:
    """Everything the overview shows. `coverage` is None until the first recompute has run."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    scope = kecamatan_scope(user)
    highlighted = scope or frozenset()
    target_date = target_date or settings.ELECTION_DATE
    try:
        coverage = coverage_overview()
        projection = coverage_projection(target_date=target_date)
    except CoverageNotComputedError:
        coverage = projection = None
    sessions = sessions_of_day(user=user, day=today)
    forecasts, alerts = stock_of(user=user, now=now)
    result = {
        "today": today,
        "target_date": target_date,
        "coverage": coverage,
        "projection": projection,
        "sessions": sessions,
        "stock": forecasts,
        "alerts": alerts,
        "scoped": scope is not None,
        "kecamatan": [],
        "own_kecamatan": [],
        "trend": [],
        "chart": None,
    }
    if coverage is None:
        return result
    kecamatan = _kecamatan_rows(coverage, projection, highlighted)
    trend = coverage_trend(today=coverage["reference_date"])
    result.update(
        kecamatan=kecamatan,
        own_kecamatan=[k for k in kecamatan if k["highlight"]],
        trend=trend,
        chart=_chart_data(kecamatan, trend),
    )
    return result


def _chart_data(kecamatan: list[dict], trend: list[dict]) -> dict:
    """What static/js/dashboard-charts.js draws (passed with json_script: plain JSON, no markup)."""
    return {
        "trend": {
            "title": _("Coverage over the last %(days)d days (%%)") % {"days": TREND_DAYS},
            "labels": [formats.date_format(p["date"], "SHORT_DATE_FORMAT") for p in trend],
            "series": [
                {"label": _("All wajib KTP"), "data": [p[Cohort.ALL]["coverage_pct"] for p in trend]},
                {"label": _("First-time voters"), "data": [p[Cohort.PEMULA]["coverage_pct"] for p in trend]},
            ],
            "target": 100,
            "target_label": _("Target 100%"),
        },
        "gap": {
            "title": _("Not yet recorded, per kecamatan"),
            "label": _("Not yet recorded"),
            "labels": [k["name"] for k in kecamatan],
            "data": [k["unrecorded"] for k in kecamatan],
            "highlight": [k["highlight"] for k in kecamatan],
        },
    }
