"""The service-request work queue: filtered list, detail with the event log, and the workflow
buttons (start, complete, cancel, reject). The rules are `registrations.services.service_requests`;
the scoping is `service_requests_visible_to` (the API's): a request outside the user's kecamatan is
a 404, a role without request access (viewer) a 403."""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from blanks.models import StockLocation, StockMovement
from blanks.selectors import locations_visible_to
from core.access import DESK_STAFF, kecamatan_scope
from core.audit import audit_list_reveal, audit_record
from core.exceptions import ApplicationError
from core.models import AuditEvent
from dashboard.access import roles_required
from dashboard.forms import (
    DATE_WIDGET,
    CompleteForm,
    ReasonForm,
    StartForm,
)
from dashboard.navigation import query_without_page, redirect_back
from dashboard.pagination import paginate_without_count
from regions.models import Kecamatan
from registrations.filters import ServiceRequestFilter, citizens_matching, nik_search_restrict
from registrations.models import Citizen, ServiceRequest
from registrations.selectors import (
    can_see_full_personal_data,
    service_requests_visible_to,
)
from registrations.services.service_requests import (
    service_request_cancel,
    service_request_complete,
    service_request_eligibility_error,
    service_request_reject,
    service_request_start,
)
from schedules.models import Appointment

Status = ServiceRequest.Status


STATUS_OPEN = "open"


ACTIONS = ("start", "complete", "cancel", "reject")


PER_PAGE = 50


