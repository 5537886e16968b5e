"""The overview page: coverage from the latest snapshot, localized figures, scoping, sessions, stock."""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from blanks.models import StockAlert
from blanks.services import stock_alerts_check
from core.models import OutboxMessage
from regions.models import Kecamatan
from registrations.coverage import coverage_recompute
from registrations.services.service_requests import (
    service_request_complete,
    service_request_create,
    service_request_start,
)
from schedules.services import appointment_book
from schedules.services.queue import appointment_check_in
from tests.factories import (
    CitizenFactory,
    OutreachSessionFactory,
    citizen_aged,
    coverage_run_with,
    printable_citizen,
    stocked_location,
)

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")
KECAMATAN = {
    "33.19.01": (70_000, 69_900),  # gap 100
    "33.19.02": (90_000, 89_000),  # gap 1,000
    "33.19.03": (60_000, 59_500),  # gap 500
}


def kecamatan(code: str) -> Kecamatan:
    return Kecamatan.objects.get(code=code)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def chart_data(response) -> dict:
    match = re.search(
        r'<script id="overview-chart-data" type="application/json">(.*?)</script>', text(response)
    )
    return json.loads(match.group(1))


def test_the_kabupaten_figure_is_written_the_indonesian_way(client, supervisor):
    coverage_run_with(kecamatan=KECAMATAN)
    client.force_login(supervisor)
    page = text(client.get("/dashboard/"))
    assert '<span data-testid="coverage-pct">99,70%</span>' in page
    assert '<strong data-testid="recorded">641.171</strong>' in page
    assert '<strong data-testid="wajib-ktp">643.069</strong>' in page
    assert '<strong class="bad" data-testid="unrecorded">1.898</strong>' in page
    # The gauge's value is a machine number whatever the language.
    assert 'value="99.7"' in page
    assert '<p class="mid-figure" data-testid="cohort-pemula">96,25%</p>' in page


def test_in_english_the_same_figures_use_english_separators(client, supervisor):
    coverage_run_with(kecamatan=KECAMATAN)
    client.force_login(supervisor)
    client.post("/i18n/setlang/", {"language": "en", "next": "/dashboard/"})
    page = text(client.get("/dashboard/"))
    assert '<span data-testid="coverage-pct">99.70%</span>' in page
    assert '<strong data-testid="recorded">641,171</strong>' in page


def test_the_overview_reads_snapshots_and_never_counts_citizens(
    client, supervisor, django_assert_max_num_queries
):
    CitizenFactory.create_batch(3)
    coverage_run_with(kecamatan=KECAMATAN)
    client.force_login(supervisor)
    client.get("/dashboard/")  # warm the session and permission caches
    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(25):
        response = client.get("/dashboard/")
    assert response.status_code == 200
    assert not [q["sql"] for q in queries if "registrations_citizen" in q["sql"]]


def test_kecamatan_are_sorted_by_gap_and_the_operators_own_is_highlighted(client, jati_operator):
    coverage_run_with(kecamatan=KECAMATAN)
    client.force_login(jati_operator)
    response = client.get("/dashboard/")
    data = chart_data(response)
    assert data["gap"]["labels"] == ["Kota Kudus", "Jati", "Kaliwungu"]
    assert data["gap"]["data"] == [1000, 500, 100]
    assert data["gap"]["highlight"] == [False, True, False]
    page = text(response)
    # Operators see the kabupaten figure too, and their kecamatan beside it.
    assert "99,70%" in page
    assert re.search(r'data-testid="own-kecamatan">[^<]*Jati: <strong>99,16%</strong>', page)
    assert re.search(
        r'<tr class="highlight"> <th scope="row">'
        r'<a href="/dashboard/areas/33.19.03/">Jati</a> <span class="tag">',
        page,
    )
    # Only their own kecamatan's row leads down into its desa.
    assert 'href="/dashboard/areas/33.19.01/"' not in page


def test_the_trend_has_one_point_per_day_the_last_computation_of_it(client, supervisor):
    day = dt.date(2024, 2, 1)
    coverage_run_with(reference_date=day, kabupaten=(100, 50))
    coverage_run_with(
        reference_date=day, kabupaten=(100, 60), computed_at=dt.datetime(2024, 2, 1, 18, 0, tzinfo=WIB)
    )
    coverage_run_with(reference_date=dt.date(2024, 2, 2), kabupaten=(100, 75))
    client.force_login(supervisor)
    trend = chart_data(client.get("/dashboard/"))["trend"]
    assert trend["series"][0]["data"] == [60.0, 75.0]
    assert len(trend["labels"]) == 2


