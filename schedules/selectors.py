"""Reads of the schedules app: what the public may book, what staff may see (role scoping)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, F, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.access import scope_queryset
from registrations.models import ServiceRequest
from schedules.codes import manage_link_matches, normalize_code, token_matches
from schedules.manage_links import is_signed_value, manage_link_opens
from schedules.models import (
    SERVICE_FLAGS,
    Appointment,
    OutreachSeries,
    OutreachSession,
    QueueTicket,
    ScheduleEvent,
    Service,
    Slot,
)


def booking_opens_before(now: dt.datetime) -> dt.datetime:
    """Slots starting before this are closed to public booking (the cut-off)."""
    return now + dt.timedelta(minutes=settings.SCHEDULES_BOOKING_CUTOFF_MINUTES)


def last_bookable_date(now: dt.datetime) -> dt.date:
    return timezone.localdate(now) + dt.timedelta(days=settings.SCHEDULES_BOOKING_WINDOW_DAYS)


def open_slots_q(now: dt.datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}removed_at__isnull": True, f"{prefix}starts_at__gt": booking_opens_before(now)})


def sessions_filter(
    queryset: QuerySet,
    *,
    service: str | None = None,
    kecamatan: str | None = None,
    kind: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet:
    if service in SERVICE_FLAGS:
        queryset = queryset.filter(**{SERVICE_FLAGS[service]: True})
    if kecamatan:
        queryset = queryset.filter(kecamatan_id=kecamatan)
    if kind:
        queryset = queryset.filter(kind=kind)
    if date_from:
        queryset = queryset.filter(date__gte=date_from)
    if date_to:
        queryset = queryset.filter(date__lte=date_to)
    return queryset


def sessions_public(*, now: dt.datetime | None = None, with_slots: bool = False, **filters) -> QuerySet:
    """Published, not cancelled sessions from today to the end of the booking window, each annotated
    with `remaining` (free places in slots still open to booking); `with_slots` prefetches the open
    slots as `open_slots`."""
    now = now or timezone.now()
    local_now = timezone.localtime(now)
    queryset = OutreachSession.objects.filter(
        # A session that has already ended today is no longer shown.
        Q(date__gt=local_now.date()) | Q(date=local_now.date(), end_time__gt=local_now.time()),
        published=True,
        status=OutreachSession.Status.SCHEDULED,
        date__lte=last_bookable_date(now),
    )
    queryset = sessions_filter(queryset, **filters)
    open_q = open_slots_q(now, "slots__")
    queryset = queryset.select_related("kecamatan").annotate(
        remaining=Coalesce(Sum(F("slots__capacity") - F("slots__booked"), filter=open_q), 0),
        # Places in slots still open to booking: 0 means "booking closed", > 0 with nothing
        # remaining means "full".
        open_places=Coalesce(Sum("slots__capacity", filter=open_q), 0),
        earliest_free=Min("slots__starts_at", filter=open_q & Q(slots__booked__lt=F("slots__capacity"))),
    )
    if with_slots:
        queryset = queryset.prefetch_related(
            Prefetch(
                "slots",
                queryset=Slot.objects.filter(open_slots_q(now)).order_by("starts_at"),
                to_attr="open_slots",
            )
        )
    return queryset.order_by("date", "start_time", "id")


def sessions_for_staff(user, **filters) -> QuerySet:
    """Every session in the user's kecamatan scope (any status, published or not), with all slots."""
    queryset = scope_queryset(OutreachSession.objects.all(), user, "kecamatan_id")
    queryset = sessions_filter(queryset, **filters).select_related("kecamatan")
    return queryset.prefetch_related(
        Prefetch("slots", queryset=Slot.objects.order_by("starts_at"), to_attr="open_slots")
    ).order_by("date", "start_time", "id")


def series_for_staff(user) -> QuerySet:
    return scope_queryset(OutreachSeries.objects.all(), user, "kecamatan_id").select_related("kecamatan")


