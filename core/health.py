"""`GET /healthz`: the state of the database and the broker, for probes and load balancers.

The database decides the status (503 when it does not answer); a broker outage is reported but is
not fatal, because no web request depends on Redis being up.
"""

from __future__ import annotations

import time

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from redis.exceptions import RedisError

HEALTH_TIMEOUT = 1  # seconds, for connecting to Redis and for its answer


def _check_database() -> dict:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        # The next request must try a fresh connection, not this broken one.
        connection.close_if_unusable_or_obsolete()
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor, "ms": round((time.monotonic() - started) * 1000, 1)}


def _check_broker() -> dict:
    url = settings.REDIS_URL
    if not url:
        return {"ok": True, "mode": "eager"}
    started = time.monotonic()
    # redis-py reads the URL as Celery does: rediss:// (TLS), user names, percent-escaped passwords,
    # database numbers. Short timeouts and no retries: the health check answers fast even when Redis
    # hangs.
    try:
        client = redis.Redis.from_url(
            url, socket_timeout=HEALTH_TIMEOUT, socket_connect_timeout=HEALTH_TIMEOUT, retry=None
        )
    except ValueError:
        return {"ok": False, "mode": "redis", "error": "InvalidURL"}
    try:
        ok = client.ping() is True
    except RedisError as exc:
        return {"ok": False, "mode": "redis", "error": type(exc).__name__}
    finally:
        client.close()
    return {"ok": ok, "mode": "redis", "ms": round((time.monotonic() - started) * 1000, 1)}


@never_cache
@require_GET
def healthz(request):
    database = _check_database()
    broker = _check_broker()
    status = "ok" if database["ok"] and broker["ok"] else ("degraded" if database["ok"] else "down")
    return JsonResponse(
        {"status": status, "database": database, "broker": broker},
        status=200 if database["ok"] else 503,
    )
