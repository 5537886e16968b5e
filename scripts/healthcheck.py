#!/usr/bin/env python3
"""Container healthchecks (Dockerfile HEALTHCHECK, docker-compose.yml), standard library only.

    python scripts/healthcheck.py web    # GET /healthz on this container's gunicorn → 200
    python scripts/healthcheck.py beat   # the beat heartbeat file is fresh (kudus_capil/beat.py)

`web` sends a Host header the portal accepts (the first DJANGO_ALLOWED_HOSTS entry), since Django
answers 400 to any other host. Exit status 0 = healthy, 1 = not.
"""

from __future__ import annotations

import http.client
import os
import sys
import time

BEAT_MAX_AGE_SECONDS = 60


def _host_header() -> str:
    hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = hosts[0] if hosts else "localhost"
    if host == "*":
        return "localhost"
    return host.lstrip(".")  # ".example.go.id" allows example.go.id itself


def check_web() -> str | None:
    port = int(os.environ.get("PORT", "8000"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz", headers={"Host": _host_header()})
        status = connection.getresponse().status
    except OSError as exc:
        return f"/healthz: {type(exc).__name__}: {exc}"
    finally:
        connection.close()
    return None if status == 200 else f"/healthz answered {status}"


def check_beat() -> str | None:
    path = os.environ.get("CELERY_BEAT_HEARTBEAT_FILE")
    if not path:
        return "CELERY_BEAT_HEARTBEAT_FILE is not set"
    try:
        age = time.time() - os.stat(path).st_mtime
    except OSError as exc:
        return f"no heartbeat: {exc}"
    limit = float(os.environ.get("CELERY_BEAT_HEARTBEAT_MAX_AGE", BEAT_MAX_AGE_SECONDS))
    return None if age <= limit else f"last heartbeat {age:.0f} s ago (limit {limit:.0f} s)"


def main(argv: list[str]) -> int:
    checks = {"web": check_web, "beat": check_beat}
    if len(argv) != 1 or argv[0] not in checks:
        print(__doc__, file=sys.stderr)
        return 2
    problem = checks[argv[0]]()
    if problem:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
