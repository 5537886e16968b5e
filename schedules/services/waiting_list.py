"""The waiting list of a full session (pretix's model).

Join: a resident identified by NIK + KK (registrations' `citizen_identify_public`, in the caller)
with a phone or e-mail, for one service, when the session has no free place.

Offer: when a place frees (a cancel or a move: `appointments._waitlist_nudge`; a capacity raised or
anything missed: the beat's `schedules.tasks.waitlist_sweep` every minute), `waitlist_sweep` gives
each free place to the first entry still waiting. The offer HOLDS the place: it is taken in
`Slot.booked` by the very conditional UPDATE a booking uses (`appointments._take_place`), in the
transaction that marks the entry offered, so one freed place yields exactly one live offer, however
many sweeps run at once (the CHECK `booked <= capacity` is the last guard). The message goes through
the outbox with a signed link; the hold lasts SCHEDULES_WAITLIST_OFFER_MINUTES (never past the
slot's booking cut-off).

Accept: the hold is released and the normal booking service books the place in the same
transaction (the slot's row stays locked by us in between, so nobody else takes it). Expiry or
decline: the place is released and offered to the next in line.
LOCK ORDER: an offer holds the slot first, then takes the first waiting entry with SKIP LOCKED
(it never waits on an entry, so it cannot deadlock with an accept: the entry, then the slot).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError, ConflictError
from core.outbox import outbox_enqueue
from registrations.models import Citizen
from schedules.exceptions import (
    AlreadyBookedError,
    BookingClosedError,
    ServiceNotOfferedError,
    SlotUnavailableError,
)
from schedules.messaging import sms_backend
from schedules.models import Appointment, OutreachSession, ScheduleEvent, Slot, WaitlistEntry
from schedules.selectors import open_slots_q
from schedules.services import appointments as booking
from schedules.services.appointments import BookingResult, appointment_book
from schedules.services.eligibility import booking_eligibility_check
from schedules.services.events import event_log

OFFER_TASK = "schedules.tasks.waitlist_send_offer"
OFFER_SALT = "schedules.waitlist-offer"
LEAVE_SALT = "schedules.waitlist-leave"
# An offer shorter than this is not worth sending (the slot's cut-off is too close).
MIN_OFFER = dt.timedelta(minutes=10)


class SessionNotFullError(ApplicationError):
    code = "session_not_full"
    default_message = _("This session still has free places: book one directly.")


class WaitlistContactRequiredError(ApplicationError):
    code = "contact_required"
    default_message = _("Give a mobile number or an e-mail address: the offer of a place is sent there.")


class OfferGoneError(ConflictError):
    code = "offer_gone"
    default_message = _(
        "This offer is no longer open (it expired, was declined or was already used). If places free "
        "again you may join the waiting list again."
    )


# --- Join ---------------------------------------------------------------------------------------


def session_is_full(session: OutreachSession, *, service: str, now: dt.datetime) -> bool:
    """No slot of `session` still open to public booking has a free place."""
    return not Slot.objects.filter(open_slots_q(now), session=session, booked__lt=F("capacity")).exists()


def waitlist_position(entry: WaitlistEntry) -> int:
    """1 for the first still waiting; 0 when the entry waits no more."""
    if entry.status != WaitlistEntry.Status.WAITING:
        return 0
    return (
        WaitlistEntry.objects.filter(
            session_id=entry.session_id, status=WaitlistEntry.Status.WAITING, created_at__lt=entry.created_at
        ).count()
        + WaitlistEntry.objects.filter(
            session_id=entry.session_id,
            status=WaitlistEntry.Status.WAITING,
            created_at=entry.created_at,
            pk__lt=entry.pk,
        ).count()
        + 1
    )


def waitlist_join(
    *,
    session: OutreachSession,
    citizen: Citizen,
    service: str,
    reason: str,
    phone: str = "",
    email: str = "",
    language: str | None = None,
    now: dt.datetime | None = None,
) -> WaitlistEntry:
    """Put `citizen` (already identified) on the waiting list of the full `session`. Joining again
    returns the live entry. Raises SlotUnavailableError, BookingClosedError, ServiceNotOfferedError,
    SessionNotFullError, NotEligibleError, AlreadyBookedError, WaitlistContactRequiredError."""
    now = now or timezone.now()
    if not (phone or email):
        raise WaitlistContactRequiredError()
    session = OutreachSession.objects.get(pk=session.pk)
    if session.is_cancelled or not session.published:
        raise SlotUnavailableError()
    if session.ends_at <= now + dt.timedelta(minutes=settings.SCHEDULES_BOOKING_CUTOFF_MINUTES):
        raise BookingClosedError()
    if not session.offers(service):
        raise ServiceNotOfferedError()
    booking_eligibility_check(citizen=citizen, service=service, reason=reason, on=session.date)
    live = WaitlistEntry.objects.filter(
        session=session, citizen=citizen, service=service, status__in=WaitlistEntry.LIVE
    ).first()
    if live is not None:
        return live
    if Appointment.objects.filter(
        citizen=citizen, service=service, status=Appointment.Status.ACTIVE
    ).exists():
        raise AlreadyBookedError()
    if not session_is_full(session, service=service, now=now):
        raise SessionNotFullError()
    try:
        with transaction.atomic():
            return WaitlistEntry.objects.create(
                session=session,
                citizen=citizen,
                service=service,
                reason=reason,
                phone=phone,
                email=email,
                language=(language or translation.get_language() or settings.LANGUAGE_CODE)[:8],
                created_at=now,
            )
    except IntegrityError:  # a concurrent twin joined first
        return WaitlistEntry.objects.get(
            session=session, citizen=citizen, service=service, status__in=WaitlistEntry.LIVE
        )


# --- Offers -------------------------------------------------------------------------------------


waitlist_nudge = booking.waitlist_nudge


def _hold_place(slot_id: int) -> bool:
    """Hold one place of the slot for an offer: the booking's own guard (one conditional UPDATE)."""
    return booking._take_place(slot_id)


