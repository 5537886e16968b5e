"""The service-request work queue: list, detail, workflow buttons, scoping and roles."""

from __future__ import annotations

import datetime as dt

import pytest

from blanks.models import StockMovement
from registrations.models import ServiceRequest
from registrations.services.service_requests import service_request_create, service_request_start
from tests.factories import CitizenFactory, desa, printable_citizen, stocked_location
from tests.helpers import JATI

WIB = dt.timezone(dt.timedelta(hours=7))
SUBMITTED = dt.datetime(2024, 2, 5, 9, 0, tzinfo=WIB)


def kaliwungu():
    from regions.models import Kecamatan

    return Kecamatan.objects.get(code="33.19.01")


def submitted(citizen, service="printing", **kwargs) -> ServiceRequest:
    kwargs.setdefault("channel", "kecamatan")
    return service_request_create(citizen=citizen, service=service, reason="new", now=SUBMITTED, **kwargs)


@pytest.fixture
def two_requests(regions):
    mine = submitted(printable_citizen(full_name="Siti Kaliwungu"))
    other = submitted(printable_citizen(full_name="Budi Jati", desa=desa("33.19.03.2001"), area6="331903"))
    return mine, other


def test_operators_see_only_requests_of_their_kecamatan(as_user, operator, two_requests):
    mine, other = two_requests
    client = as_user(operator)
    page = client.get("/dashboard/requests/").content.decode()
    assert "Siti Kaliwungu" in page and "Budi Jati" not in page
    assert mine.citizen.masked_nik in page and mine.citizen.nik not in page
    # Asking for the other kecamatan does not widen the scope (the choice is not even offered).
    assert "Budi Jati" not in client.get("/dashboard/requests/", {"kecamatan": JATI}).content.decode()
    assert client.get(f"/dashboard/requests/{mine.pk}/").status_code == 200
    assert client.get(f"/dashboard/requests/{other.pk}/").status_code == 404
    response = client.post(f"/dashboard/requests/{other.pk}/cancel/", {"cancel-reason": "x"})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == "submitted"


def test_the_queue_filters_by_service_status_channel_and_date(as_user, supervisor, regions):
    recording = submitted(CitizenFactory(full_name="Rekam Dulu", birth_date=dt.date(2000, 1, 1)), "recording")
    printing = submitted(printable_citizen(full_name="Cetak Dulu"), channel="school")
    client = as_user(supervisor)

    def names(**params) -> set[str]:
        page = client.get("/dashboard/requests/", params).content.decode()
        return {name for name in ("Rekam Dulu", "Cetak Dulu") if name in page}

    assert names() == {"Rekam Dulu", "Cetak Dulu"}  # default: the open ones
    assert names(service="recording") == {"Rekam Dulu"}
    assert names(channel="school") == {"Cetak Dulu"}
    assert names(date="2024-02-05") == {"Rekam Dulu", "Cetak Dulu"}
    assert names(date="2024-02-06") == set()
    assert names(q=printing.citizen.nik) == {"Cetak Dulu"}
    recording_done = ServiceRequest.objects.filter(pk=recording.pk)
    recording_done.update(status="cancelled", closed_at=SUBMITTED)
    assert names() == {"Cetak Dulu"}
    assert names(status="cancelled") == {"Rekam Dulu"}
    assert names(status="") == {"Rekam Dulu", "Cetak Dulu"}


def test_the_queue_runs_a_fixed_number_of_queries_without_a_full_count(
    as_user, operator, regions, django_assert_max_num_queries
):
    for index in range(12):
        submitted(printable_citizen(full_name=f"Warga Antre {index}"))
    client = as_user(operator)
    with django_assert_max_num_queries(9) as captured:
        page = client.get("/dashboard/requests/").content.decode()
    assert page.count("Warga Antre") == 12
    assert not any("COUNT(" in query["sql"].upper() for query in captured.captured_queries)


