from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.logmask import mask_personal_data

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-real-secret-key-with-enough-length-and-entropy-0123456789-xyzXYZ-!@#",
    "DJANGO_ALLOWED_HOSTS": "capil.kuduskab.go.id",
}


def test_production_mode_passes_check_deploy_with_no_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_plain_http_production_mode_passes_check_deploy_too():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", DJANGO_HTTPS="0", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_mode_refuses_to_start_without_a_secret():
    result = _manage("check", DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="x")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_the_secret_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text(PRODUCTION["DJANGO_SECRET_KEY"] + "\n")
    env = {**PRODUCTION, "DJANGO_SECRET_KEY_FILE": str(secret)}
    env.pop("DJANGO_SECRET_KEY")
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", ["/", "/healthz", "/accounts/login/", "/api/v1/regions/"])
def test_security_headers_on_every_response(client, db, path):
    response = client.get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp


def test_hsts_follows_django_https():
    code = (
        "import django;django.setup();from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS if hasattr(s,'SECURE_HSTS_SECONDS') else 0, s.SECURE_SSL_REDIRECT)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(PRODUCTION, DJANGO_SETTINGS_MODULE="kudus_capil.settings")
    on = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    off = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_HTTPS": "0"},
        capture_output=True,
        text=True,
    )
    assert on.stdout.split() == ["31536000", "True"]
    assert off.stdout.split() == ["0", "False"]


def test_log_filter_masks_niks_and_phone_numbers(caplog):
    logger = logging.getLogger("kudus_capil.test")
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "citizen %s phone %s", ("3319011705000001", "081234567890"), None
    )
    from core.logmask import MaskPersonalDataFilter

    MaskPersonalDataFilter().filter(record)
    assert record.getMessage() == "citizen 3319********0001 phone [phone]"
    assert mask_personal_data("NIK:3319011705000001;") == "NIK:3319********0001;"
    assert mask_personal_data("order 12345678901234567") == "order 12345678901234567"  # 17 digits: not a NIK
    del logger


def test_a_nik_logged_by_mistake_reaches_the_run_log_masked(regions, _run_log):
    from tests.factories import CitizenFactory

    citizen = CitizenFactory()
    logging.getLogger("registrations.services").warning("could not notify citizen %s", citizen.nik)
    _run_log.flush()
    text = Path(_run_log.baseFilename).read_text(encoding="utf-8")  # test-artifacts/test-run.log
    assert citizen.masked_nik in text
    assert citizen.nik not in text


def test_pages_open_in_indonesian_even_for_an_english_browser(client, db):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="id"' in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert 'lang="en"' in client.get("/", HTTP_ACCEPT_LANGUAGE="id").content.decode()


def test_api_messages_follow_accept_language(client, db):
    body = client.get("/api/v1/citizens/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["detail"] == "Authentication credentials were not provided."