def _offer_end(slot: Slot, now: dt.datetime) -> dt.datetime:
    cutoff = slot.starts_at - dt.timedelta(minutes=settings.SCHEDULES_BOOKING_CUTOFF_MINUTES)
    return min(now + dt.timedelta(minutes=settings.SCHEDULES_WAITLIST_OFFER_MINUTES), cutoff)


def _offer_one(slot: Slot, *, now: dt.datetime) -> WaitlistEntry | None:
    """Offer one free place of `slot` to the first entry still waiting for its session (in the
    caller's transaction). None when nobody waits or the place is gone. The place is held first, so
    of concurrent sweeps only the one holding it picks an entry: the first in line, never one behind
    an entry another sweep had locked."""
    if not _hold_place(slot.pk):
        return None  # taken meanwhile (a booking, another sweep's offer)
    while True:
        entry = (
            WaitlistEntry.objects.select_for_update(skip_locked=True)
            .filter(session_id=slot.session_id, status=WaitlistEntry.Status.WAITING)
            .order_by("created_at", "pk")
            .first()
        )
        if entry is None:
            booking._release_place(slot.pk)  # nobody waits: the place goes back
            return None
        booked_meanwhile = Appointment.objects.filter(
            citizen_id=entry.citizen_id, service=entry.service, status=Appointment.Status.ACTIVE
        ).exists()
        if not booked_meanwhile:
            break
        # Booked elsewhere since joining: they wait no more (a place offered would go unused).
        WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistEntry.Status.LEFT, closed_at=now)
    expires = _offer_end(slot, now)
    WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistEntry.Status.WAITING).update(
        status=WaitlistEntry.Status.OFFERED, offered_slot=slot, offered_at=now, offer_expires_at=expires
    )
    event_log(
        action=ScheduleEvent.Action.WAITLIST_OFFERED,
        session=slot.session_id,
        slot=slot,
        at=now,
        note=f"entry {entry.pk} until {timezone.localtime(expires):%H:%M}",
    )
    outbox_enqueue(OFFER_TASK, {"entry_id": entry.pk}, dedupe_key=f"schedules:waitlist-offer:{entry.pk}")
    entry.refresh_from_db()
    return entry


def _release(entry: WaitlistEntry, *, to: str, now: dt.datetime) -> bool:
    """End a live offer (expired, declined, unusable): its held place is freed. In the caller's
    transaction; False when another transaction ended it first."""
    ended = WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistEntry.Status.OFFERED).update(
        status=to, closed_at=now
    )
    if not ended:
        return False
    booking._release_place(entry.offered_slot_id)
    event_log(
        action=ScheduleEvent.Action.WAITLIST_RELEASED,
        session=entry.session_id,
        slot=Slot(pk=entry.offered_slot_id),
        at=now,
        note=f"entry {entry.pk} {to}",
    )
    return True


