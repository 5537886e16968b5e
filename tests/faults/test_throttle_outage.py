"""Rate limits through a Redis outage, on gunicorn with the throttle cache on Redis (as deployed):
the limits keep biting on the database cache while Redis is down, never a 500, and the counters go
back to Redis when it returns (the test Redis persists nothing, so they start afresh there)."""

from __future__ import annotations

import os
import time

import pytest
import redis
from django.db import connection

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

API = "/api/v1/regions/"
FORM = "/appointments/NOSUCHCODE/cancel/"  # the form throttle answers before the 404
QUICK = 5  # seconds; a stopped Redis refuses at once, the margin is for a busy machine


def _throttle_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM kudus_cache WHERE cache_key LIKE %s", ["%throttle%"])
        return cursor.fetchone()[0]


def _redis_throttle_keys() -> list[bytes]:
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    return list(client.scan_iter(match="kudus-throttle:*"))


def _forget_redis_counters() -> None:
    keys = _redis_throttle_keys()
    if keys:
        redis.Redis.from_url(os.environ["REDIS_URL"]).delete(*keys)


def test_with_redis_down_the_limits_hold_on_the_database_and_return_to_redis_after(
    start_portal, servers, regions_tx
):
    _forget_redis_counters()
    portal = start_portal(
        THROTTLE_CACHE="redis",
        THROTTLE_ANON="3/min",
        THROTTLE_BOOKING_FORM="3/min",
        THROTTLE_REDIS_RETRY_AFTER="1",
    )
    browser = portal.browser()
    assert browser.get("/appointments/new/")[0] == 200  # the CSRF cookie for the form posts
    try:
        # Redis up: the API budget is used up on Redis, nothing in the database.
        assert [portal.request(API)[0] for _ in range(4)] == [200, 200, 200, 429]
        assert _redis_throttle_keys()
        assert _throttle_rows() == 0

        servers.redis_stop()
        statuses, slowest = [], 0.0
        for _ in range(4):
            status, _body, seconds = portal.request(API)
            statuses.append(status)
            slowest = max(slowest, seconds)
        form_statuses = []
        for _ in range(4):
            status, _body, seconds = browser.post(FORM, {"token": "x"})
            form_statuses.append(status)
            slowest = max(slowest, seconds)
        # A fresh budget in the database (the Redis counters are out of reach), and it bites.
        assert statuses == [200, 200, 200, 429]
        assert form_statuses == [404, 404, 404, 429]
        assert slowest < QUICK
        assert _throttle_rows() >= 2

        servers.redis_start()
        assert not _redis_throttle_keys()  # the test Redis keeps nothing across a restart
        time.sleep(1.5)  # THROTTLE_REDIS_RETRY_AFTER
        rows = _throttle_rows()
        # Back on Redis: counters there again (a fresh budget: the restart lost the old ones).
        assert [portal.request(API)[0] for _ in range(4)] == [200, 200, 200, 429]
        assert _redis_throttle_keys()
        assert _throttle_rows() == rows
    finally:
        servers.redis_start()
        _forget_redis_counters()
