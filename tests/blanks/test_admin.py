"""The admin pages of service requests and blank stock load, and stay read-only where they must."""

from __future__ import annotations

import pytest
from django.urls import reverse

from blanks.models import StockAlert, StockLocation, StockMovement
from blanks.services import stock_alerts_check
from registrations.models import ServiceRequest, ServiceRequestEvent
from registrations.services.service_requests import service_request_create, service_request_start
from tests.factories import printable_citizen, stocked_location

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(regions):
    location = stocked_location(5, code="KEC-01", low_stock_threshold=10)
    sr = service_request_create(
        citizen=printable_citizen(), service="printing", reason="new", channel="kecamatan", location=location
    )
    service_request_start(service_request=sr, actor=None)
    stock_alerts_check()
    return sr


@pytest.mark.parametrize(
    "model",
    [ServiceRequest, ServiceRequestEvent, StockLocation, StockMovement, StockAlert],
    ids=lambda m: m.__name__,
)
def test_admin_list_and_detail_pages_load(admin_client, world, model):
    info = (model._meta.app_label, model._meta.model_name)
    listing = admin_client.get(reverse("admin:{}_{}_changelist".format(*info)))
    assert listing.status_code == 200
    obj = model.objects.first()
    detail = admin_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
    assert detail.status_code == 200


def test_the_request_page_shows_its_event_log(admin_client, world):
    page = admin_client.get(reverse("admin:registrations_servicerequest_change", args=[world.pk]))
    content = page.content.decode()
    assert content.count('class="field-to_status"') == 2  # submitted, then in progress


def test_ledger_and_event_log_cannot_be_added_or_deleted_in_admin(admin_client, world):
    assert admin_client.get(reverse("admin:blanks_stockmovement_add")).status_code == 403
    movement = StockMovement.objects.first()
    assert (
        admin_client.get(reverse("admin:blanks_stockmovement_delete", args=[movement.pk])).status_code == 403
    )
    assert admin_client.get(reverse("admin:registrations_servicerequestevent_add")).status_code == 403


def test_a_location_added_in_admin_gets_its_balance_row(admin_client, regions):
    response = admin_client.post(
        reverse("admin:blanks_stocklocation_add"),
        {
            "code": "MOBIL-2",
            "name": "Mobil 2",
            "kind": "mobile_unit",
            "low_stock_threshold": 5,
            "min_days_of_cover": 2,
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert StockLocation.objects.get(code="MOBIL-2").stock_balance.balance == 0


def test_the_complete_action_in_admin_goes_through_the_service(admin_client, world):
    response = admin_client.post(
        reverse("admin:registrations_servicerequest_changelist"),
        {"action": "complete_selected", "_selected_action": [world.pk]},
        follow=True,
    )
    assert response.status_code == 200
    world.refresh_from_db()
    assert world.status == "completed"
    assert StockMovement.objects.filter(kind="issue", service_request=world).count() == 1
