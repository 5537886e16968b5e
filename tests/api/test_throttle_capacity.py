"""Rate limits hold under a rush: after more than a thousand other client addresses, the first
clients are still limited, whether the counters are on Redis, in the database cache (no Redis), or
in the database cache because Redis does not answer.

Django's database cache culls at 300 entries by default, lowest keys first: the first clients here
(10.0.0.x) sort before the crowd (10.1.x.x), so a cull would reset exactly their counters.
"""

from __future__ import annotations

import socket
import time
import uuid

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import caches
from django.db import connection
from rest_framework.test import APIClient

from tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db

FIRST = [f"10.0.0.{n}" for n in range(1, 6)]
CROWD = [f"10.1.{n // 250}.{n % 250}" for n in range(1_200)]
BUDGET = 3
API_PATH = "/api/v1/regions/"
FORM_PATH = "/appointments/NOSUCHCODE/cancel/"  # the form throttle answers before the 404
# Three counters per client (API scopes `anon` and `user` — DRF's user throttle counts anonymous
# clients by address too — and the form's), two for the late client that only reads the API.
EVERY_COUNTER = 3 * (len(FIRST) + len(CROWD)) + 2


def _get(address: str):
    return APIClient(REMOTE_ADDR=address).get(API_PATH)


def _post_form(address: str):
    return APIClient(REMOTE_ADDR=address).post(FORM_PATH, {"token": "x"})


@pytest.fixture
def low_rates(settings):
    # The form counts in the API's booking budget (one budget per address); per hour, so that a
    # rush slower than a minute on a loaded machine never refills a budget.
    rates = {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "anon": f"{BUDGET}/hour",
        "booking_anon": f"{BUDGET}/hour",
    }
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    # Rows other tests committed (transactional ones) must not count; this delete rolls back.
    caches["default"].clear()


def _database_throttle_keys() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM kudus_cache WHERE cache_key LIKE %s", ["%throttle_%"])
        return cursor.fetchone()[0]


def _rush() -> float:
    """The first clients use up their budget, the crowd comes by once each, the first clients
    come back: they must still be refused. Returns the slowest request's seconds."""
    slowest = 0.0

    def timed(call, address):
        nonlocal slowest
        started = time.monotonic()
        response = call(address)
        slowest = max(slowest, time.monotonic() - started)
        return response

    for address in FIRST:
        for _attempt in range(BUDGET):
            assert timed(_get, address).status_code == 200
            assert timed(_post_form, address).status_code == 404
        assert_error_shape(timed(_get, address), 429, "throttled")
        assert timed(_post_form, address).status_code == 429
    for address in CROWD:
        assert timed(_get, address).status_code == 200, address
        assert timed(_post_form, address).status_code == 404, address
    for address in FIRST:
        limited = timed(_get, address)
        assert_error_shape(limited, 429, "throttled")
        assert 0 < int(limited["Retry-After"]) <= 3600
        assert timed(_post_form, address).status_code == 429, address
    assert timed(_get, "10.2.0.1").status_code == 200  # a new client still has its budget
    return slowest


def test_database_cache_keeps_every_counter_of_a_rush_of_1200_clients(low_rates):
    configured = django_settings.CACHES["throttle"]
    assert configured["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert configured["OPTIONS"]["MAX_ENTRIES"] >= 100_000

    _rush()

    assert _database_throttle_keys() == EVERY_COUNTER


@pytest.fixture
def redis_throttle_cache(settings):
    """The throttle alias on the test Redis, under a key prefix of its own (the Redis is shared
    with the Celery tests: only this prefix is ever cleared)."""
    if not django_settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (make test starts a Redis)")
    prefix = f"test-throttle-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {**_redis_throttle_config(django_settings.REDIS_URL), "KEY_PREFIX": prefix},
    }
    yield prefix
    caches["throttle"].clear()
    assert not list(redis.Redis.from_url(django_settings.REDIS_URL).scan_iter(match=f"{prefix}:*"))


def _redis_throttle_config(url: str) -> dict:
    return {
        "BACKEND": "core.cache.RedisWithFallbackCache",
        "LOCATION": url,
        "FALLBACK": "default",
        "RETRY_AFTER": 5,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }


def test_redis_keeps_every_counter_of_a_rush_of_1200_clients(low_rates, redis_throttle_cache):
    _rush()

    keys = list(redis.Redis.from_url(django_settings.REDIS_URL).scan_iter(match=f"{redis_throttle_cache}:*"))
    assert len(keys) == EVERY_COUNTER
    assert _database_throttle_keys() == 0  # nothing fell back to the database


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


def test_with_redis_unreachable_the_database_cache_takes_the_rush_and_the_limits_still_bite(
    low_rates, settings
):
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            **_redis_throttle_config(f"redis://127.0.0.1:{_closed_port()}/0"),
            "KEY_PREFIX": "test-throttle-down",
        },
    }

    slowest = _rush()

    assert _database_throttle_keys() == EVERY_COUNTER
    assert slowest < 2  # connection refused, then Redis left alone for RETRY_AFTER seconds


def test_a_wrong_redis_password_also_falls_back_to_the_database(settings, low_rates, password_redis):
    """A misconfiguration (wrong password) is a connection error too: limited, never a 500."""
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            **_redis_throttle_config(password_redis.url(password="not-the-password")),
            "KEY_PREFIX": "test-throttle-auth",
        },
    }
    for _attempt in range(BUDGET):
        assert _get("10.3.0.1").status_code == 200
    assert_error_shape(_get("10.3.0.1"), 429, "throttled")
    assert _database_throttle_keys() == 2  # anon and user scopes of 10.3.0.1


def test_the_throttle_cache_works_on_a_redis_with_a_password(settings, low_rates, password_redis):
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {**_redis_throttle_config(password_redis.url()), "KEY_PREFIX": "test-throttle-pw"},
    }
    try:
        for _attempt in range(BUDGET):
            assert _get("10.3.0.2").status_code == 200
        assert_error_shape(_get("10.3.0.2"), 429, "throttled")
        assert _database_throttle_keys() == 0
        server = redis.Redis.from_url(password_redis.url())
        assert len(list(server.scan_iter(match="test-throttle-pw:*"))) == 2
    finally:
        caches["throttle"].clear()
