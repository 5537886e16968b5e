"""The printable daily report: coverage as of the day, sessions, requests per service, stock."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings

from blanks.services import blank_receive
from regions.models import Kecamatan
from registrations.services.service_requests import (
    service_request_cancel,
    service_request_complete,
    service_request_create,
    service_request_start,
)
from schedules.services import appointment_book
from schedules.services.appointments import session_mark_no_shows
from schedules.services.queue import appointment_check_in, walk_in_register
from tests.factories import (
    OutreachSessionFactory,
    citizen_aged,
    coverage_run_with,
    printable_citizen,
    stocked_location,
)

WIB = dt.timezone(dt.timedelta(hours=7))
DAY = dt.date(2024, 2, 11)
BOOKING_TIME = dt.datetime(2024, 2, 5, 10, 0, tzinfo=WIB)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), WIB)


def squeeze(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def the_day(regions, supervisor, settings):
    settings.SMS_BACKEND = "schedules.messaging.LocmemSMSBackend"
    coverage_run_with(reference_date=DAY - dt.timedelta(days=1), kabupaten=(643_069, 641_000))
    coverage_run_with(reference_date=DAY, kabupaten=(643_069, 641_171))
    coverage_run_with(reference_date=DAY + dt.timedelta(days=1), kabupaten=(643_069, 642_000))
    session = OutreachSessionFactory(
        date=DAY,
        title="CFD Simpang Tujuh",
        kind="cfd",
        kecamatan="33.19.02",
        start_time=dt.time(6),
        end_time=dt.time(9),
        # Recording only: a check-in's visit then holds the booked recording alone (the printing
        # and IKD requests of the day below are opened apart).
        services=("recording",),
    )
    slots = list(session.slots.order_by("starts_at"))
    codes = []
    for index in range(3):
        citizen = citizen_aged(20 + index, on=DAY, desa_id="33.19.02.1001", area6="331902")
        booking = appointment_book(
            slot=slots[index], citizen=citizen, service="recording", reason="new", now=BOOKING_TIME
        )
        codes.append(booking.appointment.code)
    ticket = appointment_check_in(code=codes[0], actor=supervisor, now=at(6, 10))
    walk_in_register(
        session=session,
        citizen=citizen_aged(30, on=DAY, desa_id="33.19.02.1001", area6="331902"),
        service="recording",
        reason="new",
        actor=supervisor,
        now=at(6, 20),
    )
    session_mark_no_shows(session_id=session.pk, now=at(11))  # the two others never came
    service_request_start(service_request=ticket.service_request, actor=supervisor, now=at(6, 30))
    service_request_complete(service_request=ticket.service_request, actor=supervisor, now=at(6, 40))

    location = stocked_location(
        0, code="KEC-02", name="Kecamatan Kota", kecamatan=Kecamatan.objects.get(code="33.19.02")
    )
    blank_receive(location=location, quantity=50, reference="DO-1", now=at(9, 0, DAY - dt.timedelta(days=1)))
    blank_receive(location=location, quantity=20, reference="DO-2", now=at(7, 0))
    printing = service_request_create(
        citizen=printable_citizen(desa_id="33.19.02.1001", area6="331902"),
        service="printing",
        reason="new",
        channel="office",
        actor=supervisor,
        now=at(7, 5),
    )
    service_request_start(service_request=printing, actor=supervisor, location=location, now=at(7, 10))
    service_request_complete(service_request=printing, actor=supervisor, now=at(7, 20))
    other = service_request_create(
        citizen=printable_citizen(desa_id="33.19.02.1001", area6="331902"),
        service="ikd_activation",
        reason="new",
        channel="office",
        now=at(8),
    )
    service_request_cancel(service_request=other, actor=supervisor, reason="no phone", now=at(8, 30))
    return session


def test_the_report_gives_the_coverage_as_of_that_day(client, supervisor, the_day):
    client.force_login(supervisor)
    page = squeeze(client.get("/dashboard/report/daily/", {"date": DAY.isoformat()}))
    assert '<strong data-testid="report-coverage">99,70%</strong>641.171 / 643.069' in page


def test_the_report_counts_bookings_check_ins_no_shows_and_walk_ins(client, supervisor, the_day):
    client.force_login(supervisor)
    page = squeeze(client.get("/dashboard/report/daily/", {"date": DAY.isoformat()}))
    row = re.search(r"CFD Simpang Tujuh.*?</tr>", page).group(0)
    cells = re.findall(r"<td>([^<]*)</td>", row)
    capacity = int(cells[0].replace(".", ""))
    assert capacity > 0
    assert cells[1:] == ["3", "1", "2", "0", "1"]  # booked, checked in, no-shows, not yet arrived, walk-ins


def test_the_report_counts_requests_completed_per_service(client, supervisor, the_day):
    client.force_login(supervisor)
    page = squeeze(client.get("/dashboard/report/daily/", {"date": DAY.isoformat()}))
    assert '<td data-testid="completed-recording">1</td><td>2</td><td>0</td>' in page
    assert '<td data-testid="completed-printing">1</td><td>1</td><td>0</td>' in page
    assert '<td data-testid="completed-ikd_activation">0</td><td>1</td><td>1</td>' in page


def test_the_report_lists_the_stock_movements_of_the_day(client, supervisor, the_day):
    client.force_login(supervisor)
    page = squeeze(client.get("/dashboard/report/daily/", {"date": DAY.isoformat()}))
    row = re.search(r'<th scope="row">Kecamatan Kota</th>.*?</tr>', page).group(0)
    # opening 50, received 20, transfers 0/0, issued 1, spoiled 0, adjusted 0, closing 69
    assert re.findall(r"<td>([^<]*)</td>", row) == ["50", "20", "0", "0", "1", "0", "0", "69"]


def test_an_operator_of_another_kecamatan_sees_none_of_it(client, jati_operator, the_day):
    client.force_login(jati_operator)  # Jati
    page = squeeze(client.get("/dashboard/report/daily/", {"date": DAY.isoformat()}))
    assert "CFD Simpang Tujuh" not in page and "Kecamatan Kota" not in page
    assert '<td data-testid="completed-recording">0</td>' in page
    assert "99,70%" in page  # the kabupaten coverage is an aggregate everyone may read


def test_the_report_is_a_printable_page(client, supervisor, db):
    client.force_login(supervisor)
    response = client.get("/dashboard/report/daily/", {"date": "not-a-date"})
    assert response.status_code == 200  # today instead
    page = response.content.decode()
    assert "css/dashboard-insight.css" in page and '<div class="report">' in page
    css = (Path(settings.BASE_DIR) / "static/css/dashboard-insight.css").read_text()
    print_rules = css.split("@media print", 1)[1]
    assert "@page" in print_rules and ".site-header" in print_rules and "display: none" in print_rules
