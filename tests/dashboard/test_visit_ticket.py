"""The printed queue ticket (issue 14): what it holds, who may open it, and the desk's print button."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from schedules.models import QueueTicket
from schedules.services import appointment_book
from schedules.services.queue import appointment_check_in, walk_in_register
from tests.factories import OutreachSessionFactory, citizen_aged


@pytest.fixture
def session(regions):
    return OutreachSessionFactory(
        date=timezone.localdate(), title="CFD Simpang Tujuh", venue_name="Alun-alun", kind="cfd",
        kecamatan="33.19.01", desks=2, start_time=timezone.datetime.min.time(),
        end_time=timezone.datetime.max.time().replace(microsecond=0, second=0),
    )  # fmt: skip


def ticket_url(ticket: QueueTicket, *, session=None) -> str:
    return f"/dashboard/sessions/{(session or ticket.session).pk}/visits/{ticket.pk}/ticket/"


def test_a_walk_in_ticket_shows_number_services_session_time_and_qr_but_no_person(
    as_user, field_staff, session
):
    voter = citizen_aged(17, on=timezone.localdate(), days_after_birthday=5, full_name="Pemilih Pemula")
    ticket = walk_in_register(session=session, citizen=voter, actor=field_staff)
    page = as_user(field_staff).get(ticket_url(ticket)).content.decode()
    assert 'data-testid="ticket-number">001<' in page
    services = re.search(r'data-testid="ticket-services">(.*?)</ol>', page).group(1)
    assert re.findall(r"<li>(.*?)</li>", services) == [
        "Recording",
        "Printing",
        "IKD activation",
    ]  # (English client)
    assert "CFD Simpang Tujuh" in page and "Alun-alun" in page
    assert timezone.localtime(ticket.issued_at).strftime("%H:%M") in page
    assert f"S{session.pk}-001" in page and 'src="data:image/svg+xml' in page
    assert voter.nik not in page and voter.full_name not in page
    assert "<style" not in page and re.findall(r"<script(?![^>]* src=)", page) == []


def test_a_booking_ticket_holds_the_booking_code(as_user, field_staff, session):
    citizen = citizen_aged(30, on=timezone.localdate())
    slot = session.slots.order_by("starts_at").last()
    booking = appointment_book(  # booked the day before (whatever the time of the run)
        slot=slot,
        citizen=citizen,
        service="recording",
        reason="new",
        now=timezone.make_aware(dt.datetime.combine(timezone.localdate() - dt.timedelta(days=1), dt.time(9))),
    ).appointment
    ticket = appointment_check_in(code=booking.code, actor=field_staff, session=session)
    page = as_user(field_staff).get(ticket_url(ticket)).content.decode()
    assert f'<p class="ticket-code">{booking.code}</p>' in page


def test_the_ticket_is_only_for_desk_staff_of_the_session(
    as_user, field_staff, jati_operator, viewer, session
):
    ticket = walk_in_register(
        session=session,
        citizen=citizen_aged(25, on=timezone.localdate()),
        service="recording",
        actor=field_staff,
    )
    other = OutreachSessionFactory(date=timezone.localdate(), kecamatan="33.19.01")
    assert as_user(jati_operator).get(ticket_url(ticket)).status_code == 404  # another kecamatan
    assert as_user(viewer).get(ticket_url(ticket)).status_code == 403
    assert as_user(field_staff).get(ticket_url(ticket, session=other)).status_code == 404
    assert (
        as_user(field_staff).get(f"/dashboard/sessions/{session.pk}/visits/999999/ticket/").status_code == 404
    )


def test_registering_a_walk_in_offers_its_ticket_to_print_in_one_click(as_user, field_staff, session):
    voter = citizen_aged(17, on=timezone.localdate(), days_after_birthday=5)
    response = as_user(field_staff).post(
        f"/dashboard/sessions/{session.pk}/walk-in/",
        {"walkin-nik": voter.nik, "walkin-birth_date": voter.birth_date.isoformat(), "walkin-reason": "new"},
        follow=True,
    )
    ticket = QueueTicket.objects.get()
    page = response.content.decode()
    assert response.redirect_chain[-1][0].endswith(f"?issued={ticket.pk}")
    assert f'href="{ticket_url(ticket)}?print=1" target="_blank" data-testid="print-issued"' in page
    # A number of another session is never offered.
    other = OutreachSessionFactory(date=timezone.localdate(), kecamatan="33.19.01")
    page = as_user(field_staff).get(f"/dashboard/sessions/{other.pk}/check-in/?issued={ticket.pk}")
    assert 'data-testid="print-issued"' not in page.content.decode()
    assert (
        as_user(field_staff).get(f"/dashboard/sessions/{session.pk}/check-in/?issued=x%00").status_code == 200
    )


def test_a_walk_in_ticket_scanned_at_the_desk_shows_where_the_visit_stands(as_user, field_staff, session):
    voter = citizen_aged(17, on=timezone.localdate(), days_after_birthday=5, full_name="Pemilih Pemula")
    ticket = walk_in_register(session=session, citizen=voter, actor=field_staff)
    client = as_user(field_staff)
    desk = f"/dashboard/sessions/{session.pk}/check-in/"

    page = client.get(desk, {"code": f"s{session.pk}-001 "}).content.decode()  # as a scanner types it

    found = re.search(r'data-testid="ticket-found">(.*?)</p>', page, flags=re.S).group(1)
    assert ">001<" in found and "Pemilih Pemula" in found
    assert re.search(r'data-testid="ticket-status">waiting<', page)
    assert "Recording → Printing → IKD activation" in page
    assert f"/visits/{ticket.pk}/ticket/?print=1" in page
    other = OutreachSessionFactory(date=timezone.localdate(), kecamatan="33.19.01")
    for wrong in (f"S{other.pk}-001", f"S{session.pk}-002"):  # another session's ticket, no such number
        page = client.get(desk, {"code": wrong}).content.decode()
        assert "ticket-found" not in page and "No ticket with this number at this session." in page