def test_the_projection_gives_the_daily_recordings_needed_by_the_target_date(client, supervisor):
    coverage_run_with(kabupaten=(1_000, 900), recorded_recent=140)  # 10 a day over 14 days
    client.force_login(supervisor)
    page = text(client.get("/dashboard/", {"target": "2024-02-12"}))
    # 100 to go, 10 days left → 10 a day; at 10 a day the last one records on 12 Feb.
    assert re.search(
        r'data-testid="required-daily">10 recordings a day|data-testid="required-daily">10 perekaman', page
    )
    assert re.search(r'data-testid="projected-date">12 Februari 2024', page)


def test_viewers_see_the_overview_without_the_recompute_button(client, viewer):
    coverage_run_with()
    client.force_login(viewer)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert "99,70%" in text(response)
    assert "/dashboard/coverage/recompute/" not in text(response)
    assert client.post("/dashboard/coverage/recompute/").status_code == 403


def test_a_supervisor_asks_for_a_recompute_through_the_outbox(
    client, supervisor, django_capture_on_commit_callbacks
):
    client.force_login(supervisor)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/dashboard/coverage/recompute/")
    assert response.status_code == 302
    assert OutboxMessage.objects.filter(dedupe_key="coverage-refresh").count() == 1


def test_before_the_first_recompute_the_page_says_so(client, supervisor):
    client.force_login(supervisor)
    page = text(client.get("/dashboard/"))
    assert 'data-testid="coverage-missing"' in page


def test_anonymous_visitors_are_sent_to_the_login_page(client, db):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_todays_sessions_show_booked_and_checked_in_counts(client, supervisor, settings):
    settings.SMS_BACKEND = "schedules.messaging.LocmemSMSBackend"
    today = timezone.localdate()
    session = OutreachSessionFactory(
        date=today, title="CFD Simpang Tujuh", start_time=dt.time(0, 0), end_time=dt.time(23, 45)
    )
    slots = list(session.slots.order_by("starts_at")[:3])
    booking_time = timezone.now() - dt.timedelta(days=2)
    codes = []
    for index, slot in enumerate(slots):
        citizen = citizen_aged(20 + index, on=today)
        result = appointment_book(
            slot=slot, citizen=citizen, service="recording", reason="new", now=booking_time
        )
        codes.append(result.appointment.code)
    appointment_check_in(code=codes[0], actor=supervisor)
    client.force_login(supervisor)
    page = text(client.get("/dashboard/"))
    row = re.search(r"CFD Simpang Tujuh.*?</tr>", page).group(0)
    assert re.search(r"<td>3 / \d+</td> <td>1</td>", row)


def test_stock_shows_days_of_cover_and_open_alerts(client, supervisor):
    location = stocked_location(
        10, code="KEC-03", name="Kecamatan Jati", kecamatan=kecamatan("33.19.03"), low_stock_threshold=50
    )
    citizen = printable_citizen(desa_id="33.19.03.2001", area6="331903")
    request = service_request_create(
        citizen=citizen, service="printing", reason="new", channel="office", actor=supervisor
    )
    service_request_start(service_request=request, actor=supervisor, location=location)
    service_request_complete(service_request=request, actor=supervisor)
    stock_alerts_check()
    assert StockAlert.objects.filter(location=location, resolved_at__isnull=True).exists()
    client.force_login(supervisor)
    page = text(client.get("/dashboard/"))
    row = re.search(r'<tr class="low"> <th scope="row">Kecamatan Jati</th>.*?</tr>', page).group(0)
    # 9 left, 1 issued in 7 days: 63 days of cover, but below the threshold of 50.
    assert "<td>9</td>" in row and "<td>63,0" in row and '<strong class="bad">' in row
    assert 'class="alerts"' in page


def test_an_operator_sees_only_the_sessions_and_stock_of_own_kecamatan(client, jati_operator):
    today = timezone.localdate()
    OutreachSessionFactory(date=today, title="Sesi Jati", kecamatan="33.19.03")
    OutreachSessionFactory(date=today, title="Sesi Kaliwungu", kecamatan="33.19.01")
    stocked_location(5, code="KEC-03", name="Gudang Jati", kecamatan=kecamatan("33.19.03"))
    stocked_location(5, code="KEC-01", name="Gudang Kaliwungu", kecamatan=kecamatan("33.19.01"))
    client.force_login(jati_operator)
    page = text(client.get("/dashboard/"))
    assert "Sesi Jati" in page and "Gudang Jati" in page
    assert "Sesi Kaliwungu" not in page and "Gudang Kaliwungu" not in page


@pytest.mark.django_db
def test_a_real_recompute_feeds_the_overview(client, supervisor):
    recorded = dt.datetime(2020, 1, 1, 9, 0, tzinfo=WIB)
    CitizenFactory(birth_date=dt.date(1990, 1, 1), recorded_at=recorded)
    CitizenFactory(birth_date=dt.date(1991, 1, 1))
    coverage_recompute()
    client.force_login(supervisor)
    page = text(client.get("/dashboard/"))
    assert '<span data-testid="coverage-pct">50,00%</span>' in page