def waitlist_expire(*, now: dt.datetime | None = None, session_id: int | None = None) -> list[int]:
    """End the offers past their time or whose slot can no longer be booked; returns the sessions
    touched (their places are offered to the next by the sweep)."""
    now = now or timezone.now()
    stale = WaitlistEntry.objects.filter(status=WaitlistEntry.Status.OFFERED, offer_expires_at__lte=now)
    unusable = WaitlistEntry.objects.filter(status=WaitlistEntry.Status.OFFERED).exclude(
        offered_slot__in=Slot.objects.filter(
            removed_at__isnull=True, session__status=OutreachSession.Status.SCHEDULED
        )
    )
    if session_id is not None:
        stale, unusable = stale.filter(session_id=session_id), unusable.filter(session_id=session_id)
    touched = set()
    for entry in (stale | unusable).order_by("pk"):
        with transaction.atomic():
            if _release(entry, to=WaitlistEntry.Status.EXPIRED, now=now):
                touched.add(entry.session_id)
    return sorted(touched)


def waitlist_sweep(*, session_id: int | None = None, now: dt.datetime | None = None) -> int:
    """Expire stale offers, then offer every free place of a session with people waiting (all
    sessions, or one). Safe to run concurrently and repeatedly. Returns the offers made."""
    now = now or timezone.now()
    waitlist_expire(now=now, session_id=session_id)
    sessions = WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING)
    if session_id is not None:
        sessions = sessions.filter(session_id=session_id)
    made = 0
    for waiting_session in sorted(set(sessions.values_list("session_id", flat=True))):
        slots = Slot.objects.filter(
            open_slots_q(now),
            session_id=waiting_session,
            session__status=OutreachSession.Status.SCHEDULED,
            session__published=True,
            booked__lt=F("capacity"),
        ).order_by("starts_at", "pk")
        for slot in slots:
            if _offer_end(slot, now) - now < MIN_OFFER:
                continue
            while True:
                with transaction.atomic():
                    if _offer_one(slot, now=now) is None:
                        break
                made += 1
    return made


# --- The offer message and link ------------------------------------------------------------------


def offer_link_value(entry: WaitlistEntry) -> str:
    return signing.dumps(
        [entry.pk, entry.offered_at.isoformat() if entry.offered_at else ""], salt=OFFER_SALT
    )


def offer_path(entry: WaitlistEntry) -> str:
    # The signed value is a path segment (masked in every log: core.url_secrets), not a query string.
    return reverse("schedules:waitlist-offer", args=[entry.pk, offer_link_value(entry)])


def offer_by_token(entry_id: int, token: str | None) -> WaitlistEntry | None:
    """The entry if `token` is its offer link (signed, bound to that offer, not older than a week)."""
    if not token or len(token) > 300:
        return None
    try:
        payload = signing.loads(token, salt=OFFER_SALT, max_age=dt.timedelta(days=7))
    except signing.BadSignature:
        return None
    entry = (
        WaitlistEntry.objects.select_related(
            "offered_slot__session__kecamatan", "session__kecamatan", "citizen"
        )
        .filter(pk=entry_id)
        .first()
    )
    if entry is None or entry.offered_at is None or payload != [entry.pk, entry.offered_at.isoformat()]:
        return None
    return entry


def waitlist_offer_send(*, entry_id: int, now: dt.datetime | None = None) -> bool:
    """Send the offer of one entry, once, while it is open. Returns whether it was sent now."""
    now = now or timezone.now()
    with transaction.atomic():
        entry = (
            WaitlistEntry.objects.select_for_update(of=("self",))
            .select_related("offered_slot__session")
            .filter(pk=entry_id)
            .first()
        )
        if entry is None or entry.status != WaitlistEntry.Status.OFFERED or entry.offer_sent_at is not None:
            return False
        if entry.offer_expires_at <= now:
            return False
        slot = entry.offered_slot
        language = entry.language if entry.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        with translation.override(language):
            context = {
                "entry": entry,
                "session": slot.session,
                "start": slot.local_start,
                "end": slot.local_end,
                "until": timezone.localtime(entry.offer_expires_at),
                "offer_url": f"{settings.PUBLIC_BASE_URL}{offer_path(entry)}",
                "site_url": settings.PUBLIC_BASE_URL,
                "privacy_url": settings.PUBLIC_BASE_URL + reverse("privacy"),
            }
            if entry.email:
                subject = render_to_string("emails/waitlist-offer-subject.txt", context).strip()
                send_mail(
                    subject, render_to_string("emails/waitlist-offer-body.txt", context), None, [entry.email]
                )
            if entry.phone:
                sms_backend().send(
                    to=entry.phone, text=render_to_string("sms/waitlist-offer.txt", context).strip()
                )
        entry.offer_sent_at = now
        entry.save(update_fields=["offer_sent_at"])
    return True


