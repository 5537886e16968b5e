"""Public pages: upcoming sessions, the booking form, confirmation, manage (cancel/move), calendar
file and the queue display. Thin: parse, call a service, render."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from functools import partial

import segno
from django.conf import settings
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from icalendar import Alarm, Calendar, Event, Timezone

from core.exceptions import ApplicationError
from core.forms import form_add_application_error
from regions.models import Kecamatan
from registrations.services.identity import citizen_identify_public
from schedules import public_list, selectors, services
from schedules.codes import new_manage_token
from schedules.exceptions import (
    BookingClosedError,
    NotEligibleError,
    OutsideBookingWindowError,
    ServiceNotOfferedError,
    SlotFullError,
    SlotUnavailableError,
)
from schedules.forms import (
    FAMILY_PREFIX,
    BookingForm,
    FindBookingForm,
    RescheduleForm,
    SessionFilterForm,
    WaitlistJoinForm,
    family_duplicates_error,
    family_formset,
)
from schedules.guidance import what_to_bring
from schedules.manage_links import manage_link_value
from schedules.models import Appointment, OutreachSession, Service, SessionKind, Slot
from schedules.services.family import family_max_members
from schedules.services.waiting_list import offer_by_token, session_is_full, waitlist_position
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


_KECAMATAN_CHOICES_SECONDS = 300
_kecamatan_memo: dict = {}


def _kecamatan_choices() -> list[tuple[str, str]]:
    """The kabupaten's kecamatan (code, name), kept a few minutes per process: regions change only
    with `load_regions`, and the rush page should not ask the database for them every time."""
    now = time.monotonic()
    if _kecamatan_memo.get("until", 0) < now:
        _kecamatan_memo["choices"] = list(
            Kecamatan.objects.filter(kabupaten_id=settings.KUDUS_KABUPATEN_CODE).values_list("code", "name")
        )
        _kecamatan_memo["until"] = now + _KECAMATAN_CHOICES_SECONDS
    return _kecamatan_memo["choices"]


def _page_number(request) -> int | None:
    """The page asked for, if it is a plain number (anything else shows page 1, uncached)."""
    value = request.GET.get("page")
    if value is None:
        return 1
    return int(value) if value.isdigit() and len(value) < 6 else None


def home(request):
    """Upcoming published sessions with the places still free, filtered by service, kecamatan, kind.

    Everything under the header is the rush page's cached part (schedules/public_list.py): kept only
    for a valid filter and a page that exists, so a client cannot fill the cache."""
    form = SessionFilterForm(
        request.GET or None, kecamatan_choices=_kecamatan_choices(), kind_choices=SessionKind.choices
    )
    valid = form.is_valid() or not form.is_bound
    filters = form.cleaned_data if form.is_bound and valid else {}
    wanted = {name: filters.get(name) or "" for name in ("service", "kecamatan", "kind")}
    today = timezone.localdate()
    number = _page_number(request)

    def build() -> tuple[str, bool]:
        sessions = selectors.sessions_public(**{name: value or None for name, value in wanted.items()})
        page = Paginator(sessions, SESSIONS_PER_PAGE).get_page(number or request.GET.get("page"))
        query = urlencode({name: value for name, value in wanted.items() if value})
        earliest = sessions.filter(remaining__gt=0).order_by("earliest_free", "id").first()
        context = {"form": form, "page": page, "query": query, "earliest": earliest, "today": today}
        return render_to_string("schedules/_home_content.html", context), valid and page.number == number

    key = public_list.fragment_key(language=translation.get_language(), day=today, page=number or 0, **wanted)
    content = public_list.cached_fragment(key, build)
    return render(request, "schedules/home.html", {"content": mark_safe(content)})  # noqa: S308 - our template's output


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


def _old_link_redirect(request, url_name: str, key, opens: Callable[[str], object]):
    """A link of the older form, `?token=` in the query string: 302 to the same page with the token
    in the path (other parameters kept). Only a token that `opens` the object (which raises Http404
    otherwise) is sent on: a guessed or malformed one is a 404 here, as on the page itself."""
    query = request.GET.copy()
    token = query.pop("token", [""])[-1]
    if not token:
        raise Http404
    opens(token)
    url = reverse(url_name, args=[key, token])
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


def _book_one(request, data: dict):
    # Identity first: nothing about the resident (eligibility, bookings) is told before.
    citizen = citizen_identify_public(nik=data["nik"], kk=data["kk"], request=request)
    return services.appointment_book(
        slot=data["slot"],
        citizen=citizen,
        service=data["service"],
        reason=data["reason"],
        phone=data["phone"],
        email=data["email"],
        manage_token=_token_of(data["form_token"]),
        language=translation.get_language(),
    )


def _book_family(request, data: dict, rows: list[dict]):
    """The first member and every filled row, all on the same KK, in one slot: the first member's
    booking is answered (the confirmation page lists the others)."""
    citizens = services.family_identify(
        nik=data["nik"], kk=data["kk"], member_niks=[row["nik"] for row in rows], request=request
    )
    choices = [(data["service"], data["reason"]), *((row["service"], row["reason"]) for row in rows)]
    members = [
        services.FamilyMember(citizen=citizen, service=service, reason=reason)
        for citizen, (service, reason) in zip(citizens, choices, strict=True)
    ]
    result = services.appointments_book_family(
        slot=data["slot"],
        members=members,
        phone=data["phone"],
        email=data["email"],
        manage_token=_token_of(data["form_token"]),
        language=translation.get_language(),
    )
    return result.bookings[0]


def _with_one_more_member(request, max_rows: int):
    """The booking form as posted (unbound: no errors yet) with one more empty member row."""
    fields = ("nik", "kk", "service", "reason", "slot", "phone", "email", "form_token")
    initial = {name: request.POST.get(name, "") for name in fields}
    if not _token_of(initial["form_token"]):
        initial["form_token"] = _form_token()
    posted = family_formset(request.POST, max_rows=max_rows)
    rows = []
    for index in range(min(posted.total_form_count(), max_rows)):
        prefix = f"{FAMILY_PREFIX}-{index}-"
        rows.append({name: request.POST.get(prefix + name, "") for name in ("nik", "service", "reason")})
    if len(rows) < max_rows:
        rows.append({"service": initial["service"] or None, "reason": "new"})
    form = BookingForm(initial=initial, slots=Slot.objects.none())
    return form, family_formset(initial=rows, max_rows=max_rows)


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
    max_rows = family_max_members() - 1
    family = None
    if request.method == "POST" and "add_member" in request.POST:
        # "Add a family member" (a submit button, no script): the same page with one more row.
        form, family = _with_one_more_member(request, max_rows)
        posted = str(form.initial.get("slot") or "")
        if posted.isdigit() and len(posted) < 12:
            session_id = (
                Slot.objects.filter(pk=posted).values_list("session_id", flat=True).first() or session_id
            )
        bookable = selectors.slots_bookable(session_id=session_id, service=service)
        form.fields["slot"].queryset = bookable if session_id is not None else Slot.objects.none()
    elif request.method == "POST":
        allowed, wait = form_post_allowed(request)
        if not allowed:
            return _too_many(request, wait)
        form = BookingForm(request.POST, slots=Slot.objects.select_related("session"))
        # Old links and clients post no member rows at all: a single booking.
        has_rows = f"{FAMILY_PREFIX}-TOTAL_FORMS" in request.POST
        family = family_formset(request.POST if has_rows else None, max_rows=max_rows)
        family_valid = family.is_valid() if has_rows else True
        if form.is_valid() and family_valid:
            data = form.cleaned_data
            rows = family.rows() if has_rows else []
            duplicates = family_duplicates_error(data["nik"], rows)
            try:
                if duplicates is not None:
                    form.add_error(None, duplicates)
                    result = None
                elif rows:
                    result = _book_family(request, data, rows)
                else:
                    result = _book_one(request, data)
            except ApplicationError as error:
                field = None if hasattr(error, "member") else ERROR_FIELDS.get(type(error))
                form_add_application_error(form, error, field=field)
            else:
                if result is not None:
                    response = redirect(_confirmation_url(result.appointment.code, result.manage_token))
                    response.status_code = 303
                    return response
        elif not family_valid:
            form.is_valid()
            for error in family.non_form_errors():
                form.add_error(None, error)
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
    if family is None:
        family = family_formset(max_rows=max_rows)
    session = _picked_session(session_id)
    context = {
        "form": form,
        "session": session,
        "service": service,
        "family": family,
        "family_can_grow": len(family.forms) < max_rows,
    }
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
        return _old_link_redirect(request, "schedules:confirmation", code, partial(_appointment_or_404, code))
    appointment = _appointment_or_404(code, token)
    context = _appointment_context(request, appointment, token)
    # A family booking: the other members, each with its own private link (signed, like a message's).
    context["family_members"] = [
        {"appointment": member, "manage_url": _manage_url(member.code, manage_link_value(member))}
        for member in services.family_of(appointment)
    ]
    return render(request, "schedules/confirmation.html", context)


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
        return _old_link_redirect(request, "schedules:manage", code, partial(_appointment_or_404, code))
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
        return _old_link_redirect(request, "schedules:calendar", code, partial(_appointment_or_404, code))
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


QUEUE_POLL_SECONDS = 3  # how often the TV display asks for the queue's state


def _published_session(session_id: int) -> OutreachSession:
    return get_object_or_404(
        OutreachSession.objects.select_related("kecamatan"), pk=session_id, published=True
    )


def queue_display(request, session_id: int):
    """Public queue display of one session, made for a TV in the hall (1920×1080): per desk the
    number being served, the last calls, a chime and a spoken call. static/js/queue-display.js
    polls `queue_state` and keeps the last state through network drops; without script the page
    shows the state it was rendered with."""
    session = _published_session(session_id)
    board = selectors.queue_board(session)
    context = {
        "session": session,
        "board": board,
        **selectors.session_queue(session),
        "now": timezone.localtime(),
        "poll_seconds": QUEUE_POLL_SECONDS,
        "strings": {
            # Spoken (speech synthesis) in the page's language; %(number)s without leading zeros.
            "call": _("Queue number %(number)s, please go to desk %(desk)s."),
            "desk": _("Desk %(desk)s"),
            "offline": _("Connection lost: showing the last known queue (%(time)s)."),
            "updated": _("Updated %(time)s"),
        },
        "speech_lang": "id-ID" if translation.get_language().startswith("id") else "en-US",
    }
    return render(request, "schedules/queue.html", context)


@never_cache
def queue_state(request, session_id: int):
    """The queue display's JSON: numbers and desks only (selectors.queue_board)."""
    session = _published_session(session_id)
    return JsonResponse(selectors.queue_board(session))


