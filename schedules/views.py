"""Public pages: upcoming sessions, the booking form, confirmation, manage (cancel/move), calendar
file and the queue display. Thin: parse, call a service, render."""

from __future__ import annotations

import datetime as dt

import segno
from django.conf import settings
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from icalendar import Alarm, Calendar, Event, Timezone

from core.exceptions import ApplicationError
from core.forms import form_add_application_error
from regions.models import Kecamatan
from registrations.services.identity import citizen_identify_public
from schedules import selectors, services
from schedules.codes import new_manage_token
from schedules.exceptions import (
    BookingClosedError,
    NotEligibleError,
    OutsideBookingWindowError,
    ServiceNotOfferedError,
    SlotFullError,
    SlotUnavailableError,
)
from schedules.forms import BookingForm, FindBookingForm, RescheduleForm, SessionFilterForm
from schedules.guidance import what_to_bring
from schedules.models import Appointment, OutreachSession, Service, SessionKind, Slot
from schedules.throttling import form_post_allowed

FORM_TOKEN_SALT = "schedules.booking-form"  # noqa: S105 - a signing namespace, not a secret
FORM_TOKEN_MAX_AGE = 12 * 60 * 60
SESSIONS_PER_PAGE = 30
CALENDAR_ALARM_HOURS = 12  # the .ics alarm rings this long before the appointment

# Which form field a domain error belongs to (the others are shown above the form).
ERROR_FIELDS = {
    SlotFullError: "slot",
    SlotUnavailableError: "slot",
    BookingClosedError: "slot",
    OutsideBookingWindowError: "slot",
    ServiceNotOfferedError: "service",
    NotEligibleError: "service",
}


def _too_many(request, wait: int | None) -> HttpResponse:
    response = render(request, "schedules/too_many.html", {"wait": wait}, status=429)
    if wait:
        response["Retry-After"] = str(wait)
    return response


def _kecamatan_choices() -> list[tuple[str, str]]:
    return list(
        Kecamatan.objects.filter(kabupaten_id=settings.KUDUS_KABUPATEN_CODE).values_list("code", "name")
    )


