"""The citizen's slot picker: sessions grouped by day, ended ones hidden, "full" and "booking closed"
told apart, the earliest free time first, one session's times as buttons, directions links."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from schedules.demo import CFD_VENUE, schedules_demo_seed
from schedules.models import OutreachSession, Slot
from schedules.services import appointment_book
from tests.factories import OutreachSessionFactory, citizen_aged

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")
TODAY = dt.date(2031, 3, 4)  # a Tuesday, no holiday
NOW = dt.datetime(2031, 3, 4, 10, 0, tzinfo=WIB)


@pytest.fixture
def clock(monkeypatch):
    """Pages read the clock through django.utils.timezone.now: fixed at 10:00 WIB on TODAY."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


def titles(response) -> list[str]:
    return re.findall(r"<h4>([^<]+)</h4>", response.content.decode())


def test_ended_sessions_are_hidden_and_full_and_closed_are_told_apart(client, regions, clock):
    OutreachSessionFactory(date=TODAY, title="Pagi selesai", start_time=dt.time(6), end_time=dt.time(9))
    # Still running, but every slot starts within the 30-minute cut-off: booking closed.
    OutreachSessionFactory(
        date=TODAY, title="Sedang berjalan", start_time=dt.time(8), end_time=dt.time(10, 15)
    )
    full = OutreachSessionFactory(date=TODAY + dt.timedelta(days=1), title="Sudah penuh")
    Slot.objects.filter(session=full).update(booked=F("capacity"))
    OutreachSessionFactory(date=TODAY + dt.timedelta(days=2), title="Masih ada")

    response = client.get("/")
    content = response.content.decode()
    assert titles(response) == ["Sedang berjalan", "Sudah penuh", "Masih ada"]
    cards = dict(zip(titles(response), re.split(r"<h4>", content)[1:], strict=True))
    assert "Pendaftaran ditutup" in cards["Sedang berjalan"] and "Penuh" not in cards["Sedang berjalan"]
    assert "Penuh" in cards["Sudah penuh"] and "Pendaftaran ditutup" not in cards["Sudah penuh"]
    assert "Jam kosong paling awal: 08:00 WIB" in cards["Masih ada"]
    # Grouped by day: one heading per day, in order.
    days = re.findall(r'<h3 class="day-heading" id="day-\d+"><time datetime="([\d-]+)"', content)
    assert days == [str(TODAY), str(TODAY + dt.timedelta(days=1)), str(TODAY + dt.timedelta(days=2))]


def test_the_earliest_free_time_comes_first_on_the_list_and_the_booking_page(client, regions, clock):
    later = OutreachSessionFactory(date=TODAY + dt.timedelta(days=1), title="Besok", start_time=dt.time(8))
    sooner = OutreachSessionFactory(
        date=TODAY + dt.timedelta(days=1), title="Besok pagi", start_time=dt.time(7)
    )
    # The first two times of the 07:00 session are taken: its earliest free time is 07:15.
    first = sooner.slots.order_by("starts_at").first()
    Slot.objects.filter(pk=first.pk).update(booked=F("capacity"))

    home = client.get("/").content.decode()
    earliest = re.search(r'data-testid="earliest-free">(.*?)</p>', home, re.S).group(1)
    assert "07:15 WIB" in earliest and f"?session={sooner.pk}" in earliest

    chooser = client.get("/appointments/new/").content.decode()
    assert 'name="slot"' not in chooser and "<select" not in chooser.split("<main")[1].split("</main>")[0]
    links = re.findall(r'href="/appointments/new/\?session=(\d+)"', chooser)
    assert links[:3] == [str(sooner.pk), str(sooner.pk), str(later.pk)]  # earliest card, then the list


def test_the_form_offers_only_the_chosen_sessions_times_as_buttons(client, regions, clock):
    chosen = OutreachSessionFactory(date=TODAY + dt.timedelta(days=1), services=["recording"])
    other = OutreachSessionFactory(date=TODAY + dt.timedelta(days=1), venue_name="Alun-alun")
    Slot.objects.filter(pk=chosen.slots.order_by("starts_at")[1].pk).update(booked=F("capacity"))

    content = client.get(f"/appointments/new/?session={chosen.pk}").content.decode()
    offered = {int(pk) for pk in re.findall(r'type="radio" name="slot" value="(\d+)"', content)}
    open_slots = set(chosen.slots.filter(booked__lt=F("capacity")).values_list("pk", flat=True))
    assert offered == open_slots and len(offered) == chosen.slots.count() - 1
    assert not offered & set(other.slots.values_list("pk", flat=True))
    assert '<select name="slot"' not in content
    assert "08:00–08:15 · sisa" in content


