"""Outreach sessions for staff: the week, creating a session or a recurring series, a session's
slots and bookings, cancelling, and the check-in desk (scan a booking code, check in, start the
request, walk-ins, call the next number).

The rules are `schedules.services` (and the service-request rules they apply); what a user sees is
`schedules.selectors.sessions_for_staff` / `appointments_for_staff`, the API's scoping: a session or
booking outside the user's kecamatan is a 404.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.access import VIEWER, kecamatan_scope
from core.audit import audit_list_reveal, audit_record
from core.exceptions import ApplicationError
from core.models import AuditEvent
from dashboard.access import has_role, roles_required
from dashboard.navigation import redirect_back
from dashboard.views.service_requests import DATE_WIDGET, CompleteForm, StartForm, run_action
from regions.models import Kecamatan
from registrations.selectors import can_see_full_personal_data
from registrations.services.service_requests import service_request_eligibility_error
from schedules import selectors, services
from schedules.api.views import DESK_STAFF, SESSION_MANAGERS
from schedules.codes import normalize_code
from schedules.exceptions import InvalidSessionError
from schedules.models import (
    Appointment,
    OutreachSession,
    QueueTicket,
    Reason,
    ScheduleEvent,
    Service,
    SessionKind,
    Slot,
)

SESSION_READERS = DESK_STAFF | {VIEWER}
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
WEEKDAYS = [
    (0, gettext_lazy("Monday")),
    (1, gettext_lazy("Tuesday")),
    (2, gettext_lazy("Wednesday")),
    (3, gettext_lazy("Thursday")),
    (4, gettext_lazy("Friday")),
    (5, gettext_lazy("Saturday")),
    (6, gettext_lazy("Sunday")),
]
# The service's error keys that are not this form's field names.
FIELD_OF_ERROR = {"venue": "venue_name"}
QUEUE_ROWS = 40


def _scoped_kecamatan(user):
    scope = kecamatan_scope(user)
    queryset = Kecamatan.objects.all()
    return queryset if scope is None else queryset.filter(code__in=scope)


def session_get(user, pk: int) -> OutreachSession:
    session = selectors.sessions_for_staff(user).prefetch_related(None).filter(pk=pk).first()
    if session is None:
        raise Http404
    return session


# --- The week ----------------------------------------------------------------------------------


class WeekFilterForm(forms.Form):
    week = forms.DateField(required=False, label=gettext_lazy("week of"), widget=DATE_WIDGET)
    kecamatan = forms.ModelChoiceField(
        queryset=Kecamatan.objects.none(),
        to_field_name="code",
        required=False,
        label=gettext_lazy("kecamatan"),
        empty_label=gettext_lazy("all"),
    )
    kind = forms.ChoiceField(
        choices=[("", gettext_lazy("all")), *SessionKind.choices], required=False, label=gettext_lazy("kind")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kecamatan"].queryset = _scoped_kecamatan(user)


@roles_required(SESSION_READERS)
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


# --- Creating sessions and series ----------------------------------------------------------------


class SessionFieldsForm(forms.Form):
    """What a session and a series have in common. Only the shape is checked here; the service
    (`session_create` / `series_create`) decides the rest and its field errors land on these fields."""

    kind = forms.ChoiceField(choices=SessionKind.choices, label=gettext_lazy("Kind"))
    title = forms.CharField(max_length=150, label=gettext_lazy("Title"))
    venue_name = forms.CharField(max_length=150, label=gettext_lazy("Venue"))
    venue_address = forms.CharField(max_length=255, required=False, label=gettext_lazy("Venue address"))
    kecamatan = forms.ModelChoiceField(
        queryset=Kecamatan.objects.none(), to_field_name="code", label=gettext_lazy("Kecamatan")
    )
    start_time = forms.TimeField(label=gettext_lazy("Start time (WIB)"), widget=TIME_WIDGET)
    end_time = forms.TimeField(label=gettext_lazy("End time (WIB)"), widget=TIME_WIDGET)
    services = forms.MultipleChoiceField(
        choices=Service.choices, widget=forms.CheckboxSelectMultiple, label=gettext_lazy("Services")
    )
    desks = forms.IntegerField(min_value=1, max_value=50, initial=1, label=gettext_lazy("Service desks"))
    slot_minutes = forms.IntegerField(
        min_value=5, max_value=240, initial=15, label=gettext_lazy("Slot length (minutes)")
    )
    slot_capacity = forms.IntegerField(
        min_value=1,
        max_value=1000,
        required=False,
        label=gettext_lazy("Places per slot"),
        help_text=gettext_lazy("Empty: a number per desk, from the settings."),
    )
    published = forms.BooleanField(required=False, initial=True, label=gettext_lazy("Published (bookable)"))
    notes = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}), label=gettext_lazy("Notes")
    )

    # Query parameters that prefill the form (e.g. "plan a session here" from the targets page).
    PREFILL = {"kind": "kind", "kecamatan": "kecamatan", "venue": "venue_name", "title": "title",
               "venue_address": "venue_address"}  # fmt: skip

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kecamatan"].queryset = _scoped_kecamatan(user)

    @classmethod
    def initial_from(cls, params) -> dict:
        initial = {"services": [Service.RECORDING, Service.PRINTING, Service.IKD_ACTIVATION]}
        for param, field in cls.PREFILL.items():
            value = (params.get(param) or "").strip()[:255]
            if value:
                initial[field] = value
        if initial.get("kind") not in SessionKind.values:
            initial.pop("kind", None)
        if "venue_name" in initial and "title" not in initial:
            initial["title"] = initial["venue_name"][:150]
        return initial

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["services"] = list(data["services"])
        return data

    def add_service_errors(self, error: InvalidSessionError) -> None:
        if not error.fields:
            self.add_error(None, error.message)
        for name, errors in error.fields.items():
            field = FIELD_OF_ERROR.get(name, name)
            for message in errors:
                self.add_error(field if field in self.fields else None, message)


class SessionForm(SessionFieldsForm):
    date = forms.DateField(label=gettext_lazy("Date"), widget=DATE_WIDGET)
    PREFILL = {**SessionFieldsForm.PREFILL, "date": "date"}

    field_order = ["kind", "title", "kecamatan", "venue_name", "venue_address", "date"]


class SeriesForm(SessionFieldsForm):
    start_date = forms.DateField(label=gettext_lazy("First date"), widget=DATE_WIDGET)
    end_date = forms.DateField(label=gettext_lazy("Last date"), widget=DATE_WIDGET)
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple, label=gettext_lazy("Weekdays")
    )
    skip_holidays = forms.BooleanField(
        required=False, initial=True, label=gettext_lazy("Skip public holidays")
    )

    field_order = ["kind", "title", "kecamatan", "venue_name", "venue_address", "start_date", "end_date",
                   "weekdays", "skip_holidays"]  # fmt: skip


def _create(request, form_class, create, template: str, success):
    if request.method == "POST":
        form = form_class(request.POST, user=request.user)
        if form.is_valid():
            try:
                created = create(**form.service_kwargs(), actor=request.user)
            except InvalidSessionError as error:
                form.add_service_errors(error)
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


# --- One session ---------------------------------------------------------------------------------


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=255, label=gettext_lazy("Reason (sent to the citizens)"), widget=forms.TextInput()
    )


@roles_required(SESSION_READERS)
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


# --- Bookings --------------------------------------------------------------------------------------


def booking_get(user, code: str) -> Appointment:
    appointment = selectors.appointment_for_staff(user, code)
    if appointment is None:
        raise Http404
    return appointment


def _reveal(request, appointment: Appointment, action: str) -> bool:
    """Whether the full NIK is shown; showing it is a reveal of personal data, so it is audited."""
    full_data = can_see_full_personal_data(request.user)
    if full_data:
        audit_record(
            actor=request.user,
            kind=AuditEvent.Kind.REVEAL,
            action=action,
            target=f"citizen {appointment.citizen_id}",
            request=request,
        )
    return full_data


@roles_required(DESK_STAFF)
def booking_detail(request, code: str):
    appointment = booking_get(request.user, code)
    events = (
        ScheduleEvent.objects.filter(appointment=appointment).select_related("actor").order_by("at", "id")
    )
    return render(
        request,
        "dashboard/sessions/booking.html",
        {
            "nav": "sessions",
            "appointment": appointment,
            "session": appointment.slot.session,
            "events": list(events),
            "full_data": _reveal(request, appointment, "booking detail"),
            "eligibility_error": _eligibility_error(appointment),
            "today": timezone.localdate(),
        },
    )


def _eligibility_error(appointment: Appointment):
    """The service-request rule that would refuse this citizen today, or None."""
    return service_request_eligibility_error(
        citizen=appointment.citizen,
        service=appointment.service,
        reason=appointment.reason,
        on=timezone.localdate(),
    )


# --- The check-in desk ---------------------------------------------------------------------------


class ScanForm(forms.Form):
    code = forms.CharField(
        max_length=64,
        label=gettext_lazy("Booking code"),
        help_text=gettext_lazy("Type the code or scan the QR code of the booking."),
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "data-scan": "",
                "class": "scan-input",
            }
        ),
    )


class WalkInForm(forms.Form):
    nik = forms.RegexField(
        regex=r"^[0-9]{16}$",
        label=gettext_lazy("NIK"),
        error_messages={"invalid": gettext_lazy("NIK must be 16 digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    birth_date = forms.DateField(label=gettext_lazy("Birth date"), widget=DATE_WIDGET)
    service = forms.ChoiceField(choices=Service.choices, label=gettext_lazy("Service"))
    reason = forms.ChoiceField(choices=Reason.choices, initial=Reason.NEW, label=gettext_lazy("Reason"))

    def __init__(self, *args, session: OutreachSession, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [
            (value, label) for value, label in Service.choices if session.offers(value)
        ]


class CallNextForm(forms.Form):
    desk = forms.IntegerField(min_value=1, max_value=50, initial=1, label=gettext_lazy("Desk"))


def _check_in_url(session: OutreachSession, code: str | None = None) -> str:
    url = reverse("dashboard:check-in", args=[session.pk])
    return f"{url}?{urlencode({'code': code})}" if code else url


@roles_required(DESK_STAFF)
def check_in(request, pk: int):
    """GET: the desk screen (with ?code=… the booking looked up); POST: check the booking in."""
    session = session_get(request.user, pk)
    if request.method == "POST":
        return _check_in_post(request, session)
    lookup = None
    if request.GET.get("code"):
        lookup = _lookup(request, session, request.GET["code"])
    tickets = list(
        QueueTicket.objects.filter(session=session)
        .select_related("citizen", "service_request")
        .order_by("-number")[:QUEUE_ROWS]
    )
    return render(
        request,
        "dashboard/sessions/check_in.html",
        {
            "nav": "sessions",
            "session": session,
            "is_today": session.date == timezone.localdate(),
            "scan_form": ScanForm(),
            "lookup": lookup,
            "walk_in_form": WalkInForm(prefix="walkin", session=session),
            "call_form": CallNextForm(prefix="call"),
            "queue": selectors.session_queue(session),
            "tickets": tickets,
            "full_data": can_see_full_personal_data(request.user),
        },
    )


def _lookup(request, session: OutreachSession, raw: str) -> dict:
    code = normalize_code(raw)
    appointment = selectors.appointment_for_staff(request.user, code) if code else None
    if appointment is None or appointment.slot.session_id != session.pk:
        return {"code": raw, "error": _("No booking with this code at this session.")}
    service_request = appointment.service_request
    return {
        "code": appointment.code,
        "appointment": appointment,
        "full_data": _reveal(request, appointment, "check-in lookup"),
        "eligibility_error": _eligibility_error(appointment) if appointment.is_active else None,
        "sr": service_request,
        "start_form": _desk_form(StartForm, request.user, service_request, "submitted"),
        "complete_form": _desk_form(CompleteForm, request.user, service_request, "in_progress"),
    }


def _desk_form(form_class, user, service_request, status: str):
    if service_request is None or service_request.status != status:
        return None
    return form_class(user=user, service_request=service_request)


def _check_in_post(request, session: OutreachSession):
    raw = request.POST.get("code", "")
    code = normalize_code(raw)
    # Only bookings the user may see, and only of this session (the service re-checks the session).
    if code is None or selectors.appointment_for_staff(request.user, code) is None:
        messages.error(request, _("No booking with this code at this session."))
        return redirect(_check_in_url(session, raw[:64]))
    try:
        ticket = services.appointment_check_in(code=code, actor=request.user, session=session)
    except Appointment.DoesNotExist:
        messages.error(request, _("No booking with this code at this session."))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Checked in: queue number %(number)s.") % {"number": ticket})
    return redirect(_check_in_url(session, code))


@roles_required(DESK_STAFF)
@require_POST
def check_in_action(request, pk: int, code: str, action: str):
    """Start or complete the request of a booking checked in at this session. Scoped by the session
    (like the queue's call-next): desk staff serve whoever comes to their session."""
    if action not in ("start", "complete"):
        raise Http404
    session = session_get(request.user, pk)
    appointment = booking_get(request.user, code)
    if appointment.slot.session_id != session.pk or appointment.service_request is None:
        raise Http404
    run_action(request, appointment.service_request, action)
    return redirect(_check_in_url(session, appointment.code))


@roles_required(DESK_STAFF)
@require_POST
def walk_in(request, pk: int):
    session = session_get(request.user, pk)
    form = WalkInForm(request.POST, prefix="walkin", session=session)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_check_in_url(session))
    data = form.cleaned_data
    try:
        citizen = services.citizen_verify(nik=data["nik"], birth_date=data["birth_date"])
        ticket = services.walk_in_register(
            session=session,
            citizen=citizen,
            service=data["service"],
            reason=data["reason"],
            actor=request.user,
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Walk-in registered: queue number %(number)s, request #%(request)s.")
            % {"number": ticket, "request": ticket.service_request_id},
        )
    return redirect(_check_in_url(session))


@roles_required(DESK_STAFF)
@require_POST
def call_next(request, pk: int):
    session = session_get(request.user, pk)
    form = CallNextForm(request.POST, prefix="call")
    if not form.is_valid():
        messages.error(request, _("Choose a desk number between 1 and 50."))
        return redirect(_check_in_url(session))
    try:
        ticket = services.queue_call_next(session=session, desk=form.cleaned_data["desk"], actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(_check_in_url(session))
    if ticket is None:
        messages.info(request, _("Nobody is waiting in the queue."))
    else:
        messages.success(
            request,
            _("Number %(number)s called to desk %(desk)s: %(name)s.")
            % {"number": ticket, "desk": ticket.desk, "name": ticket.citizen.full_name},
        )
    return redirect(_check_in_url(session))