class RequestQueueFilter(ServiceRequestFilter):
    """The API's request filters, with selects for people: kecamatan and location among the user's,
    a status "open" (the default) and a NIK-or-name search."""

    q = django_filters.CharFilter(method="filter_q", label=gettext_lazy("NIK or name"), max_length=100)
    status = django_filters.ChoiceFilter(
        choices=[(STATUS_OPEN, gettext_lazy("open (submitted or in progress)")), *Status.choices],
        method="filter_status",
        label=gettext_lazy("status"),
        empty_label=gettext_lazy("all"),
    )
    kecamatan = django_filters.ModelChoiceFilter(
        field_name="citizen__desa__kecamatan",
        queryset=Kecamatan.objects.all(),
        to_field_name="code",
        label=gettext_lazy("kecamatan"),
        empty_label=gettext_lazy("all"),
    )
    location = django_filters.ModelChoiceFilter(
        field_name="location",
        queryset=StockLocation.objects.all(),
        to_field_name="code",
        label=gettext_lazy("serving location"),
        empty_label=gettext_lazy("all"),
    )
    date = django_filters.DateFilter(
        method="filter_date", label=gettext_lazy("submitted on"), widget=DATE_WIDGET
    )
    date_from = None
    date_to = None

    class Meta(ServiceRequestFilter.Meta):
        fields = ["q", "status", "service", "channel", "kecamatan", "location", "date"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        scope = kecamatan_scope(user)
        if scope is not None:
            self.filters["kecamatan"].queryset = Kecamatan.objects.filter(code__in=scope)
        self.filters["location"].queryset = locations_visible_to(user)
        for name in ("service", "channel"):
            self.filters[name].extra["empty_label"] = _("all")
        nik_search_restrict(self)

    def filter_q(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            citizen__in=citizens_matching(Citizen.objects.all(), value, self.request).values("pk")
        )

    def filter_status(self, queryset, name, value):
        if value == STATUS_OPEN:
            return queryset.filter(status__in=ServiceRequest.OPEN_STATUSES)
        return queryset.filter(status=value) if value else queryset


@roles_required(DESK_STAFF)
def request_list(request):
    data = request.GET.copy()
    data.setdefault("status", STATUS_OPEN)
    base = service_requests_visible_to(request.user).prefetch_related(None)
    filterset = RequestQueueFilter(data, queryset=base, request=request, user=request.user)
    queryset = filterset.qs if filterset.is_valid() else base.none()
    # The open queue is served oldest first; everything else is browsed newest first.
    if data.get("status") == STATUS_OPEN:
        queryset = queryset.order_by("submitted_at", "id")
    else:
        queryset = queryset.order_by("-submitted_at", "-id")
    page = paginate_without_count(queryset, request.GET.get("page"), per_page=PER_PAGE)
    full_data = can_see_full_personal_data(request.user)
    if full_data:
        audit_list_reveal(
            request=request, what="service request list", citizen_ids=[sr.citizen_id for sr in page.rows]
        )
    return render(
        request,
        "dashboard/requests/list.html",
        {
            "nav": "requests",
            "filter": filterset,
            "page": page,
            "query": query_without_page(data),
            "full_data": full_data,
            "oldest_first": data.get("status") == STATUS_OPEN,
        },
    )


def request_get(user, pk: int) -> ServiceRequest:
    try:
        return service_requests_visible_to(user).get(pk=pk)
    except ServiceRequest.DoesNotExist as exc:
        raise Http404 from exc


def action_forms(user, service_request: ServiceRequest) -> dict:
    """The workflow forms the request's current status allows."""
    if not service_request.is_open:
        return {}
    forms_ = {"cancel": ReasonForm(prefix="cancel"), "reject": ReasonForm(prefix="reject")}
    if service_request.status == Status.SUBMITTED:
        forms_["start"] = StartForm(user=user, service_request=service_request)
    else:
        forms_["complete"] = CompleteForm(user=user, service_request=service_request)
    return forms_


@roles_required(DESK_STAFF)
def request_detail(request, pk: int):
    service_request = request_get(request.user, pk)
    full_data = can_see_full_personal_data(request.user)
    if full_data:
        audit_record(
            actor=request.user,
            kind=AuditEvent.Kind.REVEAL,
            action="service request detail",
            target=f"citizen {service_request.citizen_id}",
            request=request,
        )
    eligibility_error = None
    if service_request.is_open:
        eligibility_error = service_request_eligibility_error(
            citizen=service_request.citizen,
            service=service_request.service,
            reason=service_request.reason,
            on=timezone.localdate(),
        )
    context = {
        "nav": "requests",
        "sr": service_request,
        "full_data": full_data,
        "eligibility_error": eligibility_error,
        "booking": Appointment.objects.filter(service_request=service_request)
        .select_related("slot__session")
        .first(),
        "movements": _with_balance_before(service_request.blank_movements.select_related("location")),
        "forms": action_forms(request.user, service_request),
    }
    return render(request, "dashboard/requests/detail.html", context)


def _with_balance_before(movements) -> list[StockMovement]:
    rows = list(movements.order_by("id"))
    for movement in rows:
        movement.balance_before = movement.balance_after - movement.delta
    return rows


def stock_effect_message(service_request: ServiceRequest) -> str:
    """ "One blank issued from X: stock 12 → 11" for a completed printing, else ""."""
    movement = (
        StockMovement.objects.filter(service_request=service_request, kind=StockMovement.Kind.ISSUE)
        .select_related("location")
        .first()
    )
    if movement is None:
        return ""
    return _("One blank issued from %(location)s: stock %(before)s → %(after)s.") % {
        "location": movement.location.name,
        "before": movement.balance_after - movement.delta,
        "after": movement.balance_after,
    }


@roles_required(DESK_STAFF)
@require_POST
def request_action(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    service_request = request_get(request.user, pk)
    run_action(request, service_request, action)
    return redirect_back(request, reverse("dashboard:request", args=[service_request.pk]))


def run_action(
    request, service_request: ServiceRequest, action: str, *, venue_kecamatan: str | None = None
) -> ServiceRequest:
    """Check the action's form, call the workflow service, and leave the outcome (or the domain
    error, translated) as a message. Also used by the check-in desk: `venue_kecamatan` is its
    session's, where desk staff serve whoever comes (the service checks it)."""
    if action in ("cancel", "reject"):
        form = ReasonForm(request.POST, prefix=action)
    else:
        form = StartForm(request.POST, user=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return service_request
    who = {"actor": request.user, "venue_kecamatan": venue_kecamatan}
    try:
        if action == "start":
            service_request = service_request_start(
                service_request=service_request, location=form.cleaned_data["location"], **who
            )
            text = _("Request #%(id)s started.")
        elif action == "complete":
            service_request = service_request_complete(
                service_request=service_request, location=form.cleaned_data["location"], **who
            )
            text = _("Request #%(id)s completed.")
        elif action == "cancel":
            service_request = service_request_cancel(
                service_request=service_request, reason=form.cleaned_data["reason"], **who
            )
            text = _("Request #%(id)s cancelled.")
        else:
            service_request = service_request_reject(
                service_request=service_request, reason=form.cleaned_data["reason"], **who
            )
            text = _("Request #%(id)s rejected.")
    except ApplicationError as error:
        messages.error(request, error.message)
        return service_request
    text = text % {"id": service_request.pk}
    if action == "complete":
        text = " ".join(filter(None, [text, stock_effect_message(service_request)]))
    messages.success(request, text)
    return service_request
