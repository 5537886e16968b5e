"""Rate limits: anonymous booking and booking lookups per client address, signed-in users per user,
token requests per address; a 429 always carries Retry-After and the error shape. In the test suite
the counters live in the database cache (rolled back with each test); the Redis throttle cache is
tested in test_throttle_capacity.py."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import staff_user
from tests.helpers import api_token, assert_error_shape

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(**changes):
        current = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**current, **changes},
        }

    return set_rates


def from_address(address: str) -> APIClient:
    return APIClient(REMOTE_ADDR=address)


def booking_body(world) -> dict:
    # Shape-valid but for an identity that does not match: a 400 after the throttle, no booking made.
    slot = world.mine.session.slots.order_by("starts_at").last()
    return {"nik": world.mine.citizen.nik, "kk": "3319010101209999", "service": "recording",
            "reason": "new", "slot": slot.pk}  # fmt: skip


def assert_throttled(response):
    assert_error_shape(response, 429, "throttled")
    wait = int(response["Retry-After"])
    assert 0 < wait <= 60
    assert str(wait) in response.json()["detail"]


def test_anonymous_booking_is_limited_per_client_address(world, rates):
    rates(booking_anon="2/min")
    client = from_address("10.0.0.1")
    for _attempt in range(2):
        assert client.post("/api/v1/appointments/", booking_body(world), format="json").status_code == 400

    assert_throttled(client.post("/api/v1/appointments/", booking_body(world), format="json"))
    other = from_address("10.0.0.2").post("/api/v1/appointments/", booking_body(world), format="json")
    assert other.status_code == 400  # another address has its own budget


def test_cancel_and_reschedule_share_the_booking_budget(world, rates):
    rates(booking_anon="2/min")
    client = from_address("10.0.0.3")
    code = world.mine.appointment.code
    client.post(f"/api/v1/appointments/{code}/cancel/", {"token": "wrong"}, format="json")
    client.post(f"/api/v1/appointments/{code}/reschedule/", {"token": "wrong", "slot": 1}, format="json")
    assert_throttled(client.post("/api/v1/appointments/", booking_body(world), format="json"))


def test_booking_lookups_are_limited_per_client_address(world, rates):
    rates(lookup_anon="3/min")
    client = from_address("10.0.0.4")
    code = world.mine.appointment.code
    for _attempt in range(3):
        assert client.get(f"/api/v1/appointments/{code}/", {"token": "guess"}).status_code == 404

    assert_throttled(client.get(f"/api/v1/appointments/{code}/", {"token": world.mine.manage_token}))
    found = from_address("10.0.0.5").get(f"/api/v1/appointments/{code}/", {"token": world.mine.manage_token})
    assert found.status_code == 200


def test_token_users_are_limited_per_user_not_per_address(world, rates):
    rates(user="3/min")
    first, second = (api_token(staff_user("admin")) for _ in range(2))
    client = from_address("10.0.0.6")
    client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    for _attempt in range(3):
        assert client.get("/api/v1/citizens/").status_code == 200

    assert_throttled(client.get("/api/v1/citizens/"))
    same_address = from_address("10.0.0.6")
    same_address.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert same_address.get("/api/v1/citizens/").status_code == 200


def test_anonymous_reads_are_limited_per_client_address(world, rates):
    rates(anon="2/min")
    client = from_address("10.0.0.7")
    client.get("/api/v1/sessions/")
    client.get("/api/v1/coverage/")
    assert_throttled(client.get("/api/v1/sessions/"))
    assert from_address("10.0.0.8").get("/api/v1/sessions/").status_code == 200


def test_token_requests_are_limited_per_client_address(db, rates):
    rates(login="2/min")
    client = from_address("10.0.0.9")
    for _attempt in range(2):
        client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json")
    assert_throttled(client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json"))


def test_throttle_counters_are_kept_in_the_database_cache(world, rates):
    assert django_settings.CACHES["throttle"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    rates(lookup_anon="1/min")
    from_address("10.0.0.10").get(f"/api/v1/appointments/{world.mine.appointment.code}/")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT cache_key FROM kudus_cache WHERE cache_key LIKE %s", ["%throttle_lookup_anon%"]
        )
        keys = [row[0] for row in cursor.fetchall()]
    assert keys == [":1:throttle_lookup_anon_10.0.0.10"]
