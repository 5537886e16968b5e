"""Family booking: several members of one family card (KK) booked together in one slot.

Identity: every member's NIK is checked against the one KK number given (registrations'
`citizen_identify_public`); until all of them match, the answer is the one generic
IdentityMismatchError, so a submission never tells which NIK failed. Then, in ONE transaction, every
member's row is inserted and one place per member is taken by the same conditional UPDATE as a single
booking (`appointments._take_place`, unchanged): the family gets all its places in the slot or none.

Each member is its own Appointment (own code, own manage token, cancelled or moved alone); they share
`Appointment.family`. One confirmation lists everyone, each with a signed manage link.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError
from core.outbox import outbox_enqueue
from registrations.exceptions import IdentityMismatchError, NotEligibleError
from registrations.models import Citizen
from registrations.services.identity import citizen_identify_public
from schedules.codes import new_manage_token, token_hash
from schedules.exceptions import AlreadyBookedError, ServiceNotOfferedError, SlotFullError
from schedules.manage_links import manage_link_url
from schedules.models import Appointment, ScheduleEvent, Slot
from schedules.services import appointments as booking
from schedules.services.appointments import BookingResult
from schedules.services.eligibility import booking_eligibility_check
from schedules.services.events import event_log, staff_acting_on
from schedules.services.notifications import appointment_message_send

FAMILY_CONFIRM_TASK = "schedules.tasks.family_send_confirmation"


class FamilyTooLargeError(ApplicationError):
    code = "family_too_large"
    default_message = _("A family booking takes at most {n} members. Book the others separately.")


class DuplicateMemberError(ApplicationError):
    code = "duplicate_member"
    default_message = _("The same NIK is given twice in this family booking.")


class FamilySlotFullError(SlotFullError):
    """Not enough places left in the slot for every member (code `slot_full`, like one booking)."""

    default_message = _(
        "This time slot has not enough free places for the whole family ({n} needed). Choose another time."
    )


# Errors about one member (after every identity matched): the message says which member.
MEMBER_ERRORS = (NotEligibleError, AlreadyBookedError, ServiceNotOfferedError)


@dataclass(frozen=True)
class FamilyMember:
    citizen: Citizen
    service: str
    reason: str


@dataclass(frozen=True)
class FamilyBookingResult:
    family: uuid.UUID
    bookings: list[BookingResult]
    created: bool

    @property
    def appointments(self) -> list[Appointment]:
        return [result.appointment for result in self.bookings]


def family_max_members() -> int:
    return max(settings.SCHEDULES_FAMILY_MAX_MEMBERS, 1)


def family_identify(*, nik: str, kk: str, member_niks: list[str], request=None) -> list[Citizen]:
    """The residents with `nik` and each of `member_niks`, all on the family card `kk`, first one
    first. Every NIK is checked (each failure counts towards that NIK's lock) before answering;
    raises the one generic IdentityMismatchError when any does not match."""
    niks = [nik, *member_niks]
    if len(niks) > family_max_members():
        raise FamilyTooLargeError(format_lazy(FamilyTooLargeError.default_message, n=family_max_members()))
    if len(set(niks)) != len(niks):
        raise DuplicateMemberError()
    citizens: list[Citizen] = []
    failed = False
    for value in niks:
        try:
            citizens.append(citizen_identify_public(nik=value, kk=kk, request=request))
        except IdentityMismatchError:
            failed = True  # keep going: the same work whichever NIK failed
    if failed:
        raise IdentityMismatchError()
    return citizens


def member_token(token: str, index: int) -> str:
    """The manage token of member `index` of the booking made with the form token `token` (the first
    member's is `token` itself): derived, so a double submit finds every member again."""
    if index == 0:
        return token
    digest = hashlib.sha256(f"schedules.family:{index}:{token}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def _replay_of(*, token: str, members: list[FamilyMember]) -> FamilyBookingResult | None:
    first = Appointment.objects.filter(
        manage_token_hash=token_hash(token), citizen=members[0].citizen, family__isnull=False
    ).first()
    if first is None:
        return None
    appointments = list(Appointment.objects.filter(family=first.family).order_by("pk"))
    bookings = [
        BookingResult(appointment=appointment, manage_token=member_token(token, index), created=False)
        for index, appointment in enumerate(appointments)
    ]
    return FamilyBookingResult(family=first.family, bookings=bookings, created=False)


def _member_error(error: ApplicationError, index: int, member: FamilyMember) -> ApplicationError:
    label = format_lazy(_("Family member {n} (NIK {nik})"), n=index + 1, nik=member.citizen.masked_nik)
    message = format_lazy("{label}: {message}", label=label, message=error.message)
    member_error = type(error)(message, code=error.code, fields=error.fields)
    member_error.member = index  # the pages show it above the form, not on the first member's field
    return member_error


def appointments_book_family(
    *,
    slot: Slot,
    members: list[FamilyMember],
    phone: str = "",
    email: str = "",
    manage_token: str | None = None,
    language: str | None = None,
    actor=None,
    now: dt.datetime | None = None,
) -> FamilyBookingResult:
    """Book one place per member (already identified, `family_identify`) in `slot`, all or none.

    Raises what `appointment_book` raises (FamilySlotFullError when the places left are fewer than
    the members; the errors about one member name it); nothing is written when it raises. The same
    `manage_token` again (double submit) returns the first submission's bookings (`created=False`).
    """
    if not members:
        raise ValueError("a family booking needs at least one member")
    if len(members) > family_max_members():
        raise FamilyTooLargeError(format_lazy(FamilyTooLargeError.default_message, n=family_max_members()))
    if len({member.citizen.pk for member in members}) != len(members):
        raise DuplicateMemberError()
    now = now or timezone.now()
    token = manage_token or new_manage_token()
    replay = _replay_of(token=token, members=members)
    if replay is not None:
        return replay
    if Appointment.objects.filter(manage_token_hash=token_hash(token)).exists():
        token = new_manage_token()  # the same form page reused for another booking
    language = (language or translation.get_language() or settings.LANGUAGE_CODE)[:8]
    try:
        with transaction.atomic():
            bookings = _book_family(
                slot_id=slot.pk,
                members=members,
                phone=phone,
                email=email,
                token=token,
                language=language,
                actor=actor,
                now=now,
            )
    except IntegrityError:
        replay = _replay_of(token=token, members=members)  # a concurrent twin committed first
        if replay is not None:
            return replay
        for index, member in enumerate(members):
            if Appointment.objects.filter(
                citizen=member.citizen, service=member.service, status=Appointment.Status.ACTIVE
            ).exists():
                raise _member_error(AlreadyBookedError(), index, member) from None
        raise
    return FamilyBookingResult(family=bookings[0].appointment.family, bookings=bookings, created=True)


def _book_family(
    *,
    slot_id: int,
    members: list[FamilyMember],
    phone: str,
    email: str,
    token: str,
    language: str,
    actor,
    now: dt.datetime,
) -> list[BookingResult]:
    slot = Slot.objects.select_related("session").get(pk=slot_id)
    actor = staff_acting_on(actor, slot.session.kecamatan_id)
    booking._check_slot_bookable(slot=slot, service=None, now=now, by_staff=actor is not None)
    family = uuid.uuid4()
    results: list[BookingResult] = []
    # Every row first, then the places: a concurrent booking of one member waits on our unique keys
    # before we hold the slot's row (the lock order of a single booking), so no deadlock.
    for index, member in enumerate(members):
        try:
            if not slot.session.offers(member.service):
                raise ServiceNotOfferedError()
            booking_eligibility_check(
                citizen=member.citizen, service=member.service, reason=member.reason, on=slot.session.date
            )
            if Appointment.objects.filter(
                citizen=member.citizen, service=member.service, status=Appointment.Status.ACTIVE
            ).exists():
                raise AlreadyBookedError()
        except MEMBER_ERRORS as error:
            raise _member_error(error, index, member) from None
        code_token = member_token(token, index)
        appointment = booking._insert(
            manage_token_hash=token_hash(code_token),
            citizen=member.citizen,
            slot=slot,
            service=member.service,
            reason=member.reason,
            phone=phone,
            email=email,
            language=language,
            booked_by=actor if getattr(actor, "is_authenticated", False) else None,
            family=family,
            created_at=now,
        )
        results.append(BookingResult(appointment=appointment, manage_token=code_token, created=True))
    for _member in members:
        if not booking._take_place(slot.pk):  # the guard of a single booking, once per member
            refused = booking._place_refused(slot.pk)
            if isinstance(refused, SlotFullError):
                refused = FamilySlotFullError(
                    format_lazy(FamilySlotFullError.default_message, n=len(members))
                )
            raise refused
    for result in results:
        event_log(
            action=ScheduleEvent.Action.BOOKED,
            session=slot.session,
            slot=slot,
            appointment=result.appointment,
            at=now,
            actor=actor,
            to_status=Appointment.Status.ACTIVE,
            note=f"family of {len(members)}",
        )
    family_confirmation_enqueue(family, expires_at=slot.ends_at)
    return results


# --- One confirmation for the whole family -----------------------------------------------------


def family_confirmation_enqueue(family: uuid.UUID, *, expires_at: dt.datetime) -> None:
    outbox_enqueue(
        FAMILY_CONFIRM_TASK,
        {"family": str(family)},
        dedupe_key=f"schedules:family-confirmation:{family}",
        expires_at=expires_at,
    )


def family_members_listed(appointments: list[Appointment]) -> list[dict]:
    """What the confirmation says of each member: masked NIK, service, code, signed manage link."""
    return [
        {
            "code": appointment.code,
            "masked_nik": appointment.citizen.masked_nik,
            "service_label": appointment.service_label,
            "manage_url": manage_link_url(appointment),
        }
        for appointment in appointments
    ]


def family_confirm(*, family: str, now: dt.datetime | None = None) -> bool:
    """Send one confirmation listing every still-active member of the family booking, once, to the
    contacts given with it. Returns whether it was sent now."""
    now = now or timezone.now()
    try:
        family_id = uuid.UUID(str(family))
    except ValueError:
        return False
    with transaction.atomic():
        appointments = list(
            Appointment.objects.select_for_update(of=("self",))
            .select_related("slot__session__kecamatan", "citizen")
            .filter(family=family_id)
            .order_by("pk")
        )
        due = [
            appointment
            for appointment in appointments
            if appointment.confirmation_sent_at is None
            and appointment.status == Appointment.Status.ACTIVE
            and appointment.slot.ends_at > now
        ]
        if not due:
            return False
        first = due[0]
        channels = appointment_message_send(
            first, kind="family_confirmation", extra={"members": family_members_listed(due)}
        )
        Appointment.objects.filter(pk__in=[appointment.pk for appointment in due]).update(
            confirmation_sent_at=now
        )
        for appointment in due:
            event_log(
                action=ScheduleEvent.Action.CONFIRMED,
                session=appointment.slot.session_id,
                appointment=appointment,
                slot=appointment.slot,
                at=now,
                note=(", ".join(channels) or "no contact") + f" (family of {len(due)})",
            )
    return True


def family_of(appointment: Appointment) -> list[Appointment]:
    """The other members of `appointment`'s family booking (empty for a single booking)."""
    if appointment.family is None:
        return []
    return list(
        Appointment.objects.select_related("citizen")
        .filter(family=appointment.family)
        .exclude(pk=appointment.pk)
        .order_by("pk")
    )