def slots_bookable(
    *, now: dt.datetime | None = None, session_id: int | None = None, service: str | None = None
) -> QuerySet:
    """Slots the public can book now with at least one free place (form choices)."""
    now = now or timezone.now()
    queryset = Slot.objects.filter(
        open_slots_q(now),
        booked__lt=F("capacity"),
        session__published=True,
        session__status=OutreachSession.Status.SCHEDULED,
        session__date__lte=last_bookable_date(now),
    )
    if session_id is not None:
        queryset = queryset.filter(session_id=session_id)
    if service in SERVICE_FLAGS:
        queryset = queryset.filter(**{f"session__{SERVICE_FLAGS[service]}": True})
    return queryset.select_related("session", "session__kecamatan").order_by("starts_at", "session_id", "id")


def appointment_by_token(code: str, token: str | None) -> Appointment | None:
    """The appointment with this code if `token` is its manage token (constant-time compare) or a
    manage link sent again by "find my booking" that has not expired, or a valid signed manage link
    of a message (confirmation, reminder)."""
    normalized = normalize_code(code)
    if normalized is None:
        return None
    appointment = (
        Appointment.objects.select_related("slot__session__kecamatan", "citizen")
        .filter(code=normalized)
        .first()
    )
    if appointment is None:
        return None
    stored = appointment.manage_token_hash
    if is_signed_value(token) and manage_link_opens(appointment, token):  # a link from a message
        return appointment
    if not token_matches(token, stored) and not manage_link_matches(
        token, code=appointment.code, stored_hash=stored, max_age=settings.SCHEDULES_MANAGE_LINK_MAX_AGE
    ):
        return None
    return appointment


def appointments_for_staff(user) -> QuerySet:
    queryset = Appointment.objects.select_related("slot__session__kecamatan", "citizen", "ticket")
    return scope_queryset(queryset, user, "slot__session__kecamatan_id").order_by("slot__starts_at", "id")


def appointment_for_staff(user, code: str) -> Appointment | None:
    normalized = normalize_code(code)
    if normalized is None:
        return None
    return appointments_for_staff(user).filter(code=normalized).first()


def appointment_booked_elsewhere(code: str, session: OutreachSession) -> Appointment | None:
    """The active booking with this (normalized) code at another session: the citizen shows it at
    the wrong desk, which may then serve them here."""
    return (
        Appointment.objects.filter(code=code, status=Appointment.Status.ACTIVE)
        .exclude(slot__session=session)
        .select_related("slot__session", "citizen")
        .first()
    )


def session_ticket(session: OutreachSession, ticket_id: int) -> QueueTicket | None:
    """One queue ticket of the session (None for another session's or an unknown id)."""
    return QueueTicket.objects.filter(session=session, pk=ticket_id).select_related("appointment").first()


def session_ticket_by_number(session: OutreachSession, number: int) -> QueueTicket | None:
    return QueueTicket.objects.filter(session=session, number=number).select_related("citizen").first()


def session_tickets_latest(session: OutreachSession, limit: int) -> list[QueueTicket]:
    """The session's latest tickets, newest first (the desk's list)."""
    tickets = QueueTicket.objects.filter(session=session).select_related("citizen", "service_request")
    return list(tickets.order_by("-number")[:limit])


def session_visits_at_desks(session: OutreachSession) -> list[tuple[QueueTicket, ServiceRequest | None]]:
    """The visits being served now (called tickets, by desk), each with the open request the desk
    completes next (the visit's oldest open one)."""
    open_requests = Prefetch(
        "service_requests",
        queryset=ServiceRequest.objects.filter(status__in=ServiceRequest.OPEN_STATUSES).order_by("pk"),
        to_attr="open_requests",
    )
    tickets = (
        QueueTicket.objects.filter(session=session, status=QueueTicket.Status.CALLED)
        .select_related("citizen")
        .prefetch_related(open_requests)
        .order_by("desk", "number")
    )
    return [(ticket, ticket.open_requests[0] if ticket.open_requests else None) for ticket in tickets]


def appointment_history(appointment: Appointment) -> list[ScheduleEvent]:
    """What happened to a booking, oldest first, with who did it."""
    events = ScheduleEvent.objects.filter(appointment=appointment).select_related("actor")
    return list(events.order_by("at", "id"))