def test_the_detail_shows_the_event_history(as_user, operator, two_requests):
    mine, _other = two_requests
    service_request_start(service_request=mine, actor=operator)
    page = as_user(operator).get(f"/dashboard/requests/{mine.pk}/").content.decode()
    assert "History" in page and "submitted" in page and "in progress" in page
    assert "op-kaliwungu" in page
    assert 'hx-post="/dashboard/requests/' in page  # htmx-upgraded plain forms


def test_completing_a_printing_shows_the_stock_effect(as_user, operator, regions):
    location = stocked_location(12, kecamatan=kaliwungu(), name="Kantor Kecamatan Kaliwungu", code="KEC-01")
    request = submitted(printable_citizen())
    client = as_user(operator)
    client.post(f"/dashboard/requests/{request.pk}/start/", {})
    response = client.post(f"/dashboard/requests/{request.pk}/complete/", {"location": "KEC-01"}, follow=True)
    page = response.content.decode()
    assert f"Request #{request.pk} completed." in page
    assert "One blank issued from Kantor Kecamatan Kaliwungu: stock 12 → 11." in page
    request.refresh_from_db()
    assert request.status == "completed" and request.location == location
    assert request.citizen.printed_at is not None
    movement = StockMovement.objects.get(service_request=request)
    assert (movement.kind, movement.balance_after) == ("issue", 11)
    assert "Stock effect" in page


def test_completing_a_printing_without_a_location_shows_the_domain_error(as_user, operator, regions):
    request = submitted(printable_citizen())
    client = as_user(operator)
    client.post(f"/dashboard/requests/{request.pk}/start/", {})
    page = client.post(f"/dashboard/requests/{request.pk}/complete/", {}, follow=True).content.decode()
    assert "Printing needs the stock location that serves it." in page
    request.refresh_from_db()
    assert request.status == "in_progress"


def test_domain_errors_are_shown_in_indonesian_by_default(client, operator, regions):
    request = submitted(printable_citizen())
    client.force_login(operator)
    client.post(f"/dashboard/requests/{request.pk}/start/", {})
    page = client.post(f"/dashboard/requests/{request.pk}/complete/", {}, follow=True).content.decode()
    assert "Pencetakan memerlukan lokasi stok yang melayani." in page


def test_cancel_and_reject_need_a_reason(as_user, operator, two_requests):
    mine, _other = two_requests
    client = as_user(operator)
    page = client.post(f"/dashboard/requests/{mine.pk}/cancel/", {"cancel-reason": " "}, follow=True)
    assert "A reason is required." in page.content.decode()
    mine.refresh_from_db()
    assert mine.status == "submitted"
    page = client.post(
        f"/dashboard/requests/{mine.pk}/reject/", {"reject-reason": "KK tidak dibawa"}, follow=True
    ).content.decode()
    assert f"Request #{mine.pk} rejected." in page
    mine.refresh_from_db()
    assert (mine.status, mine.status_reason) == ("rejected", "KK tidak dibawa")
    page = client.post(f"/dashboard/requests/{mine.pk}/start/", {}, follow=True).content.decode()
    assert "A request that is “rejected” cannot become “in progress”." in page


def test_an_htmx_action_follows_the_redirect_to_the_updated_page(as_user, operator, two_requests):
    mine, _other = two_requests
    client = as_user(operator)
    response = client.post(f"/dashboard/requests/{mine.pk}/start/", {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 303 and response["Location"] == f"/dashboard/requests/{mine.pk}/"


def test_viewers_may_not_use_the_work_queue(as_user, viewer, two_requests):
    mine, _other = two_requests
    client = as_user(viewer)
    assert client.get("/dashboard/requests/").status_code == 403
    assert client.post(f"/dashboard/requests/{mine.pk}/start/", {}).status_code == 403
    mine.refresh_from_db()
    assert mine.status == "submitted"


def test_the_next_parameter_only_leads_back_into_the_site(as_user, operator, two_requests):
    mine, _other = two_requests
    client = as_user(operator)
    response = client.post(f"/dashboard/requests/{mine.pk}/start/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/dashboard/requests/{mine.pk}/"
