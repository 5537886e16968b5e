"""The overview page (coverage, today's sessions, stock), the recompute button and the daily report."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import may_write
from core.exceptions import NotPermittedError
from dashboard.access import staff_required
from dashboard.daily_report import daily_report
from dashboard.overview import dashboard_overview
from registrations.coverage import coverage_refresh_request


def _date_param(request, name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return None


@staff_required
def overview(request):
    """Coverage vs the 100% target (latest snapshot), trend, gap per kecamatan, cohorts, projection,
    today's sessions and the blank stock. `?target=YYYY-MM-DD` projects to another date."""
    data = dashboard_overview(user=request.user, target_date=_date_param(request, "target"))
    data["may_recompute"] = may_write(request.user)
    return render(request, "dashboard/overview.html", data)


@staff_required
@require_POST
def coverage_recompute_request(request):
    """Ask for a coverage recompute now (debounced through the outbox); viewers only read."""
    try:
        coverage_refresh_request(actor=request.user, now=timezone.now())
    except NotPermittedError:
        raise PermissionDenied from None
    messages.success(request, _("A coverage recompute was requested; reload in a moment."))
    return redirect("dashboard:overview")


@staff_required
def report_daily(request):
    """A one-page printable report of a day (`?date=YYYY-MM-DD`, default today)."""
    day = _date_param(request, "date") or timezone.localdate()
    context = daily_report(user=request.user, day=day)
    context.update(previous_day=day - dt.timedelta(days=1), next_day=day + dt.timedelta(days=1), nav="report")
    return render(request, "dashboard/report_daily.html", context)