def session_queue(session: OutreachSession) -> dict:
    """What the public queue display shows: numbers being served (latest first) and waiting."""
    tickets = QueueTicket.objects.filter(session=session)
    serving = list(tickets.filter(status=QueueTicket.Status.CALLED).order_by("-called_at", "-number")[:8])
    waiting = list(
        tickets.filter(status=QueueTicket.Status.WAITING)
        .order_by("number")
        .values_list("number", flat=True)[:20]
    )
    return {
        "serving": serving,
        "waiting": waiting,
        "waiting_count": tickets.filter(status=QueueTicket.Status.WAITING).count(),
        "done_count": tickets.filter(status=QueueTicket.Status.DONE).count(),
    }


def visit_service_labels(ticket: QueueTicket) -> list[str]:
    """The services of a visit in order: those opened (first to last), then those still planned."""
    labels = dict(Service.choices)
    opened = ticket.service_requests.order_by("pk").values_list("service", flat=True)
    return [
        str(labels[service]) for service in [*opened, *ticket.planned_service_names] if service in labels
    ] or [str(labels.get(ticket.service, ticket.service))]


RECENT_CALLS = 5
WAITING_SHOWN = 10


def queue_board(session: OutreachSession) -> dict:
    """What the TV queue display shows, as JSON-ready values: per desk (1 … `session.desks`, plus any
    other desk in use) the number being served, the last RECENT_CALLS calls, the waiting count. Only
    numbers and desks: nothing about the person. `call` identifies each call (number, times called,
    desk), so the screen chimes once per call, and again when a number is called again."""
    tickets = QueueTicket.objects.filter(session=session)
    serving = dict(
        tickets.filter(status=QueueTicket.Status.CALLED, desk__isnull=False)
        .order_by("called_at", "number")
        .values_list("desk", "number")
    )
    recent = [
        {"number": f"{number:03d}", "desk": desk, "at": timezone.localtime(at).strftime("%H:%M"),
         "call": f"{number}-{count}-{desk}"}
        for number, desk, at, count in tickets.filter(called_at__isnull=False, desk__isnull=False)
        .order_by("-called_at", "-number")
        .values_list("number", "desk", "called_at", "call_count")[:RECENT_CALLS]
    ]  # fmt: skip
    desks = sorted(set(range(1, session.desks + 1)) | set(serving))
    return {
        "desks": [
            {"desk": desk, "number": f"{serving[desk]:03d}" if desk in serving else None} for desk in desks
        ],
        "recent": recent,
        "waiting": [
            f"{number:03d}"
            for number in tickets.filter(status=QueueTicket.Status.WAITING)
            .order_by("call_count", "number")
            .values_list("number", flat=True)[:WAITING_SHOWN]
        ],
        "waiting_count": tickets.filter(status=QueueTicket.Status.WAITING).count(),
        "cancelled": session.is_cancelled,
        "updated": timezone.localtime().strftime("%H:%M:%S"),
    }


def sessions_with_counts(queryset: QuerySet[OutreachSession]) -> QuerySet[OutreachSession]:
    """`queryset` annotated with `capacity` (places in slots still offered), `booked` (places held:
    active, checked-in and no-show bookings) and `checked_in`, each a correlated subquery so the
    slot and appointment rows are never joined into (and multiplied by) each other."""
    slots = Slot.objects.filter(session=OuterRef("pk")).order_by().values("session")
    checked_in = (
        Appointment.objects.filter(slot__session=OuterRef("pk"), status=Appointment.Status.CHECKED_IN)
        .order_by()
        .values("slot__session")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return queryset.annotate(
        capacity=Coalesce(
            Subquery(slots.filter(removed_at__isnull=True).annotate(total=Sum("capacity")).values("total")), 0
        ),
        booked=Coalesce(Subquery(slots.annotate(total=Sum("booked")).values("total")), 0),
        checked_in=Coalesce(Subquery(checked_in), 0),
    )