def waitlist_offer_accept(*, entry: WaitlistEntry, now: dt.datetime | None = None) -> BookingResult:
    """Book the offered place: the hold is released and the normal booking service takes it again,
    in one transaction. Raises OfferGoneError when the offer is no longer open, else what
    `appointment_book` raises (nothing changes then: the offer stays open until it expires)."""
    now = now or timezone.now()
    with transaction.atomic():
        entry = (
            WaitlistEntry.objects.select_for_update(of=("self",))
            .select_related("offered_slot", "citizen")
            .get(pk=entry.pk)
        )
        if entry.status != WaitlistEntry.Status.OFFERED or entry.offer_expires_at <= now:
            raise OfferGoneError()
        booking._release_place(entry.offered_slot_id)  # our row lock on the slot stays until commit
        result = appointment_book(
            slot=entry.offered_slot,
            citizen=entry.citizen,
            service=entry.service,
            reason=entry.reason,
            phone=entry.phone,
            email=entry.email,
            language=entry.language,
            now=now,
        )
        entry.status = WaitlistEntry.Status.BOOKED
        entry.appointment = result.appointment
        entry.closed_at = now
        entry.save(update_fields=["status", "appointment", "closed_at"])
    return result


def waitlist_offer_decline(*, entry: WaitlistEntry, now: dt.datetime | None = None) -> bool:
    """Give the offered place back (it goes to the next in line). False when it was no longer open."""
    now = now or timezone.now()
    with transaction.atomic():
        released = _release(entry, to=WaitlistEntry.Status.LEFT, now=now)
        if released:
            waitlist_nudge(entry.session_id)
    return released


# --- Leaving -------------------------------------------------------------------------------------
def leave_link_value(entry: WaitlistEntry) -> str:
    return signing.dumps([entry.pk, entry.created_at.isoformat()], salt=LEAVE_SALT)


def leave_path(entry: WaitlistEntry) -> str:
    # Like the offer link: the signed value is a path segment (masked in every log).
    return reverse("schedules:waitlist-leave", args=[entry.pk, leave_link_value(entry)])


def entry_by_leave_token(entry_id: int, token: str | None) -> WaitlistEntry | None:
    """The entry if `token` is its leave link (signed and bound to that entry)."""
    if not token or len(token) > 300:
        return None
    try:
        payload = signing.loads(token, salt=LEAVE_SALT)
    except signing.BadSignature:
        return None
    entry = WaitlistEntry.objects.select_related("session__kecamatan").filter(pk=entry_id).first()
    if entry is None or payload != [entry.pk, entry.created_at.isoformat()]:
        return None
    return entry


def waitlist_leave(*, entry: WaitlistEntry, now: dt.datetime | None = None) -> bool:
    """Leave the waiting list: a waiting entry ends; a live offer is given back, to the next in line.
    False when the entry had already ended (booked, expired, left)."""
    now = now or timezone.now()
    left = WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistEntry.Status.WAITING).update(
        status=WaitlistEntry.Status.LEFT, closed_at=now
    )
    if left:
        return True
    return waitlist_offer_decline(entry=entry, now=now)


def waitlist_entries_purge(now: dt.datetime) -> int:
    """Delete the waiting-list entries (with the phone and e-mail they hold) of sessions over by more
    than SCHEDULES_CONTACT_RETENTION_DAYS (retention task). Returns how many were deleted."""
    cutoff = timezone.localdate(now) - dt.timedelta(days=settings.SCHEDULES_CONTACT_RETENTION_DAYS)
    deleted, _per_model = WaitlistEntry.objects.filter(session__date__lt=cutoff).delete()
    return deleted
