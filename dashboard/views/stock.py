"""Blank stock for staff: balances per location with threshold, days of cover and open alerts; the
movement ledger; receive, transfer, spoil and adjust forms.

The rules are `blanks.services` (idempotent by reference, never below zero, adjustments by admin or
supervisor only); what a user sees is `blanks.selectors.locations_visible_to` /
`movements_visible_to`, the API's scoping: a location outside the user's kecamatan is a 404.
"""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from blanks.filters import StockMovementFilter
from blanks.models import StockAlert, StockLocation, StockMovement
from blanks.selectors import forecast_of, locations_visible_to, locations_with_stock, movements_visible_to
from blanks.services import blank_adjust, blank_receive, blank_spoil, blank_transfer
from core.access import ALL_STAFF, DESK_STAFF, MANAGERS, has_role
from core.exceptions import ApplicationError
from core.forms import form_add_application_error
from dashboard.access import roles_required
from dashboard.forms import DATE_WIDGET, MOVEMENT_FORMS
from dashboard.navigation import query_without_page
from dashboard.pagination import paginate_without_count

Kind = StockMovement.Kind


LOCATION_MOVEMENTS = 20


def location_get(user, code: str, *, now=None) -> StockLocation:
    location = locations_visible_to(user, locations_with_stock(now=now)).filter(code=code).first()
    if location is None:
        raise Http404
    return location


def _open_alerts(user):
    visible = locations_visible_to(user).values("pk")
    return StockAlert.objects.filter(resolved_at__isnull=True, location__in=visible).select_related(
        "location"
    )


def _movement_links(user) -> list[dict]:
    """The movement forms the user may use (adjustments: admin and supervisor only)."""
    links = [
        {"kind": "receive", "label": _("Receive blanks")},
        {"kind": "transfer", "label": _("Transfer")},
        {"kind": "spoil", "label": _("Write off spoiled blanks")},
    ]
    if has_role(user, MANAGERS):
        links.append({"kind": "adjust", "label": _("Adjust after a stock-take")})
    return links if has_role(user, DESK_STAFF) else []


@roles_required(ALL_STAFF)
def stock_overview(request):
    now = timezone.now()
    locations = locations_visible_to(request.user, locations_with_stock(now=now))
    return render(
        request,
        "dashboard/stock/overview.html",
        {
            "nav": "stock",
            "forecasts": [forecast_of(location, now=now) for location in locations],
            "alerts": list(_open_alerts(request.user).order_by("-raised_at", "-id")),
            "links": _movement_links(request.user),
        },
    )


@roles_required(ALL_STAFF)
def location_detail(request, code: str):
    now = timezone.now()
    location = location_get(request.user, code, now=now)
    movements = movements_visible_to(request.user).filter(location=location).select_related("service_request")
    return render(
        request,
        "dashboard/stock/location.html",
        {
            "nav": "stock",
            "location": location,
            "forecast": forecast_of(location, now=now),
            "alerts": list(location.alerts.order_by("-raised_at", "-id")[:10]),
            "movements": list(movements.order_by("-created_at", "-id")[:LOCATION_MOVEMENTS]),
            "links": _movement_links(request.user),
        },
    )


class LedgerFilter(StockMovementFilter):
    """The API's ledger filters, with a select of the user's locations and a date picker."""

    kind = django_filters.ChoiceFilter(
        choices=Kind.choices, label=gettext_lazy("kind"), empty_label=gettext_lazy("all")
    )
    location = django_filters.ModelChoiceFilter(
        field_name="location",
        queryset=StockLocation.objects.all(),
        to_field_name="code",
        label=gettext_lazy("location"),
        empty_label=gettext_lazy("all"),
    )
    reference = django_filters.CharFilter(label=gettext_lazy("reference"), max_length=100)
    date = django_filters.DateFilter(method="filter_date", label=gettext_lazy("date"), widget=DATE_WIDGET)

    def __init__(self, data=None, *args, user=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["location"].queryset = locations_visible_to(user)


@roles_required(ALL_STAFF)
def movement_list(request):
    base = movements_visible_to(request.user).select_related("service_request")
    filterset = LedgerFilter(request.GET or None, queryset=base, user=request.user)
    queryset = base.none() if filterset.is_bound and not filterset.is_valid() else filterset.qs
    page = paginate_without_count(queryset.order_by("-created_at", "-id"), request.GET.get("page"))
    return render(
        request,
        "dashboard/stock/movements.html",
        {"nav": "stock", "filter": filterset, "page": page, "query": query_without_page(request.GET)},
    )


def _post(kind: str, data: dict, actor, now) -> StockMovement:
    common = {"quantity": data["quantity"], "reference": data["reference"], "reason": data["reason"],
              "actor": actor, "now": now}  # fmt: skip
    if kind == "receive":
        return blank_receive(location=data["location"], **common)
    if kind == "transfer":
        return blank_transfer(from_location=data["location"], to_location=data["to_location"], **common)
    if kind == "spoil":
        return blank_spoil(location=data["location"], **common)
    return blank_adjust(location=data["location"], **common)


def _posted_message(kind: str, movement: StockMovement, replayed: bool) -> str:
    if replayed:
        return _("Reference %(reference)s was already posted on %(when)s; nothing was posted again.") % {
            "reference": movement.reference,
            "when": timezone.localtime(movement.created_at).strftime("%d/%m/%Y %H:%M"),
        }
    values = {
        "quantity": movement.quantity,
        "location": movement.location.name,
        "before": movement.balance_after - movement.delta,
        "after": movement.balance_after,
    }
    if kind == "transfer":
        incoming = StockMovement.objects.select_related("location").get(transfer_from=movement)
        values.update(to=incoming.location.name, to_after=incoming.balance_after)
        message = _(
            "%(quantity)s blanks transferred from %(location)s (stock %(before)s → %(after)s) to %(to)s "
            "(now %(to_after)s)."
        )
        return message % values
    text = {
        "receive": _("%(quantity)s blanks received at %(location)s: stock %(before)s → %(after)s."),
        "spoil": _("%(quantity)s spoiled blanks written off at %(location)s: stock %(before)s → %(after)s."),
        "adjust": _("Stock of %(location)s adjusted by %(quantity)s: %(before)s → %(after)s."),
    }[kind]
    return text % values


@roles_required(DESK_STAFF)
def movement_new(request, kind: str):
    if kind not in MOVEMENT_FORMS:
        raise Http404
    form_class, roles, title = MOVEMENT_FORMS[kind]
    if not has_role(request.user, roles):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = form_class(request.POST, user=request.user)
        status = 400
        if form.is_valid():
            now = timezone.now()
            try:
                movement = _post(kind, form.cleaned_data, request.user, now)
            except ApplicationError as error:
                form_add_application_error(form, error)
                status = error.status_code
            else:
                replayed = movement.created_at != now
                (messages.info if replayed else messages.success)(
                    request, _posted_message(kind, movement, replayed)
                )
                return redirect(reverse("dashboard:stock-location", args=[movement.location.code]))
    else:
        initial = {}
        if request.GET.get("location"):
            initial["location"] = request.GET["location"][:32]
        form = form_class(initial=initial, user=request.user)
    return render(
        request,
        "dashboard/stock/movement_form.html",
        {"nav": "stock", "form": form, "kind": kind, "title": title},
        status=status,
    )