def home(request):
    """Upcoming published sessions with the places still free, filtered by service, kecamatan, kind."""
    form = SessionFilterForm(
        request.GET or None, kecamatan_choices=_kecamatan_choices(), kind_choices=SessionKind.choices
    )
    filters = form.cleaned_data if form.is_valid() else {}
    sessions = selectors.sessions_public(
        service=filters.get("service") or None,
        kecamatan=filters.get("kecamatan") or None,
        kind=filters.get("kind") or None,
    )
    page = Paginator(sessions, SESSIONS_PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode({key: value for key, value in filters.items() if value})
    earliest = sessions.filter(remaining__gt=0).order_by("earliest_free", "id").first()
    context = {"form": form, "page": page, "query": query, "earliest": earliest}
    return render(request, "schedules/home.html", {**context, "today": timezone.localdate()})


def _form_token() -> str:
    return signing.dumps(new_manage_token(), salt=FORM_TOKEN_SALT)


def _token_of(signed: str) -> str | None:
    try:
        return signing.loads(signed, salt=FORM_TOKEN_SALT, max_age=FORM_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None


def _int_param(request, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 12 else None


def _confirmation_url(code: str, token: str) -> str:
    return reverse("schedules:confirmation", args=[code, token])


def _manage_url(code: str, token: str) -> str:
    return reverse("schedules:manage", args=[code, token])


def _old_link_redirect(request, url_name: str, code: str):
    """A link of the older form, `?token=` in the query string: 302 to the same page with the token
    in the path (other parameters kept) when it opens the booking; else 404, as a wrong token."""
    query = request.GET.copy()
    token = query.pop("token", [""])[-1]
    _appointment_or_404(code, token)
    url = reverse(url_name, args=[code, token])
    return redirect(f"{url}?{query.urlencode()}" if query else url)


# Error reports (ADMINS e-mail) show these POST fields as stars (personal data, the manage token).
PERSONAL_POST_FIELDS = ("nik", "kk", "birth_date", "phone", "email", "token", "form_token")


SESSIONS_TO_CHOOSE = 30


def _sessions_to_choose(*, service: str | None) -> list[OutreachSession]:
    """Sessions with a free place, soonest free time first (the first is "the earliest free time")."""
    sessions = selectors.sessions_public(service=service).filter(remaining__gt=0)
    return list(sessions.order_by("earliest_free", "id")[:SESSIONS_TO_CHOOSE])


def _picked_session(session_id: int | None) -> OutreachSession | None:
    if session_id is None:
        return None
    return OutreachSession.objects.select_related("kecamatan").filter(pk=session_id).first()


@never_cache
@sensitive_post_parameters(*PERSONAL_POST_FIELDS)
@require_http_methods(["GET", "POST"])
def book(request):
    """The booking form. Works without JavaScript; a double submit gives one booking.

    Two steps on one URL: without a session the page lists the sessions with a free place (earliest
    free time first); with `?session=` the form offers that session's times as buttons."""
    service = request.GET.get("service") if request.GET.get("service") in Service.values else None
    session_id = _int_param(request, "session")
    slot_id = _int_param(request, "slot")
    if session_id is None and slot_id is not None:
        session_id = Slot.objects.filter(pk=slot_id).values_list("session_id", flat=True).first()
    if request.method == "POST":
        allowed, wait = form_post_allowed(request)
        if not allowed:
            return _too_many(request, wait)
        form = BookingForm(request.POST, slots=Slot.objects.select_related("session"))
        if form.is_valid():
            data = form.cleaned_data
            try:
                # Identity first: nothing about the resident (eligibility, bookings) is told before.
                citizen = citizen_identify_public(nik=data["nik"], kk=data["kk"], request=request)
                result = services.appointment_book(
                    slot=data["slot"],
                    citizen=citizen,
                    service=data["service"],
                    reason=data["reason"],
                    phone=data["phone"],
                    email=data["email"],
                    manage_token=_token_of(data["form_token"]),
                    language=translation.get_language(),
                )
            except ApplicationError as error:
                form_add_application_error(form, error, field=ERROR_FIELDS.get(type(error)))
            else:
                response = redirect(_confirmation_url(result.appointment.code, result.manage_token))
                response.status_code = 303
                return response
        posted_slot = form.cleaned_data.get("slot") if hasattr(form, "cleaned_data") else None
        if posted_slot is not None:
            session_id = posted_slot.session_id
        bookable = selectors.slots_bookable(session_id=session_id, service=service)
        form.fields["slot"].queryset = bookable if session_id is not None else Slot.objects.none()
    else:
        bookable = selectors.slots_bookable(session_id=session_id, service=service)
        initial = {"form_token": _form_token()}
        if service:
            initial["service"] = service
        if request.GET.get("reason") in dict(Appointment._meta.get_field("reason").choices):
            initial["reason"] = request.GET["reason"]
        if slot_id and bookable.filter(pk=slot_id).exists():
            initial["slot"] = slot_id
        form = BookingForm(initial=initial, slots=bookable if session_id is not None else Slot.objects.none())
    session = _picked_session(session_id)
    context = {"form": form, "session": session, "service": service}
    if session is None:
        context["sessions"] = _sessions_to_choose(service=service)
        query = urlencode({"service": service}) + "&" if service else ""
        context["picker_prefix"] = f"{reverse('schedules:book')}?{query}session="
    else:
        context["has_slots"] = bookable.exists()
    return render(request, "schedules/book.html", context)


@never_cache
@sensitive_post_parameters(*PERSONAL_POST_FIELDS)
@require_http_methods(["GET", "POST"])
def find(request):
    """Find my booking: NIK + KK number → the manage link is sent again to the phone or e-mail
    given at booking (never shown here). The same answer whether or not anything matched."""
    sent = False
    if request.method == "POST":
        allowed, wait = form_post_allowed(request)
        if not allowed:
            return _too_many(request, wait)
        form = FindBookingForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            services.appointments_find(nik=data["nik"], kk=data["kk"], request=request)
            sent, form = True, FindBookingForm()
    else:
        form = FindBookingForm()
    return render(request, "schedules/find.html", {"form": form, "sent": sent})


def _appointment_or_404(code: str, token: str | None) -> Appointment:
    appointment = selectors.appointment_by_token(code, token)
    if appointment is None:
        raise Http404
    return appointment


def _appointment_context(request, appointment: Appointment, token: str) -> dict:
    slot = appointment.slot
    # A regular QR, never a Micro QR (segno's pick for a short code): phone cameras, zbar and the
    # browser's BarcodeDetector do not read Micro QR.
    qr = segno.make(appointment.code, error="m", micro=False)
    rebook = {"service": appointment.service, "reason": appointment.reason}
    return {
        "appointment": appointment,
        "session": slot.session,
        "slot": slot,
        "start": slot.local_start,
        "end": slot.local_end,
        "token": token,
        "bring": what_to_bring(appointment.service, appointment.reason),
        "qr_data_uri": qr.svg_data_uri(scale=6, border=2),
        "manage_url": request.build_absolute_uri(_manage_url(appointment.code, token)),
        "ics_url": reverse("schedules:calendar", args=[appointment.code, token]),
        "rebook_url": f"{reverse('schedules:book')}?{urlencode(rebook)}",
    }


@never_cache
def confirmation(request, code: str, token: str | None = None):
    if token is None:
        return _old_link_redirect(request, "schedules:confirmation", code)
    appointment = _appointment_or_404(code, token)
    return render(request, "schedules/confirmation.html", _appointment_context(request, appointment, token))


def _add_reschedule(
    context: dict,
    appointment: Appointment,
    token: str,
    *,
    session_id: int | None,
    form: RescheduleForm | None = None,
) -> None:
    """The move picker: the times of one session (the chosen one, else the booking's own) as
    buttons, and the other sessions with a free place as links that pick them."""
    session_id = session_id or appointment.slot.session_id
    slots = selectors.slots_bookable(session_id=session_id, service=appointment.service).exclude(
        pk=appointment.slot_id
    )
    if form is None:
        form = RescheduleForm(initial={"token": token}, slots=slots)
    else:
        form.fields["slot"].queryset = slots
    context["reschedule_form"] = form
    context["move_session"] = _picked_session(session_id)
    context["sessions"] = _sessions_to_choose(service=appointment.service)
    context["picker_prefix"] = f"{_manage_url(appointment.code, token)}?session="
    context["picker_anchor"] = "#move"


@never_cache
def manage(request, code: str, token: str | None = None):
    if token is None:
        return _old_link_redirect(request, "schedules:manage", code)
    appointment = _appointment_or_404(code, token)
    context = _appointment_context(request, appointment, token)
    _add_reschedule(context, appointment, token, session_id=_int_param(request, "session"))
    return render(request, "schedules/manage.html", context)


@never_cache
@sensitive_post_parameters(*PERSONAL_POST_FIELDS)
@require_POST
def cancel(request, code: str):
    allowed, wait = form_post_allowed(request)
    if not allowed:
        return _too_many(request, wait)
    token = request.POST.get("token", "")
    appointment = _appointment_or_404(code, token)
    if request.POST.get("confirm") != "yes":
        # One tap never cancels: the first POST asks for confirmation (a second form, no script).
        context = _appointment_context(request, appointment, token)
        return render(request, "schedules/cancel_confirm.html", context)
    try:
        services.appointment_cancel(appointment=appointment)
    except ApplicationError as error:
        context = _appointment_context(request, appointment, token)
        context["error"] = error.message
        _add_reschedule(context, appointment, token, session_id=None)
        return render(request, "schedules/manage.html", context, status=error.status_code)
    response = redirect(f"{_manage_url(appointment.code, token)}?done=cancelled")
    response.status_code = 303
    return response


@never_cache
@sensitive_post_parameters(*PERSONAL_POST_FIELDS)
@require_POST
def reschedule(request, code: str):
    allowed, wait = form_post_allowed(request)
    if not allowed:
        return _too_many(request, wait)
    token = request.POST.get("token", "")
    appointment = _appointment_or_404(code, token)
    form = RescheduleForm(request.POST, slots=Slot.objects.select_related("session"))
    if form.is_valid():
        try:
            services.appointment_reschedule(appointment=appointment, slot=form.cleaned_data["slot"])
        except ApplicationError as error:
            form_add_application_error(form, error, field="slot")
        else:
            response = redirect(f"{_manage_url(appointment.code, token)}?done=moved")
            response.status_code = 303
            return response
    posted_slot = form.cleaned_data.get("slot")
    context = _appointment_context(request, appointment, token)
    session_id = posted_slot.session_id if posted_slot is not None else None
    _add_reschedule(context, appointment, token, session_id=session_id, form=form)
    return render(request, "schedules/manage.html", context, status=400)


@never_cache
def calendar(request, code: str, token: str | None = None):
    """The booking as an .ics file (without the private manage link: calendars are shared)."""
    if token is None:
        return _old_link_redirect(request, "schedules:calendar", code)
    appointment = _appointment_or_404(code, token)
    slot, session = appointment.slot, appointment.slot.session
    cal = Calendar()
    cal.add("prodid", "-//Disdukcapil Kudus//kudus-capil//ID")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    # The times carry TZID=Asia/Jakarta: the VTIMEZONE makes the file self-contained for calendars
    # that do not know the zone by name (WIB, UTC+07:00 all year).
    cal.add_component(Timezone.from_tzid(settings.TIME_ZONE))
    event = Event()
    event.add("uid", f"{appointment.code}@kudus-capil")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", slot.local_start)
    event.add("dtend", slot.local_end)
    event.add("summary", f"{appointment.service_label} · Disdukcapil Kudus ({appointment.code})")
    location = ", ".join(part for part in (session.venue_name, session.venue_address) if part)
    event.add("location", location)
    if session.latitude is not None and session.longitude is not None:
        event.add("geo", (float(session.latitude), float(session.longitude)))
    lines = [_("Booking code: %(code)s") % {"code": appointment.code}, "", _("What to bring") + ":"]
    lines += [f"- {item}" for item in what_to_bring(appointment.service, appointment.reason)]
    # No manage link: a calendar entry is shared and synced; the link stays on the confirmation page.
    lines += ["", _("To cancel or move your booking, use the private link on your confirmation page.")]
    event.add("description", "\n".join(lines))
    if appointment.status == Appointment.Status.CANCELLED:
        event.add("status", "CANCELLED")
    else:
        alarm = Alarm()  # a reminder on the phone the evening before: two hours ahead is too late
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{appointment.service_label} · {appointment.code}")
        alarm.add("trigger", dt.timedelta(hours=-CALENDAR_ALARM_HOURS))
        event.add_component(alarm)
    cal.add_component(event)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ektp-{appointment.code}.ics"'
    return response


def queue_display(request, session_id: int):
    """Public, large-type queue screen of one session; refreshes itself (meta refresh, no script)."""
    session = get_object_or_404(
        OutreachSession.objects.select_related("kecamatan"), pk=session_id, published=True
    )
    context = {"session": session, **selectors.session_queue(session), "now": timezone.localtime()}
    return render(request, "schedules/queue.html", context)
