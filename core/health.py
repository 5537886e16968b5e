"""`GET /healthz`: the state of the database and the broker, for probes and load balancers.

The database decides the status (503 when it does not answer); a broker outage is reported but is
not fatal, because no web request depends on Redis being up.
"""

from __future__ import annotations

import socket
import time
from urllib.parse import urlparse

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


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
    parsed = urlparse(url)
    started = time.monotonic()
    try:
        # A raw PING with a short timeout: the health check must answer fast even when Redis hangs.
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1
        ) as sock:
            sock.settimeout(1)
            if parsed.password:
                user = parsed.username or "default"
                sock.sendall(f"AUTH {user} {parsed.password}\r\n".encode())
                sock.recv(64)
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError as exc:
        return {"ok": False, "mode": "redis", "error": type(exc).__name__}
    ok = reply.startswith(b"+PONG")
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
