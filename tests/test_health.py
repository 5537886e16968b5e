from __future__ import annotations

from unittest import mock

from django.db import connection


def test_healthz_reports_database_and_broker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] == connection.vendor
    assert "ok" in body["broker"]


def test_healthz_is_503_when_the_database_is_down(client, db):
    with mock.patch("core.health.connection") as broken:
        broken.cursor.side_effect = Exception("connection refused")
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["ok"] is False
    assert response.json()["status"] == "down"


def test_healthz_reports_a_broker_outage_without_failing(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"]["ok"] is False
    assert response.json()["status"] == "degraded"


def test_healthz_pings_a_redis_whose_password_is_percent_escaped_in_the_url(
    client, db, settings, password_redis
):
    settings.REDIS_URL = password_redis.url()
    assert "%40" in settings.REDIS_URL and "%2F" in settings.REDIS_URL and "%25" in settings.REDIS_URL
    body = client.get("/healthz").json()
    assert body["broker"] == {"ok": True, "mode": "redis", "ms": body["broker"]["ms"]}
    assert body["status"] == "ok"


def test_healthz_pings_redis_over_tls(client, db, settings, password_redis):
    settings.REDIS_URL = password_redis.url(tls=True)
    assert settings.REDIS_URL.startswith("rediss://")
    body = client.get("/healthz").json()
    assert body["broker"]["ok"] is True
    assert body["status"] == "ok"


def test_healthz_reports_a_wrong_redis_password_as_a_broker_failure(client, db, settings, password_redis):
    settings.REDIS_URL = password_redis.url(password="not-the-password")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == {"ok": False, "mode": "redis", "error": "AuthenticationError"}
    assert response.json()["status"] == "degraded"


def test_healthz_reports_an_unescaped_password_as_a_broker_failure_not_a_500(
    client, db, settings, password_redis
):
    settings.REDIS_URL = password_redis.url(escape=False)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"]["ok"] is False
    assert response.json()["status"] == "degraded"
