from __future__ import annotations

import json
import time

import pytest

from kudus_capil.models import OutboxMessage
from kudus_capil.outbox import outbox_relay

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

PUBLIC_PAGES = ["/", "/api/v1/regions/", "/accounts/login/"]


def test_with_redis_down_the_portal_keeps_serving_and_healthz_says_degraded(
    gunicorn_portal, servers, regions_tx
):
    servers.redis_stop()
    for path in PUBLIC_PAGES:
        status, _body, seconds = gunicorn_portal.request(path)
        assert status == 200, path
        assert seconds < 3, f"{path} took {seconds:.1f}s with Redis down"
    status, body, _ = gunicorn_portal.request("/healthz")
    health = json.loads(body)
    assert status == 200
    assert health["database"]["ok"] is True and health["broker"]["ok"] is False
    assert health["status"] == "degraded"

    servers.redis_start()
    status, body, _ = gunicorn_portal.request("/healthz")
    assert json.loads(body)["broker"]["ok"] is True


def test_outbox_messages_written_while_redis_is_down_are_sent_once_it_is_back(servers, transactional_db):
    from django.db import transaction

    from kudus_capil import outbox
    from kudus_capil.celery import app

    app.conf.task_always_eager = False
    servers.redis_stop()
    started = time.monotonic()
    with transaction.atomic():
        message = outbox.outbox_enqueue("kudus_capil.tasks.purge_outbox", {})
    assert time.monotonic() - started < 5  # the commit did not wait on the broker for long
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING

    servers.redis_start()
    outbox._broker_backoff_until = 0.0
    assert outbox_relay() == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT


def test_postgres_restart_gives_503_then_every_worker_serves_again(gunicorn_portal, servers, regions_tx):
    for _ in range(6):  # warm persistent connections in both workers
        assert gunicorn_portal.request("/api/v1/regions/")[0] == 200
    servers.postgres("stop")
    try:
        status, body, seconds = gunicorn_portal.request("/healthz")
        assert status == 503
        assert json.loads(body)["database"]["ok"] is False
        assert seconds < 10
    finally:
        servers.postgres("start")
    statuses = [
        gunicorn_portal.request(path)[0] for _ in range(10) for path in ["/healthz", "/api/v1/regions/"]
    ]
    assert statuses == [200] * 20
