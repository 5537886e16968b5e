"""The citizen page's requests and bookings tables, the navigation, and escaping on the work pages."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from registrations.services.service_requests import service_request_create
from schedules.services import appointment_book
from tests.factories import OutreachSessionFactory, printable_citizen


def test_the_citizen_page_lists_requests_and_bookings_with_links(as_user, operator, regions):
    citizen = printable_citizen(full_name="Warga Lengkap")
    session = OutreachSessionFactory(date=timezone.localdate() + dt.timedelta(days=3), title="Sesi Rabu")
    booking = appointment_book(
        slot=session.slots.order_by("starts_at")[0], citizen=citizen, service="printing", reason="new"
    ).appointment
    request = service_request_create(
        citizen=citizen, service="ikd_activation", reason="new", channel="office"
    )
    page = as_user(operator).get(f"/dashboard/citizens/{citizen.pk}/").content.decode()
    assert f'href="/dashboard/requests/{request.pk}/"' in page and "IKD activation" in page
    assert f'href="/dashboard/bookings/{booking.code}/"' in page
    assert f'href="/dashboard/sessions/{session.pk}/"' in page and "Sesi Rabu" in page


def test_the_navigation_offers_what_the_role_may_use(as_user, operator, viewer, regions):
    page = as_user(operator).get("/dashboard/requests/").content.decode()
    assert 'href="/dashboard/requests/" aria-current="page"' in page
    assert 'href="/dashboard/sessions/"' in page and 'href="/dashboard/stock/"' in page
    assert 'href="/dashboard/citizens/"' in page  # the existing entries stay
    page = as_user(viewer).get("/dashboard/stock/").content.decode()
    assert 'href="/dashboard/requests/"' not in page and 'href="/dashboard/sessions/"' in page


def test_pages_load_htmx_and_scripts_from_static_files_only(as_user, operator, regions):
    page = as_user(operator).get("/dashboard/sessions/").content.decode()
    assert 'src="/static/vendor/htmx/htmx.min.js"' in page and 'src="/static/js/dashboard.js"' in page
    assert "<script>" not in page and " style=" not in page
    assert '"includeIndicatorStyles": false' in page


def test_names_are_escaped_on_the_work_pages(as_user, operator, regions):
    citizen = printable_citizen(full_name="<script>alert(1)</script>")
    request = service_request_create(citizen=citizen, service="printing", reason="new", channel="office")
    client = as_user(operator)
    for url in ("/dashboard/requests/", f"/dashboard/requests/{request.pk}/"):
        page = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