def _waitlist_session(session_id: int) -> OutreachSession:
    session = OutreachSession.objects.select_related("kecamatan").filter(
        pk=session_id, published=True, status=OutreachSession.Status.SCHEDULED
    )
    return get_object_or_404(session)


@never_cache
@sensitive_post_parameters(*PERSONAL_POST_FIELDS)
@require_http_methods(["GET", "POST"])
def waitlist_join(request, session_id: int):
    """Join the waiting list of a full session: NIK + KK, service, and a phone or e-mail for the offer."""
    session = _waitlist_session(session_id)
    entry = None
    if request.method == "POST":
        allowed, wait = form_post_allowed(request)
        if not allowed:
            return _too_many(request, wait)
        form = WaitlistJoinForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                # Identity first: nothing about the resident (eligibility, bookings) is told before.
                citizen = citizen_identify_public(nik=data["nik"], kk=data["kk"], request=request)
                entry = services.waitlist_join(
                    session=session,
                    citizen=citizen,
                    service=data["service"],
                    reason=data["reason"],
                    phone=data["phone"],
                    email=data["email"],
                    language=translation.get_language(),
                )
            except ApplicationError as error:
                form_add_application_error(form, error, field=ERROR_FIELDS.get(type(error)))
    else:
        service = request.GET.get("service")
        form = WaitlistJoinForm(initial={"service": service} if service in Service.values else None)
    context = {
        "session": session,
        "form": form,
        "entry": entry,
        "position": waitlist_position(entry) if entry is not None else None,
        "leave_url": services.waitlist_leave_path(entry) if entry is not None else None,
        "is_full": session_is_full(session, service=None, now=timezone.now()),
        "hold_minutes": settings.SCHEDULES_WAITLIST_OFFER_MINUTES,
    }
    return render(request, "schedules/waitlist_join.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def waitlist_leave(request, entry_id: int, token: str):
    """Leave the waiting list (the link shown on joining): GET asks, POST leaves; a place already
    offered goes to the next in line."""
    entry = services.waitlist_entry_by_leave_token(entry_id, token)
    if entry is None:
        raise Http404
    left = None
    if request.method == "POST":
        allowed, wait = form_post_allowed(request)
        if not allowed:
            return _too_many(request, wait)
        left = services.waitlist_leave(entry=entry)
        entry.refresh_from_db()
    context = {
        "entry": entry,
        "session": entry.session,
        "left": left,
        "live": entry.status in entry.LIVE,
        "position": waitlist_position(entry) if entry.status == entry.Status.WAITING else None,
    }
    return render(request, "schedules/waitlist_leave.html", context)


def _offer_or_404(entry_id: int, token: str):
    entry = offer_by_token(entry_id, token)
    if entry is None:
        raise Http404
    return entry


@never_cache
@sensitive_post_parameters(*PERSONAL_POST_FIELDS)
@require_http_methods(["GET", "POST"])
def waitlist_offer(request, entry_id: int, token: str | None = None):
    """The offer of a freed place (from the signed link in the message): accept books it, decline
    gives it to the next in line. A link of the older form (`?token=`) redirects to the path form."""
    if token is None:
        if request.method == "POST":
            token = request.POST.get("token")
        else:
            return _old_link_redirect(
                request, "schedules:waitlist-offer", entry_id, partial(_offer_or_404, entry_id)
            )
    entry = _offer_or_404(entry_id, token)
    context = {}
    status = 200
    if request.method == "POST":
        allowed, wait = form_post_allowed(request)
        if not allowed:
            return _too_many(request, wait)
        try:
            if request.POST.get("action") == "accept":
                result = services.waitlist_offer_accept(entry=entry)
                response = redirect(_confirmation_url(result.appointment.code, result.manage_token))
                response.status_code = 303
                return response
            if request.POST.get("action") == "decline":
                context["declined"] = services.waitlist_offer_decline(entry=entry)
        except ApplicationError as error:
            context["error"] = error.message
            status = error.status_code
        entry.refresh_from_db()
    slot = entry.offered_slot
    context.update(
        {
            "entry": entry,
            "token": token,
            "session": entry.session,
            "slot": slot,
            "start": slot.local_start if slot else None,
            "end": slot.local_end if slot else None,
            "until": timezone.localtime(entry.offer_expires_at) if entry.offer_expires_at else None,
            "open": entry.status == entry.Status.OFFERED and entry.offer_expires_at > timezone.now(),
        }
    )
    return render(request, "schedules/waitlist_offer.html", context, status=status)
