"""The rush page's cache (schedules/public_list.py): the public session list is served from the cache,
and shows the right places left again as soon as a booking, a cancel, a capacity change or a session
change commits."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.utils import timezone

from kudus_capil.settings import CACHES as PORTAL_CACHES
from schedules import public_list
from schedules.models import Appointment, Slot
from schedules.services import (
    appointment_book,
    appointment_cancel,
    session_cancel,
    session_update,
    slot_remove,
)
from tests.factories import OutreachSessionFactory, citizen_aged

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_on(settings):
    """The portal's own caches (the database cache), not the in-memory ones of tests/schedules."""
    settings.CACHES = PORTAL_CACHES
    settings.SCHEDULES_PUBLIC_LIST_CACHE_SECONDS = 60


@pytest.fixture
def day():
    return timezone.localdate() + dt.timedelta(days=3)


@pytest.fixture
def session(regions, day):
    # 12 slots of 2 places: 24 places.
    return OutreachSessionFactory(
        date=day, title="Pelayanan Kecamatan Kaliwungu", services=["recording", "printing"], slot_capacity=2
    )


def first_slot(session) -> Slot:
    return session.slots.order_by("starts_at")[0]


def places(client, path="/") -> str:
    content = client.get(path).content.decode()
    start = content.index('data-testid="remaining">') + len('data-testid="remaining">')
    return content[start : content.index("<", start)]


def cached_fragments() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM kudus_cache WHERE cache_key LIKE %s",
            [f"%{public_list.KEY_PREFIX}:%:%"],
        )
        return cursor.fetchone()[0]


def book(session, day):
    return appointment_book(
        slot=first_slot(session), citizen=citizen_aged(30, on=day), service="recording", reason="new"
    ).appointment


def test_the_list_is_served_from_the_cache_until_something_changes(
    client, session, django_capture_on_commit_callbacks
):
    """The control: a change that bypasses the signals (a bare UPDATE) is not seen — the page really
    comes from the cache — until `public_list_changed()` is called after it commits."""
    assert places(client) == "sisa 24 tempat"
    Slot.objects.filter(pk=first_slot(session).pk).update(booked=F("booked") + 1)
    assert places(client) == "sisa 24 tempat"  # this worker's copy
    public_list._local.clear()  # as another worker, which has none: the shared copy
    assert places(client) == "sisa 24 tempat"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "SCHEDULES_PUBLIC_LIST_CACHE_SECONDS", 0)
        assert places(client) == "sisa 23 tempat"  # the database already says 23
    with django_capture_on_commit_callbacks(execute=True):
        public_list.public_list_changed()
    assert places(client) == "sisa 23 tempat"


def test_a_booking_and_its_cancel_show_at_once(client, session, day, django_capture_on_commit_callbacks):
    assert places(client) == "sisa 24 tempat"
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(session, day)
    assert places(client) == "sisa 23 tempat"
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=appointment)
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.CANCELLED
    assert places(client) == "sisa 24 tempat"


def test_nothing_is_invalidated_before_the_transaction_commits(
    client, session, day, django_capture_on_commit_callbacks
):
    """Invalidation waits for the commit: a reader between the two would otherwise cache the old
    figures under the new version."""
    assert places(client) == "sisa 24 tempat"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        book(session, day)
    assert places(client) == "sisa 24 tempat"  # not committed yet, as far as the cache knows
    for callback in callbacks:
        callback()
    assert places(client) == "sisa 23 tempat"


def test_a_capacity_change_shows_at_once(client, session, day, django_capture_on_commit_callbacks):
    assert places(client) == "sisa 24 tempat"
    slot = first_slot(session)
    with django_capture_on_commit_callbacks(execute=True):
        slot.capacity = 7  # as the admin's slot inline saves it
        slot.save(update_fields=["capacity"])
    assert places(client) == "sisa 29 tempat"
    with django_capture_on_commit_callbacks(execute=True):
        slot_remove(slot=slot)
    assert places(client) == "sisa 22 tempat"


def test_a_session_change_or_cancel_shows_at_once(client, session, day, django_capture_on_commit_callbacks):
    assert "Pelayanan Kecamatan Kaliwungu" in client.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        session_update(session=session, title="Pelayanan Desa Bakalan Krapyak")
    content = client.get("/").content.decode()
    assert "Pelayanan Desa Bakalan Krapyak" in content and "Pelayanan Kecamatan Kaliwungu" not in content
    with django_capture_on_commit_callbacks(execute=True):
        session_cancel(session=session)
    assert "Pelayanan Desa Bakalan Krapyak" not in client.get("/").content.decode()


def test_each_language_and_filter_has_its_own_entry(client, session, day):
    assert places(client) == "sisa 24 tempat"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert places(client) == "24 places left"
    assert places(client, "/?service=recording") == "24 places left"
    assert "No upcoming sessions match" in client.get("/?service=ikd_activation").content.decode()
    assert cached_fragments() == 4  # one per language, filter and page


@pytest.mark.parametrize(
    "query",
    ["page=999999", "page=abc", "page=-1", "page=" + "1" * 50, "page=2", "service=x", "kecamatan=33.19.99"],
)
def test_pages_or_filters_that_do_not_exist_are_answered_but_never_cached(client, session, query):
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    assert 'data-testid="session"' in response.content.decode()  # page 1 (the only one), unfiltered
    assert cached_fragments() == 0
    client.get("/?page=1")
    assert cached_fragments() == 1


def test_a_lost_version_key_never_brings_back_an_old_fragment(client, session):
    """The database cache culls entries past CACHE_MAX_ENTRIES: without its version key the list
    starts a new random version, so fragments of the old one are never served again."""
    assert places(client) == "sisa 24 tempat"
    Slot.objects.filter(pk=first_slot(session).pk).update(booked=F("booked") + 2)
    cache.delete(public_list.VERSION_KEY)
    assert places(client) == "sisa 22 tempat"


@pytest.mark.django_db(transaction=True)
def test_a_committed_booking_through_the_form_invalidates_without_help(client, session, day):
    """No test helper: the booking form's transaction commits, its signals' on-commit hook runs."""
    assert places(client) == "sisa 24 tempat"
    citizen = citizen_aged(30, on=day)
    page = client.get(f"/appointments/new/?session={session.pk}").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/appointments/new/",
        {"nik": citizen.nik, "kk": citizen.kk, "service": "recording", "reason": "new",
         "slot": str(first_slot(session).pk), "phone": "", "email": "", "form_token": token},
    )  # fmt: skip
    assert response.status_code == 303
    assert places(client) == "sisa 23 tempat"


def test_a_booking_saved_without_a_change_of_place_keeps_the_list(
    client, session, day, django_capture_on_commit_callbacks
):
    """A reminder or confirmation marked as sent re-renders nothing (the rush sends one per booking)."""
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(session, day)
    assert places(client) == "sisa 23 tempat"
    Slot.objects.filter(pk=first_slot(session).pk).update(booked=F("booked") + 1)  # unseen change
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        appointment.reminder_sent_at = timezone.now()
        appointment.save(update_fields=["reminder_sent_at"])
    assert not callbacks and places(client) == "sisa 23 tempat"
    with django_capture_on_commit_callbacks(execute=True):
        appointment.save(update_fields=["status"])
    assert places(client) == "sisa 22 tempat"
