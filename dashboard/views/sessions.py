"""Outreach sessions for staff: the week, creating a session or a recurring series, a session's
slots and bookings, cancelling, and the check-in desk (scan a booking code, check in, start the
request, walk-ins, call the next number).

The rules are `schedules.services` (and the service-request rules they apply); what a user sees is
`schedules.selectors.sessions_for_staff` / `appointments_for_staff`, the API's scoping: a session or
booking outside the user's kecamatan is a 404.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import ALL_STAFF, DESK_STAFF, SESSION_MANAGERS, has_role
from core.audit import audit_list_reveal
from core.exceptions import ApplicationError
from core.forms import form_add_application_error
from dashboard.access import roles_required
from dashboard.forms import CancelForm, SeriesForm, SessionForm, WeekFilterForm
from dashboard.navigation import redirect_back
from registrations.selectors import can_see_full_personal_data
from schedules import selectors, services
from schedules.models import Appointment, OutreachSession, Slot


def session_get(user, pk: int) -> OutreachSession:
    session = selectors.sessions_for_staff(user).prefetch_related(None).filter(pk=pk).first()
    if session is None:
        raise Http404
    return session


@roles_required(ALL_STAFF)
def session_list(request):
    form = WeekFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    day = filters.get("week") or timezone.localdate()
    monday = day - dt.timedelta(days=day.weekday())
    sunday = monday + dt.timedelta(days=6)
    kecamatan = filters.get("kecamatan")
    sessions = selectors.sessions_with_counts(
        selectors.sessions_for_staff(
            request.user,
            date_from=monday,
            date_to=sunday,
            kecamatan=kecamatan.code if kecamatan else None,
            kind=filters.get("kind") or None,
        ).prefetch_related(None)
    )
    by_day: dict[dt.date, list] = {monday + dt.timedelta(days=n): [] for n in range(7)}
    for session in sessions:
        by_day[session.date].append(session)
    query = {key: value for key, value in request.GET.items() if key != "week" and value}
    return render(
        request,
        "dashboard/sessions/list.html",
        {
            "nav": "sessions",
            "form": form,
            "days": list(by_day.items()),
            "today": timezone.localdate(),
            "monday": monday,
            "sunday": sunday,
            "previous_query": urlencode({**query, "week": (monday - dt.timedelta(days=7)).isoformat()}),
            "next_query": urlencode({**query, "week": (monday + dt.timedelta(days=7)).isoformat()}),
            "may_manage": has_role(request.user, SESSION_MANAGERS),
        },
    )


def _create(request, form_class, create, template: str, success):
    if request.method == "POST":
        form = form_class(request.POST, user=request.user)
        if form.is_valid():
            try:
                created = create(**form.service_kwargs(), actor=request.user)
            except ApplicationError as error:
                form_add_application_error(form, error, field_map=form.ERROR_FIELDS)
            else:
                messages.success(request, success(created))
                return redirect(created_url(created))
    else:
        form = form_class(initial=form_class.initial_from(request.GET), user=request.user)
    return render(request, template, {"nav": "sessions", "form": form}, status=400 if form.errors else 200)


def created_url(created) -> str:
    if isinstance(created, OutreachSession):
        return reverse("dashboard:session", args=[created.pk])
    return f"{reverse('dashboard:sessions')}?{urlencode({'week': created.start_date.isoformat()})}"


@roles_required(SESSION_MANAGERS)
def session_new(request):
    return _create(
        request,
        SessionForm,
        services.session_create,
        "dashboard/sessions/new.html",
        lambda session: (
            _("Session “%(title)s” created with %(slots)s slots.")
            % {"title": session.title, "slots": session.slots.count()}
        ),
    )


@roles_required(SESSION_MANAGERS)
def series_new(request):
    return _create(
        request,
        SeriesForm,
        services.series_create,
        "dashboard/sessions/series_new.html",
        lambda series: (
            _("Series “%(title)s” created: %(count)s sessions.")
            % {"title": series.title, "count": series.sessions.count()}
        ),
    )


@roles_required(ALL_STAFF)
def session_detail(request, pk: int):
    session = session_get(request.user, pk)
    may_see_bookings = has_role(request.user, DESK_STAFF)
    appointments = Appointment.objects.select_related("citizen", "service_request", "ticket").order_by("id")
    slots = Slot.objects.filter(session=session).order_by("starts_at", "id")
    if may_see_bookings:
        slots = slots.prefetch_related(Prefetch("appointments", queryset=appointments))
    slots = list(slots)
    totals = selectors.sessions_with_counts(OutreachSession.objects.filter(pk=session.pk)).values(
        "capacity", "booked", "checked_in"
    )[0]
    full_data = can_see_full_personal_data(request.user)
    shown = [a.citizen_id for slot in slots for a in slot.appointments.all()] if may_see_bookings else []
    if full_data:
        audit_list_reveal(request=request, what="session bookings", citizen_ids=shown)
    return render(
        request,
        "dashboard/sessions/detail.html",
        {
            "nav": "sessions",
            "session": session,
            "slots": slots,
            "totals": totals,
            "may_see_bookings": may_see_bookings,
            "may_manage": has_role(request.user, SESSION_MANAGERS),
            "may_check_in": may_see_bookings and session.date == timezone.localdate(),
            "full_data": full_data,
            "cancel_form": CancelForm(prefix="cancel"),
            "today": timezone.localdate(),
        },
    )


@roles_required(SESSION_MANAGERS)
@require_POST
def session_cancel(request, pk: int):
    session = session_get(request.user, pk)
    form = CancelForm(request.POST, prefix="cancel")
    if not form.is_valid():
        messages.error(request, _("Give the reason for cancelling: the citizens receive it."))
    else:
        result = services.session_cancel(
            session=session, reason=form.cleaned_data["reason"], actor=request.user
        )
        messages.success(
            request,
            _("Session cancelled; %(count)s bookings were cancelled and the citizens notified.")
            % {"count": result.cancelled_appointments},
        )
    return redirect_back(request, reverse("dashboard:session", args=[session.pk]))


@roles_required(SESSION_MANAGERS)
@require_POST
def slot_remove(request, pk: int, slot_id: int):
    session = session_get(request.user, pk)
    slot = Slot.objects.filter(session=session, pk=slot_id).first()
    if slot is None:
        raise Http404
    form = CancelForm(request.POST, prefix=f"slot{slot.pk}")
    if not form.is_valid():
        messages.error(request, _("Give the reason for removing the slot: the citizens receive it."))
    else:
        count = services.slot_remove(slot=slot, reason=form.cleaned_data["reason"], actor=request.user)
        messages.success(
            request,
            _("Slot %(slot)s removed; %(count)s bookings were cancelled and the citizens notified.")
            % {"slot": f"{slot.local_start:%H:%M}–{slot.local_end:%H:%M}", "count": count},
        )
    return redirect_back(request, reverse("dashboard:session", args=[session.pk]))
