"""Outreach sessions, their slots, citizens' appointments and the per-session queue.

Capacity is held by `Slot.booked`, a counter of the appointments holding a place (active, checked in
or no-show). It only moves through conditional UPDATEs in `schedules.services` and the database
refuses `booked > capacity` (CHECK constraint), so no code path can overbook a slot.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from registrations.models import CardService, ServiceRequest

# The services and reasons are the service requests' own choice sets: an appointment opens a
# ServiceRequest with the same values (the card services: a data correction is not booked).
# Citizen-facing wording lives in PUBLIC_SERVICE_LABELS.
Service = CardService
Reason = ServiceRequest.Reason

PUBLIC_SERVICE_LABELS = {
    Service.RECORDING: _("e-KTP recording"),
    Service.PRINTING: _("e-KTP printing"),
    Service.IKD_ACTIVATION: _("IKD activation (digital ID)"),
}
PUBLIC_REASON_LABELS = {
    Reason.NEW: _("first card"),
    Reason.DAMAGED: _("damaged card"),
    Reason.LOST: _("lost card"),
    Reason.DATA_CHANGE: _("change of data"),
}
OSM_DIRECTIONS = "https://www.openstreetmap.org/directions"
SERVICE_FLAGS = {
    Service.RECORDING: "offers_recording",
    Service.PRINTING: "offers_printing",
    Service.IKD_ACTIVATION: "offers_ikd",
}


def local_tz() -> dt.tzinfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


class PublicHoliday(models.Model):
    """A local change to the national calendar of days off (schedules/holidays.py): a day added
    (a regional holiday, a decree newer than the calendar) or a national day off made a working day.
    Series skip the national days off and the added ones."""

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("day off (added)")
        WORKING_DAY = "working_day", _("working day (removed from the national calendar)")

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.DAY_OFF)

    class Meta:
        verbose_name = _("public holiday")
        verbose_name_plural = _("public holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class SessionKind(models.TextChoices):
    CFD = "cfd", _("car-free-day booth")
    KECAMATAN = "kecamatan", _("kecamatan office")
    SCHOOL = "school", _("school visit")
    OFFICE = "office", _("main office")
    OTHER = "other", _("other")


class SessionFields(models.Model):
    """What a session and the series that generates sessions have in common."""

    kind = models.CharField(_("kind"), max_length=10, choices=SessionKind.choices)
    title = models.CharField(_("title"), max_length=150)
    venue_name = models.CharField(_("venue"), max_length=150)
    venue_address = models.CharField(_("venue address"), max_length=255, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    kecamatan = models.ForeignKey(
        "regions.Kecamatan", on_delete=models.PROTECT, related_name="+", verbose_name=_("kecamatan")
    )
    start_time = models.TimeField(_("start time (WIB)"))
    end_time = models.TimeField(_("end time (WIB)"))
    offers_recording = models.BooleanField(_("offers recording"), default=False)
    offers_printing = models.BooleanField(_("offers printing"), default=False)
    offers_ikd = models.BooleanField(_("offers IKD activation"), default=False)
    desks = models.PositiveSmallIntegerField(_("service desks"), default=1)
    stock_location = models.ForeignKey(
        "blanks.StockLocation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("stock location"),
        help_text=_("Where the blanks printed at the desk come from."),
    )
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=15)
    slot_capacity = models.PositiveSmallIntegerField(_("places per slot"))
    published = models.BooleanField(_("published"), default=True)
    notes = models.TextField(_("notes"), blank=True, max_length=2000)

    class Meta:
        abstract = True

    @property
    def services(self) -> list[str]:
        return [str(service) for service, flag in SERVICE_FLAGS.items() if getattr(self, flag)]

    def offers(self, service: str) -> bool:
        return service in self.services

    def get_services_display(self) -> list[str]:
        return [str(PUBLIC_SERVICE_LABELS[service]) for service in self.services]

    @property
    def directions_url(self) -> str:
        """Route to the venue on OpenStreetMap (a link only: no map tiles are loaded by our pages)."""
        if self.latitude is None or self.longitude is None:
            return ""
        lat, lon = (format(Decimal(str(value)).normalize(), "f") for value in (self.latitude, self.longitude))
        return f"{OSM_DIRECTIONS}?to={lat},{lon}"


def _session_constraints(prefix: str) -> list:
    return [
        models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name=f"{prefix}_ends_after_start"),
        models.CheckConstraint(
            condition=Q(offers_recording=True) | Q(offers_printing=True) | Q(offers_ikd=True),
            name=f"{prefix}_offers_a_service",
        ),
        models.CheckConstraint(condition=Q(desks__gte=1), name=f"{prefix}_has_a_desk"),
        models.CheckConstraint(
            condition=Q(slot_minutes__gte=5, slot_minutes__lte=240), name=f"{prefix}_slot_minutes_range"
        ),
        models.CheckConstraint(condition=Q(slot_capacity__gte=1), name=f"{prefix}_slot_capacity_positive"),
        models.CheckConstraint(condition=Q(kind__in=SessionKind.values), name=f"{prefix}_kind_valid"),
    ]


class OutreachSeries(SessionFields):
    """A recurring schedule (e.g. every Sunday CFD 06:00–09:00) that generated its sessions."""

    start_date = models.DateField(_("first date"))
    end_date = models.DateField(_("last date"))
    weekdays = models.JSONField(_("weekdays (0 = Monday … 6 = Sunday)"), default=list)
    skip_holidays = models.BooleanField(_("skip public holidays"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("session series")
        verbose_name_plural = _("session series")
        ordering = ["start_date", "id"]
        constraints = [
            *_session_constraints("sched_series"),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="sched_series_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.start_date:%Y-%m-%d} – {self.end_date:%Y-%m-%d})"


class OutreachSession(SessionFields):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        CANCELLED = "cancelled", _("cancelled")

    date = models.DateField(_("date"), db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    series = models.ForeignKey(
        OutreachSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    # Queue numbers of the day: taken with an F() increment under the session's row lock.
    last_queue_number = models.PositiveIntegerField(_("last queue number"), default=0)
    # When the no-show sweep closed this session (set once; makes the sweep idempotent and cheap).
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("outreach session")
        verbose_name_plural = _("outreach sessions")
        ordering = ["date", "start_time", "id"]
        indexes = [models.Index(fields=["kecamatan", "date"], name="sched_session_kec_date")]
        constraints = [
            *_session_constraints("sched_session"),
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "cancelled"]), name="sched_session_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.date:%Y-%m-%d} {self.start_time:%H:%M}"

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.start_time, tzinfo=local_tz())

    @property
    def ends_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.end_time, tzinfo=local_tz())

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


class Slot(models.Model):
    session = models.ForeignKey(OutreachSession, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    # Places held (active, checked-in and no-show appointments); moved only by conditional UPDATEs.
    booked = models.PositiveSmallIntegerField(_("booked"), default=0)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "starts_at"], name="sched_slot_unique_start"),
            models.CheckConstraint(
                condition=Q(booked__lte=F("capacity")), name="sched_slot_booked_lte_capacity"
            ),
            models.CheckConstraint(condition=Q(booked__gte=0), name="sched_slot_booked_not_negative"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="sched_slot_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        start = self.starts_at.astimezone(local_tz())
        end = self.ends_at.astimezone(local_tz())
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.booked, 0)

    @property
    def local_start(self) -> dt.datetime:
        return self.starts_at.astimezone(local_tz())

    @property
    def local_end(self) -> dt.datetime:
        return self.ends_at.astimezone(local_tz())


class Appointment(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("confirmed")
        CANCELLED = "cancelled", _("cancelled")
        CHECKED_IN = "checked_in", _("checked in")
        NO_SHOW = "no_show", _("did not come")

    class CancelReason(models.TextChoices):
        CITIZEN = "citizen", _("cancelled by the citizen")
        STAFF = "staff", _("cancelled by staff")
        SESSION_CANCELLED = "session_cancelled", _("the session was cancelled")
        SERVED_ELSEWHERE = "served_elsewhere", _("served at another session")
        SLOT_REMOVED = "slot_removed", _("the time slot was removed")

    # Statuses that hold a place in the slot (counted by Slot.booked).
    HOLDING = (Status.ACTIVE, Status.CHECKED_IN, Status.NO_SHOW)

    code = models.CharField(_("booking code"), max_length=8, unique=True)
    # SHA-256 of the manage token: the token itself is shown once and never stored.
    manage_token_hash = models.CharField(max_length=64, unique=True)
    citizen = models.ForeignKey(
        "registrations.Citizen",
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("citizen"),
    )
    slot = models.ForeignKey(
        Slot, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("slot")
    )
    service = models.CharField(_("service"), max_length=16, choices=Service.choices)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # The citizen's service request, opened at check-in (see services.queue).
    service_request = models.OneToOneField(
        "registrations.ServiceRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointment",
        verbose_name=_("service request"),
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    # The language the citizen booked in: reminders and notices are written in it.
    language = models.CharField(_("language"), max_length=8, default="id")
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The members of one family booking (one KK, one slot, one submission) share this id; each is
    # still its own booking with its own code and link, cancelled or moved alone.
    family = models.UUIDField(_("family booking"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("booked at"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(
        _("reason for cancelling"), max_length=20, choices=CancelReason.choices, blank=True
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(_("confirmation sent at"), null=True, blank=True)
    cancel_notified_at = models.DateTimeField(_("cancellation notice sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["slot__starts_at", "id"]
        indexes = [
            models.Index(fields=["slot", "status"], name="sched_appt_slot_status"),
            models.Index(fields=["status", "created_at"], name="sched_appt_status_created"),
        ]
        constraints = [
            # One active booking per citizen and service; a cancelled one frees the pair.
            models.UniqueConstraint(
                fields=["citizen", "service"],
                condition=Q(status="active"),
                name="schedules_one_active_booking",
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[2-9A-HJ-NP-Z]{8}$"), name="sched_appt_code_alphabet"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "cancelled", "checked_in", "no_show"]),
                name="sched_appt_status_valid",
            ),
            models.CheckConstraint(condition=Q(service__in=Service.values), name="sched_appt_service_valid"),
            models.CheckConstraint(condition=Q(reason__in=Reason.values), name="sched_appt_reason_valid"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def service_label(self) -> str:
        return str(PUBLIC_SERVICE_LABELS.get(self.service, self.get_service_display()))

    @property
    def reason_label(self) -> str:
        return str(PUBLIC_REASON_LABELS.get(self.reason, self.get_reason_display()))


class WaitlistEntry(models.Model):
    """A place in the waiting list of a full session (pretix's model).

    When a place of the session frees, the first entry still waiting gets an offer: the place is held
    for it (taken in `Slot.booked` by the same conditional UPDATE as a booking, so one freed place
    yields one offer) until `offer_expires_at`; accepting books it, expiry or declining frees it for
    the next. The offer link is signed (schedules.waiting_list_links)."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        OFFERED = "offered", _("place offered")
        BOOKED = "booked", _("booked")
        EXPIRED = "expired", _("offer expired")
        LEFT = "left", _("left the list")

    LIVE = (Status.WAITING, Status.OFFERED)

    session = models.ForeignKey(OutreachSession, on_delete=models.CASCADE, related_name="waitlist")
    citizen = models.ForeignKey("registrations.Citizen", on_delete=models.PROTECT, related_name="+")
    service = models.CharField(_("service"), max_length=16, choices=Service.choices)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    language = models.CharField(_("language"), max_length=8, default="id")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(_("joined at"))
    offered_slot = models.ForeignKey(
        Slot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("slot offered"),
    )
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer held until"), null=True, blank=True)
    offer_sent_at = models.DateTimeField(_("offer sent at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    appointment = models.OneToOneField(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="waitlist_entry"
    )

    class Meta:
        verbose_name = _("waiting list entry")
        verbose_name_plural = _("waiting list entries")
        ordering = ["session", "created_at", "id"]
        indexes = [models.Index(fields=["session", "status", "created_at"], name="sched_wait_session_status")]
        constraints = [
            # One live entry per citizen, session and service.
            models.UniqueConstraint(
                fields=["session", "citizen", "service"],
                condition=Q(status__in=["waiting", "offered"]),
                name="sched_wait_one_live_entry",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["waiting", "offered", "booked", "expired", "left"]),
                name="sched_wait_status_valid",
            ),
            # An offer always names its slot and its end.
            models.CheckConstraint(
                condition=~Q(status="offered")
                | Q(offered_slot__isnull=False, offer_expires_at__isnull=False),
                name="sched_wait_offer_complete",
            ),
            models.CheckConstraint(condition=~Q(phone="", email=""), name="sched_wait_has_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.pk} {self.status}"

    @property
    def service_label(self) -> str:
        return str(PUBLIC_SERVICE_LABELS.get(self.service, self.get_service_display()))


class QueueTicket(models.Model):
    """A visit: one queue number of one session, given at check-in (booked) or at the desk (walk-in).

    The visit owns its service requests (`service_requests`; `service_request` is the first of them).
    It is open (waiting or called) while one of them is open, and closes in the transaction that
    completes, cancels or rejects the last one (schedules.services.queue.visit_advance).
    Called `SCHEDULES_QUEUE_NO_SHOW_AFTER_CALLS` times without being served, it is a no-show."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        CALLED = "called", _("being served")
        DONE = "done", _("done")
        NO_SHOW = "no_show", _("did not come")

    OPEN_STATUSES = (Status.WAITING, Status.CALLED)

    session = models.ForeignKey(OutreachSession, on_delete=models.PROTECT, related_name="tickets")
    number = models.PositiveIntegerField(_("queue number"))
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="ticket"
    )
    citizen = models.ForeignKey("registrations.Citizen", on_delete=models.PROTECT, related_name="+")
    service = models.CharField(_("service"), max_length=16, choices=Service.choices)
    service_request = models.ForeignKey(
        "registrations.ServiceRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="queue_tickets",
        verbose_name=_("service request"),
    )
    service_requests = models.ManyToManyField(
        "registrations.ServiceRequest", blank=True, related_name="visits", verbose_name=_("service requests")
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.WAITING)
    desk = models.PositiveSmallIntegerField(_("desk"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"))
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    call_count = models.PositiveSmallIntegerField(_("times called"), default=0)
    planned_services = models.JSONField(
        _("services still to open"),
        default=list,
        blank=True,
        help_text=_("In order, opened one after another."),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("queue ticket")
        verbose_name_plural = _("queue tickets")
        ordering = ["session", "number"]
        constraints = [
            models.UniqueConstraint(fields=["session", "number"], name="sched_ticket_unique_number"),
            models.CheckConstraint(
                condition=Q(status__in=["waiting", "called", "done", "no_show"]),
                name="sched_ticket_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number:03d}"

    @property
    def is_walk_in(self) -> bool:
        return self.appointment_id is None

    @property
    def planned_service_names(self) -> list[str]:
        """The services still to open, in order (an entry is "service" or ["service", "reason"])."""
        return [entry if isinstance(entry, str) else entry[0] for entry in self.planned_services]


class ScheduleEvent(models.Model):
    """Append-only audit log: who changed which session, slot or appointment, when, from what to what."""

    class Action(models.TextChoices):
        SESSION_CREATED = "session_created", _("session created")
        SESSION_UPDATED = "session_updated", _("session updated")
        SESSION_CANCELLED = "session_cancelled", _("session cancelled")
        SESSION_CLOSED = "session_closed", _("session closed")
        SLOT_REMOVED = "slot_removed", _("slot removed")
        BOOKED = "booked", _("booked")
        CANCELLED = "cancelled", _("cancelled")
        RESCHEDULED = "rescheduled", _("moved to another slot")
        CHECKED_IN = "checked_in", _("checked in")
        NO_SHOW = "no_show", _("marked as no-show")
        WALK_IN = "walk_in", _("walk-in registered")
        CALLED = "called", _("called to a desk")
        VISIT_CLOSED = "visit_closed", _("visit closed")
        SERVED_HERE = "served_here", _("booking of another session served here")
        QUEUE_NO_SHOW = "queue_no_show", _("did not answer the call")
        REMINDED = "reminded", _("reminder sent")
        NOTIFIED = "notified", _("cancellation notice sent")
        CONFIRMED = "confirmed", _("confirmation sent")
        WAITLIST_OFFERED = "waitlist_offered", _("waiting-list place offered")
        WAITLIST_RELEASED = "waitlist_released", _("waiting-list offer ended")

    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    session = models.ForeignKey(OutreachSession, on_delete=models.CASCADE, related_name="events")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("schedule event")
        verbose_name_plural = _("schedule events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class DeskAction(models.Model):
    """One action of an offline-capable check-in desk, recorded under the client's idempotency key in
    the same transaction as its effect (issue 17). The UNIQUE key is what makes a replayed,
    duplicated or partly synced batch apply each action exactly once: a second insert of the key
    fails in the database, and the stored outcome is answered instead."""

    class Kind(models.TextChoices):
        CHECK_IN = "check_in", _("check-in")
        WALK_IN = "walk_in", _("walk-in")
        START = "start", _("start a service")
        COMPLETE = "complete", _("complete a service")
        CALL_NEXT = "call_next", _("call the next number")

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("applied")
        CONFLICT = "conflict", _("conflict")

    key = models.UUIDField(_("idempotency key"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    session = models.ForeignKey(OutreachSession, on_delete=models.CASCADE, related_name="desk_actions")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("done at (on the desk)"))
    synced_at = models.DateTimeField(_("synced at"), auto_now_add=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    # What the client needs back (queue numbers, request ids); never a NIK or a birth date.
    result = models.JSONField(default=dict, blank=True)
    conflict_code = models.CharField(max_length=40, blank=True)
    conflict_message = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("desk action")
        verbose_name_plural = _("desk actions")
        ordering = ["synced_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} {self.outcome}"
