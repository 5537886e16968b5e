"""Booking, cancelling and moving appointments; reminders and no-shows.

Capacity: a place is taken by one conditional UPDATE (`booked < capacity` and the slot still open)
whose row count says whether it worked; the CHECK constraint `booked <= capacity` is the last guard.
LOCK ORDER: session, then slots in id order, then appointments in id order (see services.sessions).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.outbox import outbox_enqueue
from registrations.models import Citizen
from schedules.codes import new_code, new_manage_token, token_hash
from schedules.exceptions import (
    AlreadyBookedError,
    BookingClosedError,
    ChangeClosedError,
    IdentityMismatchError,
    IllegalTransitionError,
    OutsideBookingWindowError,
    ServiceNotOfferedError,
    SlotFullError,
    SlotUnavailableError,
)
from schedules.models import Appointment, OutreachSession, ScheduleEvent, Slot, WaitlistEntry
from schedules.services.confirmations import appointment_confirmation_enqueue
from schedules.services.eligibility import booking_eligibility_check
from schedules.services.events import appointment_transition, event_log, staff_acting_on
from schedules.services.notifications import appointment_message_send

_CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class BookingResult:
    appointment: Appointment
    manage_token: str
    created: bool


MSG_DESK_IDENTITY = _(
    "We could not verify this NIK and birth date. Check both against your family card (KK); if they "
    "are correct, please visit the Disdukcapil office."
)


def citizen_verify(*, nik: str, birth_date: dt.date) -> Citizen:
    """The living resident with this NIK and birth date, for desk staff who hold the citizen's card
    (walk-ins). Public flows use registrations' `citizen_identify_public` (NIK + KK) instead.
    Raises IdentityMismatchError, with one message for an unknown NIK, another birth date or a
    resident no longer registered."""
    citizen = Citizen.objects.filter(nik=nik).first()
    if citizen is None or citizen.birth_date != birth_date or not citizen.is_living_resident:
        raise IdentityMismatchError(MSG_DESK_IDENTITY)
    return citizen


def _check_slot_bookable(*, slot: Slot, service: str | None, now: dt.datetime, by_staff: bool) -> None:
    session = slot.session
    if session.is_cancelled or slot.removed_at is not None or not (session.published or by_staff):
        raise SlotUnavailableError()
    if slot.ends_at <= now:
        raise BookingClosedError()
    if not by_staff:
        if slot.starts_at - dt.timedelta(minutes=settings.SCHEDULES_BOOKING_CUTOFF_MINUTES) < now:
            raise BookingClosedError()
        last_day = timezone.localdate(now) + dt.timedelta(days=settings.SCHEDULES_BOOKING_WINDOW_DAYS)
        if session.date > last_day:
            raise OutsideBookingWindowError(
                format_lazy(
                    OutsideBookingWindowError.default_message, days=settings.SCHEDULES_BOOKING_WINDOW_DAYS
                )
            )
    if service is not None and not session.offers(service):
        raise ServiceNotOfferedError()


def _take_place(slot_id: int) -> bool:
    """Take one place in the slot; False when it is full (or was closed meanwhile)."""
    # One conditional UPDATE: PostgreSQL locks the row and re-checks the condition on its latest
    # version, so concurrent bookings queue on the row and only `capacity` of them succeed.
    return (
        Slot.objects.filter(pk=slot_id, booked__lt=F("capacity"), removed_at__isnull=True).update(
            booked=F("booked") + 1
        )
        == 1
    )


def _place_refused(slot_id: int) -> Exception:
    slot = Slot.objects.select_related("session").get(pk=slot_id)
    if slot.removed_at is not None or slot.session.is_cancelled:
        return SlotUnavailableError()
    return SlotFullError()


def _release_place(slot_id: int) -> None:
    Slot.objects.filter(pk=slot_id).update(booked=F("booked") - 1)


WAITLIST_SWEEP_TASK = "schedules.tasks.waitlist_sweep"


def waitlist_nudge(session_id: int) -> None:
    """A place of `session_id` was freed: after the commit, the waiting list's sweep offers it to
    the first in line (schedules.services.waiting_list). Nothing when nobody waits there."""
    if WaitlistEntry.objects.filter(session_id=session_id, status=WaitlistEntry.Status.WAITING).exists():
        outbox_enqueue(
            WAITLIST_SWEEP_TASK, {"session_id": session_id}, dedupe_key=f"schedules:waitlist:{session_id}"
        )


def _insert(**fields) -> Appointment:
    for _attempt in range(_CODE_ATTEMPTS):
        code = new_code()
        try:
            with transaction.atomic():  # savepoint: a clash on the random code alone is retried
                return Appointment.objects.create(code=code, **fields)
        except IntegrityError:
            if not Appointment.objects.filter(code=code).exists():
                raise
    raise RuntimeError("no free booking code after several attempts")


def _replay_of(*, token: str, citizen: Citizen, service: str, slot_id: int) -> Appointment | None:
    """The booking this exact submission already made (double submit), if any."""
    return Appointment.objects.filter(
        manage_token_hash=token_hash(token), citizen=citizen, service=service, slot_id=slot_id
    ).first()


def appointment_book(
    *,
    slot: Slot,
    citizen: Citizen,
    service: str,
    reason: str,
    phone: str = "",
    email: str = "",
    manage_token: str | None = None,
    language: str | None = None,
    actor=None,
    now: dt.datetime | None = None,
) -> BookingResult:
    """Book a place for `citizen` (already verified) in `slot`.

    `manage_token` is the token the booking form issued with the page; submitting the same form twice
    returns the booking of the first submission (`created=False`). Desk staff of the slot's kecamatan
    (`actor`, see `staff_acting_on`) are not held to the public cut-off and window; anyone else, and
    `actor=None`, books as the public. Raises SlotUnavailableError, BookingClosedError,
    OutsideBookingWindowError, ServiceNotOfferedError, NotEligibleError, AlreadyBookedError,
    SlotFullError; nothing is written when it raises.
    """
    now = now or timezone.now()
    token = manage_token or new_manage_token()
    replay = _replay_of(token=token, citizen=citizen, service=service, slot_id=slot.pk)
    if replay is not None:
        return BookingResult(appointment=replay, manage_token=token, created=False)
    if Appointment.objects.filter(manage_token_hash=token_hash(token)).exists():
        token = new_manage_token()  # the same form page reused for another booking (shared computer)
    try:
        with transaction.atomic():
            appointment = _book(
                slot_id=slot.pk,
                citizen=citizen,
                service=service,
                reason=reason,
                phone=phone,
                email=email,
                token=token,
                language=language or translation.get_language() or settings.LANGUAGE_CODE,
                actor=actor,
                now=now,
            )
    except IntegrityError:
        # A concurrent twin of this submission committed first: its row made our insert fail.
        replay = _replay_of(token=token, citizen=citizen, service=service, slot_id=slot.pk)
        if replay is not None:
            return BookingResult(appointment=replay, manage_token=token, created=False)
        if Appointment.objects.filter(
            citizen=citizen, service=service, status=Appointment.Status.ACTIVE
        ).exists():
            raise AlreadyBookedError() from None
        raise
    return BookingResult(appointment=appointment, manage_token=token, created=True)


def _book(
    *,
    slot_id: int,
    citizen: Citizen,
    service: str,
    reason: str,
    phone: str,
    email: str,
    token: str,
    language: str,
    actor,
    now: dt.datetime,
    family=None,
    confirm: bool = True,
) -> Appointment:
    slot = Slot.objects.select_related("session").get(pk=slot_id)
    actor = staff_acting_on(actor, slot.session.kecamatan_id)
    _check_slot_bookable(slot=slot, service=service, now=now, by_staff=actor is not None)
    booking_eligibility_check(citizen=citizen, service=service, reason=reason, on=slot.session.date)
    if Appointment.objects.filter(
        citizen=citizen, service=service, status=Appointment.Status.ACTIVE
    ).exists():
        raise AlreadyBookedError()
    # The row goes in before the place is taken: a concurrent twin (same form token, or the same
    # citizen and service) then waits on our unique keys and sees our booking, instead of being
    # told the slot is full by the place we hold.
    appointment = _insert(
        manage_token_hash=token_hash(token),
        citizen=citizen,
        slot=slot,
        service=service,
        reason=reason,
        phone=phone,
        email=email,
        language=language[:8],
        booked_by=actor if getattr(actor, "is_authenticated", False) else None,
        family=family,
        created_at=now,
    )
    if not _take_place(slot.pk):
        raise _place_refused(slot.pk)
    event_log(
        action=ScheduleEvent.Action.BOOKED,
        session=slot.session,
        slot=slot,
        appointment=appointment,
        at=now,
        actor=actor,
        to_status=Appointment.Status.ACTIVE,
    )
    if confirm:  # a family booking sends one confirmation for all its members instead
        appointment_confirmation_enqueue(appointment)  # after the commit, never blocking the booking
    return appointment


def _lock_with_slots(appointment: Appointment, extra_slot_ids: tuple[int, ...] = ()) -> Appointment:
    """Lock the appointment's slot (and `extra_slot_ids`) in id order, then the appointment; retried
    if a concurrent move changed its slot between the read and the lock."""
    for _attempt in range(3):
        slot_id = Appointment.objects.values_list("slot_id", flat=True).get(pk=appointment.pk)
        ids = sorted({slot_id, *extra_slot_ids})
        list(Slot.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
        locked = (
            Appointment.objects.select_for_update().select_related("slot__session").get(pk=appointment.pk)
        )
        if locked.slot_id == slot_id:
            return locked
    raise IllegalTransitionError()


def _check_change_allowed(appointment: Appointment, *, now: dt.datetime, by_staff: bool) -> None:
    if appointment.status != Appointment.Status.ACTIVE:
        raise IllegalTransitionError()
    if not by_staff:
        cutoff = appointment.slot.starts_at - dt.timedelta(minutes=settings.SCHEDULES_CHANGE_CUTOFF_MINUTES)
        if now > cutoff:
            raise ChangeClosedError()


@transaction.atomic
def appointment_cancel(
    *, appointment: Appointment, actor=None, note: str = "", now: dt.datetime | None = None
) -> Appointment:
    """Cancel an active booking and free its place. Citizens (no `actor`, or anyone but desk staff of
    the booking's kecamatan, see `staff_acting_on`) may do it until SCHEDULES_CHANGE_CUTOFF_MINUTES
    before the slot. Cancelling a cancelled booking changes nothing.
    Raises ChangeClosedError, IllegalTransitionError."""
    now = now or timezone.now()
    appointment = _lock_with_slots(appointment)
    actor = staff_acting_on(actor, appointment.slot.session.kecamatan_id)
    by_staff = actor is not None
    if appointment.status == Appointment.Status.CANCELLED:
        return appointment
    _check_change_allowed(appointment, now=now, by_staff=by_staff)
    appointment.cancelled_at = now
    appointment.cancel_reason = (
        Appointment.CancelReason.STAFF if by_staff else Appointment.CancelReason.CITIZEN
    )
    appointment_transition(
        appointment,
        to=Appointment.Status.CANCELLED,
        action=ScheduleEvent.Action.CANCELLED,
        at=now,
        actor=actor,
        note=note,
    )
    _release_place(appointment.slot_id)
    waitlist_nudge(appointment.slot.session_id)
    return appointment


@transaction.atomic
def appointment_reschedule(
    *, appointment: Appointment, slot: Slot, actor=None, now: dt.datetime | None = None
) -> Appointment:
    """Move an active booking to another slot (same code and link); the old place is freed and a new
    one taken atomically, so the citizen holds exactly one active booking throughout. Raises what
    booking and cancelling raise. Staff rules (`staff_acting_on`) only when both the booking and the
    new slot are in the actor's kecamatan."""
    now = now or timezone.now()
    appointment = _lock_with_slots(appointment, (slot.pk,))
    new_slot = Slot.objects.select_related("session").get(pk=slot.pk)
    actor = staff_acting_on(actor, appointment.slot.session.kecamatan_id, new_slot.session.kecamatan_id)
    by_staff = actor is not None
    _check_change_allowed(appointment, now=now, by_staff=by_staff)
    if slot.pk == appointment.slot_id:
        return appointment
    _check_slot_bookable(slot=new_slot, service=appointment.service, now=now, by_staff=by_staff)
    booking_eligibility_check(
        citizen=appointment.citizen,
        service=appointment.service,
        reason=appointment.reason,
        on=new_slot.session.date,
    )
    if not _take_place(new_slot.pk):
        raise _place_refused(new_slot.pk)
    old_slot = appointment.slot
    _release_place(old_slot.pk)
    waitlist_nudge(old_slot.session_id)
    appointment.slot = new_slot
    appointment.reminder_sent_at = None  # a new day may need its own reminder
    appointment.save(update_fields=["slot", "reminder_sent_at"])
    event_log(
        action=ScheduleEvent.Action.RESCHEDULED,
        session=new_slot.session,
        slot=new_slot,
        appointment=appointment,
        at=now,
        actor=actor,
        from_status=appointment.status,
        to_status=appointment.status,
        note=f"{old_slot.session_id}/{old_slot} → {new_slot.session_id}/{new_slot}",
    )
    return appointment


# --- Reminders, cancellation notices, no-shows ---------------------------------------------------


def appointment_reminders_enqueue(*, now: dt.datetime | None = None) -> int:
    """Publish one reminder task per active booking of tomorrow not yet reminded (from
    SCHEDULES_REMINDER_HOUR WIB today on). Returns how many were published."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < settings.SCHEDULES_REMINDER_HOUR:
        return 0
    tomorrow = local.date() + dt.timedelta(days=1)
    due = list(
        Appointment.objects.filter(
            status=Appointment.Status.ACTIVE,
            reminder_sent_at__isnull=True,
            slot__session__date=tomorrow,
            slot__session__status=OutreachSession.Status.SCHEDULED,
        ).values_list("pk", "slot__starts_at")
    )
    with transaction.atomic():
        for appointment_id, starts_at in due:
            outbox_enqueue(
                "schedules.tasks.appointment_send_reminder",
                {"appointment_id": appointment_id},
                dedupe_key=f"schedules:reminder:{appointment_id}",
                expires_at=starts_at,
            )
    return len(due)


def _appointment_locked(appointment_id: int) -> Appointment | None:
    """The appointment with its session and citizen, row-locked so a notice goes out once."""
    return (
        Appointment.objects.select_for_update()
        .select_related("slot__session__kecamatan", "citizen")
        .filter(pk=appointment_id)
        .first()
    )


def appointment_remind(*, appointment_id: int, now: dt.datetime | None = None) -> bool:
    """Send the day-before reminder of one booking, once. Returns whether it was sent now."""
    now = now or timezone.now()
    with transaction.atomic():
        # The row lock is held while sending, so two deliveries of the same task send it once; a
        # failed send rolls back and the task retries.
        appointment = _appointment_locked(appointment_id)
        if appointment is None or appointment.reminder_sent_at is not None:
            return False
        if appointment.status != Appointment.Status.ACTIVE or appointment.slot.starts_at <= now:
            return False
        channels = appointment_message_send(appointment, kind="reminder")
        appointment.reminder_sent_at = now
        appointment.save(update_fields=["reminder_sent_at"])
        event_log(
            action=ScheduleEvent.Action.REMINDED,
            session=appointment.slot.session_id,
            appointment=appointment,
            slot=appointment.slot,
            at=now,
            note=", ".join(channels) or "no contact",
        )
    return True


def appointment_notify_cancelled(*, appointment_id: int, now: dt.datetime | None = None) -> bool:
    """Tell the citizen that staff cancelled the booking (session cancelled or slot removed), with a
    link to book again. Sent once; returns whether it was sent now."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _appointment_locked(appointment_id)
        if appointment is None or appointment.cancel_notified_at is not None:
            return False
        if appointment.status != Appointment.Status.CANCELLED or appointment.cancel_reason not in (
            Appointment.CancelReason.SESSION_CANCELLED,
            Appointment.CancelReason.SLOT_REMOVED,
        ):
            return False
        channels = appointment_message_send(appointment, kind="cancelled")
        appointment.cancel_notified_at = now
        appointment.save(update_fields=["cancel_notified_at"])
        event_log(
            action=ScheduleEvent.Action.NOTIFIED,
            session=appointment.slot.session_id,
            appointment=appointment,
            slot=appointment.slot,
            at=now,
            note=", ".join(channels) or "no contact: call the citizen",
        )
    return True


def _ended_before(now: dt.datetime) -> Q:
    cutoff = timezone.localtime(now) - dt.timedelta(minutes=settings.SCHEDULES_NO_SHOW_GRACE_MINUTES)
    return Q(date__lt=cutoff.date()) | Q(date=cutoff.date(), end_time__lte=cutoff.time())


def no_shows_enqueue(*, now: dt.datetime | None = None) -> int:
    """Publish one closing task per scheduled session that ended (plus the grace period) and is not
    closed yet. Returns how many were published."""
    now = now or timezone.now()
    due = list(
        OutreachSession.objects.filter(
            _ended_before(now), status=OutreachSession.Status.SCHEDULED, closed_at__isnull=True
        ).values_list("pk", flat=True)
    )
    with transaction.atomic():
        for session_id in due:
            outbox_enqueue(
                "schedules.tasks.session_mark_no_shows",
                {"session_id": session_id},
                dedupe_key=f"schedules:no-shows:{session_id}",
            )
    return len(due)


@transaction.atomic
def session_mark_no_shows(*, session_id: int, now: dt.datetime | None = None) -> int:
    """Close an ended session: its still-active bookings become no-shows (they keep their place: the
    slot is over). Idempotent: a closed session is left alone. Returns how many were marked."""
    now = now or timezone.now()
    session = OutreachSession.objects.select_for_update().filter(pk=session_id).first()
    if session is None or session.closed_at is not None or session.is_cancelled:
        return 0
    if not OutreachSession.objects.filter(_ended_before(now), pk=session_id).exists():
        return 0
    active = list(
        Appointment.objects.select_for_update()
        .filter(slot__session=session, status=Appointment.Status.ACTIVE)
        .order_by("pk")
        .values_list("pk", "slot_id")
    )
    Appointment.objects.filter(pk__in=[pk for pk, _slot in active]).update(status=Appointment.Status.NO_SHOW)
    ScheduleEvent.objects.bulk_create(
        ScheduleEvent(
            action=ScheduleEvent.Action.NO_SHOW,
            session=session,
            appointment_id=pk,
            slot_id=slot_id,
            at=now,
            from_status=Appointment.Status.ACTIVE,
            to_status=Appointment.Status.NO_SHOW,
        )
        for pk, slot_id in active
    )
    session.closed_at = now
    session.save(update_fields=["closed_at"])
    event_log(
        action=ScheduleEvent.Action.SESSION_CLOSED, session=session, at=now, note=f"{len(active)} no-show"
    )
    return len(active)


def appointment_contacts_purge(now: dt.datetime) -> int:
    """Forget the phone and e-mail given with bookings whose session is over by more than
    SCHEDULES_CONTACT_RETENTION_DAYS: they served reminders and notices only (retention task)."""
    cutoff = timezone.localdate(now) - dt.timedelta(days=settings.SCHEDULES_CONTACT_RETENTION_DAYS)
    return (
        Appointment.objects.filter(slot__session__date__lt=cutoff)
        .exclude(phone="", email="")
        .update(phone="", email="")
    )
