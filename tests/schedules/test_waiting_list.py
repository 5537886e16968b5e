"""The waiting list: join a full session, a freed place offered to the first in line (held, by a
message with a signed link), accept books it, expiry or decline passes it to the next."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone, translation

from registrations.exceptions import IdentityMismatchError
from schedules.exceptions import SlotFullError
from schedules.messaging import LocmemSMSBackend
from schedules.models import Appointment, WaitlistEntry
from schedules.selectors import slots_bookable
from schedules.services import (
    appointment_book,
    appointment_cancel,
    waitlist_join,
    waitlist_leave,
    waitlist_offer_accept,
    waitlist_offer_decline,
    waitlist_sweep,
)
from schedules.services.waiting_list import (
    OfferGoneError,
    SessionNotFullError,
    WaitlistContactRequiredError,
    offer_path,
)
from tests.factories import OutreachSessionFactory, citizen_aged

OFFER_RE = re.compile(r"http://testserver-public(/waitlist/(\d+)/[^/\s?]+/)")


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.PUBLIC_BASE_URL = "http://testserver-public"
    settings.SCHEDULES_WAITLIST_OFFER_MINUTES = 60


@pytest.fixture
def day():
    return timezone.localdate() + dt.timedelta(days=3)


@pytest.fixture
def session(regions, day):
    """Two slots of one place each."""
    return OutreachSessionFactory(
        date=day,
        start_time=dt.time(8, 0),
        end_time=dt.time(8, 30),
        slot_minutes=15,
        desks=1,
        slot_capacity=1,
        services=["recording"],
    )


def _book(session, citizen, index):
    slot = session.slots.order_by("starts_at")[index]
    return appointment_book(slot=slot, citizen=citizen, service="recording", reason="new").appointment


@pytest.fixture
def full(session, day):
    return [_book(session, citizen_aged(30, on=day), index) for index in range(2)]


def _join(session, citizen, **contacts):
    contacts = contacts or {"phone": "081200000001"}
    return waitlist_join(session=session, citizen=citizen, service="recording", reason="new", **contacts)


def test_joining_needs_a_full_session_and_a_contact_and_keeps_the_order(session, day):
    waiting = citizen_aged(20, on=day)
    with pytest.raises(SessionNotFullError):
        _join(session, waiting)
    for index in range(2):
        _book(session, citizen_aged(30, on=day), index)
    first = _join(session, waiting)
    second = _join(session, citizen_aged(21, on=day), email="b@example.id")
    assert _join(session, waiting).pk == first.pk  # joining again: the same entry
    assert first.status == second.status == "waiting"
    assert [e.pk for e in WaitlistEntry.objects.order_by("created_at", "pk")] == [first.pk, second.pk]
    with pytest.raises(WaitlistContactRequiredError):
        waitlist_join(session=session, citizen=citizen_aged(22, on=day), service="recording", reason="new")


def test_a_cancelled_place_is_offered_to_the_first_in_line_and_held(
    client, session, full, day, django_capture_on_commit_callbacks
):
    first = _join(session, citizen_aged(20, on=day))
    second = _join(session, citizen_aged(21, on=day))
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=full[0])
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "offered" and second.status == "waiting"
    slot = first.offered_slot
    assert slot.pk == full[0].slot_id
    assert slot.booked == slot.capacity == 1  # held for the offer
    # Held: the public can neither see nor book it.
    assert not slots_bookable(session_id=session.pk).exists()
    with pytest.raises(SlotFullError):
        appointment_book(slot=slot, citizen=citizen_aged(40, on=day), service="recording", reason="new")
    # The offer went by SMS with a signed link that opens the offer page.
    assert [sms["to"] for sms in LocmemSMSBackend.outbox] == ["081200000001"]
    path = OFFER_RE.search(LocmemSMSBackend.outbox[0]["text"]).group(1)
    page = client.get(path)
    assert page.status_code == 200 and 'data-testid="offer-open"' in page.content.decode()
    # Accepting books it through the booking service: an active booking, the place counted once.
    assert "?" not in path  # the signed value is a path segment, never a query string
    response = client.post(path, {"action": "accept"})
    assert response.status_code == 303
    first.refresh_from_db()
    assert first.status == "booked" and first.appointment.status == "active"
    assert first.appointment.citizen_id == first.citizen_id
    slot.refresh_from_db()
    assert slot.booked == 1
    assert client.get(response["Location"]).status_code == 200


def test_an_offer_not_taken_in_time_goes_to_the_next(session, full, day, django_capture_on_commit_callbacks):
    first = _join(session, citizen_aged(20, on=day))
    second = _join(session, citizen_aged(21, on=day))
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=full[1])
    first.refresh_from_db()
    assert first.status == "offered"
    later = first.offer_expires_at + dt.timedelta(seconds=1)
    assert waitlist_sweep(now=later) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "expired" and second.status == "offered"
    assert second.offered_slot.booked == 1
    with pytest.raises(OfferGoneError):
        waitlist_offer_accept(entry=first, now=later)
    assert not Appointment.objects.filter(citizen=first.citizen).exists()


def test_declining_passes_the_place_on_and_the_link_is_bound_to_its_offer(
    client, session, full, day, django_capture_on_commit_callbacks
):
    first = _join(session, citizen_aged(20, on=day))
    second = _join(session, citizen_aged(21, on=day))
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=full[0])
    first.refresh_from_db()
    path = offer_path(first)
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"/waitlist/{first.pk}/x{token}/").status_code == 404
    assert client.get(f"/waitlist/{second.pk}/{token}/").status_code == 404
    # A link of the older form (`?token=`) is sent on to the path form.
    old = client.get(f"/waitlist/{first.pk}/", {"token": token})
    assert old.status_code == 302 and old["Location"] == path
    with django_capture_on_commit_callbacks(execute=True):
        assert waitlist_offer_decline(entry=first)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "left" and second.status == "offered"
    page = client.get(path)
    assert 'data-testid="offer-closed"' in page.content.decode()
    gone = client.post(path, {"action": "accept"})
    assert gone.status_code == 409


def test_the_join_page_answers_generically_until_identity_matches(client, session, full, day):
    citizen = citizen_aged(20, on=day)
    data = {"nik": citizen.nik, "kk": "3319010101208888", "service": "recording", "reason": "new"}
    wrong = client.post(f"/sessions/{session.pk}/waitlist/", {**data, "phone": "081200000009"})
    assert wrong.status_code == 200
    assert str(IdentityMismatchError().message).split(".")[0] in wrong.content.decode()
    no_contact = client.post(f"/sessions/{session.pk}/waitlist/", {**data, "kk": citizen.kk})
    with translation.override("id"):
        contact_required = str(WaitlistContactRequiredError().message)
    assert contact_required in no_contact.content.decode()
    joined = client.post(
        f"/sessions/{session.pk}/waitlist/", {**data, "kk": citizen.kk, "phone": "081200000009"}
    )
    assert 'data-testid="waitlist-joined"' in joined.content.decode()
    assert WaitlistEntry.objects.get().citizen == citizen
    assert client.get(f"/sessions/{session.pk}/waitlist/").status_code == 200
    assert client.get("/sessions/999999/waitlist/").status_code == 404
    assert client.get("/sessions/99999999999999999999999/waitlist/").status_code == 404
    assert client.get("/waitlist/99999999999999999999999/x/").status_code == 404
    assert client.get("/waitlist/1/").status_code == 404  # no token at all
    assert client.post("/waitlist/1/", {"token": "x" * 5000, "action": "accept"}).status_code == 404
    booking_page = client.get(f"/appointments/new/?session={session.pk}").content.decode()
    assert f"/sessions/{session.pk}/waitlist/" in booking_page


def test_entries_and_their_contacts_are_deleted_after_the_retention_period(session, full, day, settings):
    from core.retention import retention_apply

    _join(session, citizen_aged(20, on=day))
    kept = dt.datetime.combine(
        day + dt.timedelta(days=settings.SCHEDULES_CONTACT_RETENTION_DAYS), dt.time(12)
    )
    assert retention_apply(now=timezone.make_aware(kept))["waitlist_entries"] == 0
    assert WaitlistEntry.objects.count() == 1
    gone = kept + dt.timedelta(days=1)
    assert retention_apply(now=timezone.make_aware(gone))["waitlist_entries"] == 1
    assert not WaitlistEntry.objects.exists()


def test_who_booked_elsewhere_meanwhile_is_passed_over(
    session, full, day, regions, django_capture_on_commit_callbacks
):
    first_citizen = citizen_aged(20, on=day)
    first = _join(session, first_citizen)
    second = _join(session, citizen_aged(21, on=day))
    elsewhere = OutreachSessionFactory(date=day, services=["recording"])
    appointment_book(
        slot=elsewhere.slots.order_by("starts_at").first(),
        citizen=first_citizen,
        service="recording",
        reason="new",
    )
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=full[0])
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "left" and second.status == "offered"


def test_the_join_page_gives_a_link_to_leave_the_list_which_passes_any_offer_on(
    client, session, full, day, django_capture_on_commit_callbacks
):
    citizen = citizen_aged(20, on=day)
    data = {
        "nik": citizen.nik,
        "kk": citizen.kk,
        "service": "recording",
        "reason": "new",
        "phone": "0812000001",
    }
    joined = client.post(f"/sessions/{session.pk}/waitlist/", data).content.decode()
    leave = re.search(r'href="(/waitlist/(\d+)/([^/"]+)/leave/)" data-testid="waitlist-leave-link"', joined)
    entry = WaitlistEntry.objects.get(pk=int(leave.group(2)))
    second = _join(session, citizen_aged(21, on=day))
    page = client.get(leave.group(1)).content.decode()
    assert "nomor 1." in page and 'data-testid="waitlist-leave"' in page  # Indonesian first
    # The link is bound to its entry: another entry, a changed value or an offer's link open nothing.
    assert client.get(f"/waitlist/{second.pk}/{leave.group(3)}/leave/").status_code == 404
    assert client.get(f"/waitlist/{entry.pk}/x{leave.group(3)}/leave/").status_code == 404
    # Leaving while a place is offered gives the place to the next in line.
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=full[0])
    entry.refresh_from_db()
    assert entry.status == "offered"
    assert (
        client.get(
            f"/waitlist/{entry.pk}/{offer_path(entry).rstrip('/').rsplit('/', 1)[1]}/leave/"
        ).status_code
        == 404
    )
    with django_capture_on_commit_callbacks(execute=True):
        left = client.post(leave.group(1)).content.decode()
    assert 'data-testid="waitlist-left"' in left
    entry.refresh_from_db()
    second.refresh_from_db()
    assert entry.status == "left" and second.status == "offered"
    assert second.offered_slot.booked == 1  # the held place moved, never counted twice
    again = client.post(leave.group(1)).content.decode()
    assert 'data-testid="waitlist-ended"' in again


def test_leaving_while_waiting_ends_the_entry_once(session, full, day):
    entry = _join(session, citizen_aged(20, on=day))
    assert waitlist_leave(entry=entry)
    entry.refresh_from_db()
    assert entry.status == "left" and entry.closed_at is not None
    assert not waitlist_leave(entry=entry)
    assert _join(session, citizen_aged(20, on=day)).pk != entry.pk  # may join again later