def test_a_refused_booking_shows_the_times_of_the_same_session_again(client, regions, clock):
    session = OutreachSessionFactory(date=TODAY + dt.timedelta(days=1), services=["recording"])
    OutreachSessionFactory(date=TODAY + dt.timedelta(days=1), title="Lain")
    slot = session.slots.order_by("starts_at")[0]
    page = client.get(f"/appointments/new/?session={session.pk}").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    data = {
        "nik": "12",
        "birth_date": "2000-01-01",
        "service": "recording",
        "reason": "new",
        "slot": str(slot.pk),
        "form_token": token,
    }
    response = client.post("/appointments/new/", data)
    content = response.content.decode()
    assert response.status_code == 200 and 'class="errorlist"' in content
    offered = {int(pk) for pk in re.findall(r'type="radio" name="slot" value="(\d+)"', content)}
    assert offered == set(session.slots.values_list("pk", flat=True))
    assert f'value="{slot.pk}"' in content and "checked" in content


def test_reschedule_offers_one_sessions_times_and_other_sessions_as_links(client, regions, clock):
    session = OutreachSessionFactory(date=TODAY + dt.timedelta(days=1), services=["recording"])
    other = OutreachSessionFactory(date=TODAY + dt.timedelta(days=2), services=["recording"])
    day = TODAY + dt.timedelta(days=1)
    result = appointment_book(
        slot=session.slots.order_by("starts_at")[0],
        citizen=citizen_aged(20, on=day),
        service="recording",
        reason="new",
        now=NOW,
    )
    url = f"/appointments/{result.appointment.code}/m/{result.manage_token}/"
    content = client.get(url).content.decode()
    offered = {int(pk) for pk in re.findall(r'type="radio" name="slot" value="(\d+)"', content)}
    assert offered == set(session.slots.exclude(pk=result.appointment.slot_id).values_list("pk", flat=True))
    assert f"/m/{result.manage_token}/?session={other.pk}#move" in content

    picked = client.get(f"{url}?session={other.pk}").content.decode()
    offered = {int(pk) for pk in re.findall(r'type="radio" name="slot" value="(\d+)"', picked)}
    assert offered == set(other.slots.values_list("pk", flat=True))
    target = other.slots.order_by("starts_at")[2]
    moved = client.post(
        f"/appointments/{result.appointment.code}/reschedule/",
        {"token": result.manage_token, "slot": target.pk},
    )
    assert moved.status_code == 303
    result.appointment.refresh_from_db()
    assert result.appointment.slot == target


def test_venues_with_coordinates_have_an_openstreetmap_directions_link(client, regions, clock):
    OutreachSessionFactory(
        date=TODAY + dt.timedelta(days=1),
        title="CFD",
        latitude=Decimal("-6.804800"),
        longitude=Decimal("110.840500"),
    )
    OutreachSessionFactory(date=TODAY + dt.timedelta(days=1), title="Tanpa titik")
    content = client.get("/").content.decode()
    assert content.count('data-testid="directions"') == 1
    assert 'href="https://www.openstreetmap.org/directions?to=-6.8048,110.8405"' in content
    assert "tile.openstreetmap" not in content and "leaflet" not in content.lower()


def test_the_demo_venues_have_kudus_coordinates(regions):
    schedules_demo_seed(today=TODAY)
    cfd = OutreachSession.objects.filter(venue_name=CFD_VENUE).first()
    assert cfd.directions_url == "https://www.openstreetmap.org/directions?to=-6.8048,110.8405"
    offices = OutreachSession.objects.filter(kind__in=["kecamatan", "office", "cfd"])
    assert offices.exists() and not offices.filter(latitude__isnull=True).exists()
    # Every demo point lies inside Kabupaten Kudus (about 6.67–6.93 S, 110.75–110.98 E).
    for lat, lon in offices.values_list("latitude", "longitude"):
        assert Decimal("-6.93") < lat < Decimal("-6.67") and Decimal("110.75") < lon < Decimal("110.98")
