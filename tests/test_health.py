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
