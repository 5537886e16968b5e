"""Blank stock for staff: balances per location with threshold, days of cover and open alerts; the
movement ledger; receive, transfer, spoil and adjust forms.

The rules are `blanks.services` (idempotent by reference, never below zero, adjustments by admin or
supervisor only); what a user sees is `blanks.selectors.locations_visible_to` /
`movements_visible_to`, the API's scoping: a location outside the user's kecamatan is a 404.
"""

from __future__ import annotations

import secrets

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from blanks.api.views import StockMovementFilter
from blanks.exceptions import InvalidMovementError
from blanks.models import StockAlert, StockLocation, StockMovement
from blanks.selectors import forecast_of, locations_visible_to, locations_with_stock, movements_visible_to
from blanks.services import blank_adjust, blank_receive, blank_spoil, blank_transfer
from kudus_capil.bounds import bounded_by
from kudus_capil.dashboard.access import has_role, roles_required
from kudus_capil.dashboard.navigation import query_without_page
from kudus_capil.dashboard.pagination import paginate_without_count
from kudus_capil.dashboard.requests import DATE_WIDGET, LocationChoiceField, location_choices_for
from kudus_capil.exceptions import ApplicationError
from registrations.api.permissions import ALL_ROLES, MANAGER_ROLES, SERVICE_ROLES

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
    if has_role(user, MANAGER_ROLES):
        links.append({"kind": "adjust", "label": _("Adjust after a stock-take")})
    return links if has_role(user, SERVICE_ROLES) else []


@roles_required(ALL_ROLES)
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


@roles_required(ALL_ROLES)
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


@roles_required(ALL_ROLES)
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


# --- Posting movements -----------------------------------------------------------------------------


class MovementForm(forms.Form):
    """The shape of a movement; the service checks the rules (quantity, reference, reason, stock)."""

    location = LocationChoiceField(
        queryset=StockLocation.objects.none(), to_field_name="code", label=gettext_lazy("Location")
    )
    quantity = forms.IntegerField(
        **bounded_by(StockMovement, "delta", min_value=1), label=gettext_lazy("Number of blanks")
    )
    reference = forms.CharField(max_length=100, required=False, label=gettext_lazy("Reference"))
    reason = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=gettext_lazy("Reason"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = location_choices_for(user)


class ReceiveForm(MovementForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reference"].label = _("Delivery note number")
        self.fields["reference"].help_text = _("Posting the same delivery note twice records it once.")


class TransferForm(MovementForm):
    to_location = LocationChoiceField(
        queryset=StockLocation.objects.none(), to_field_name="code", label=gettext_lazy("To location")
    )

    field_order = ["location", "to_location", "quantity", "reference", "reason"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["location"].label = _("From location")
        self.fields["to_location"].queryset = location_choices_for(user)
        self.fields["reference"].label = _("Transfer slip number")
        self.fields["reference"].help_text = _("Posting the same slip twice records it once.")


class SpoilForm(MovementForm):
    """Spoilage and adjustments carry a reference made when the form is shown (the clerk may replace
    it with a document number), so a double submit posts once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reference"].help_text = _(
            "Filled in for you; posting the same reference twice records it once."
        )
        if not self.is_bound:
            token = secrets.token_hex(3).upper()
            self.initial.setdefault("reference", f"F-{timezone.localdate():%Y%m%d}-{token}")


class AdjustForm(SpoilForm):
    quantity = forms.IntegerField(
        **bounded_by(StockMovement, "delta"),
        label=gettext_lazy("Change in stock"),
        help_text=gettext_lazy("Positive when blanks were found, negative when missing."),
    )


# kind in the URL → (form, service call, roles, title)
MOVEMENT_FORMS = {
    "receive": (ReceiveForm, SERVICE_ROLES, gettext_lazy("Receive blanks")),
    "transfer": (TransferForm, SERVICE_ROLES, gettext_lazy("Transfer blanks")),
    "spoil": (SpoilForm, SERVICE_ROLES, gettext_lazy("Write off spoiled blanks")),
    "adjust": (AdjustForm, MANAGER_ROLES, gettext_lazy("Adjust after a stock-take")),
}


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


@roles_required(SERVICE_ROLES)
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
                _add_service_errors(form, error)
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


def _add_service_errors(form: forms.Form, error: ApplicationError) -> None:
    placed = False
    if isinstance(error, InvalidMovementError) or error.fields:
        for name, errors in error.fields.items():
            if name in form.fields:
                for message in errors:
                    form.add_error(name, message)
                placed = True
    if not placed:
        form.add_error(None, error.message)
