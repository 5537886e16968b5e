"""The client address behind reverse proxies: one setting (TRUSTED_PROXY_COUNT) decides it for the
API rate limits (DRF), the login lockout (axes) and the audit trail, and a client cannot choose it by
sending its own X-Forwarded-For."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.helpers import get_client_ip_address
from django.test import RequestFactory
from rest_framework.test import APIClient
from rest_framework.throttling import BaseThrottle

from core.audit import client_ip
from core.roles import staff_create
from tests.helpers import assert_error_shape

ROOT = Path(__file__).resolve().parent.parent
PROXY = "172.18.0.2"  # the reverse proxy, as gunicorn sees it (REMOTE_ADDR)
ATTACKER, STAFF = "10.0.0.66", "10.0.0.7"
PASSWORD = "kudus-Test-2024!"
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def proxies(settings):
    """Set the proxy count as TRUSTED_PROXY_COUNT does at start-up (settings.py copies it into DRF's
    NUM_PROXIES; test_the_one_setting_drives_drf_and_axes checks that wiring in a fresh process)."""

    def set_count(count: int) -> None:
        settings.TRUSTED_PROXY_COUNT = count
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}

    return set_count


def request_via(remote_addr: str, forwarded_for: str | None = None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


def addresses(request) -> tuple[str | None, str | None, str | None]:
    """(axes, DRF throttles, audit trail)."""
    return get_client_ip_address(request), BaseThrottle().get_ident(request), client_ip(request)


def test_the_one_setting_drives_drf_and_axes():
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.test import RequestFactory\n"
        "from axes.helpers import get_client_ip_address\n"
        "from rest_framework.throttling import BaseThrottle\n"
        f"r = RequestFactory().get('/', REMOTE_ADDR='{PROXY}', HTTP_X_FORWARDED_FOR='{STAFF}, {ATTACKER}')\n"
        "drf = settings.REST_FRAMEWORK['NUM_PROXIES']\n"
        "print(drf, get_client_ip_address(r), BaseThrottle().get_ident(r))\n"
    )

    def run(**env: str) -> subprocess.CompletedProcess:
        environment = {k: v for k, v in os.environ.items() if k not in ("TRUSTED_PROXY_COUNT", "NUM_PROXIES")}
        environment.update(env, DJANGO_SETTINGS_MODULE="kudus_capil.settings", DJANGO_DEBUG="1")
        command = [sys.executable, "-c", code]
        return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)

    assert run().stdout.split() == ["0", PROXY, PROXY]  # default: no proxy, the header is ignored
    assert run(TRUSTED_PROXY_COUNT="1").stdout.split() == ["1", ATTACKER, ATTACKER]
    assert run(TRUSTED_PROXY_COUNT="2").stdout.split() == ["2", STAFF, STAFF]
    renamed = run(NUM_PROXIES="1")  # the old name alone would silently do nothing for axes
    assert renamed.returncode != 0 and "TRUSTED_PROXY_COUNT" in renamed.stderr
    negative = run(TRUSTED_PROXY_COUNT="-1")
    assert negative.returncode != 0 and "TRUSTED_PROXY_COUNT" in negative.stderr


def test_with_one_proxy_the_entry_the_proxy_wrote_decides_not_the_spoofed_one(proxies):
    proxies(1)
    # The client sent "X-Forwarded-For: <victim>"; the proxy appended the real address.
    assert addresses(request_via(PROXY, f"{STAFF}, {ATTACKER}")) == (ATTACKER, ATTACKER, ATTACKER)
    assert addresses(request_via(PROXY, f"1.2.3.4 , {STAFF},{ATTACKER}")) == (ATTACKER, ATTACKER, ATTACKER)
    assert addresses(request_via(PROXY, STAFF)) == (STAFF, STAFF, STAFF)
    assert addresses(request_via(PROXY)) == (PROXY, PROXY, PROXY)  # no header: the peer itself


def test_with_no_proxy_the_header_is_ignored(proxies):
    proxies(0)
    assert addresses(request_via(ATTACKER, STAFF)) == (ATTACKER, ATTACKER, ATTACKER)
    assert addresses(request_via(ATTACKER, f"{STAFF}, 10.9.9.9")) == (ATTACKER, ATTACKER, ATTACKER)


def test_an_entry_that_is_not_an_address_falls_back_to_the_peer_for_lockouts(proxies):
    proxies(1)
    request = request_via(PROXY, "not-an-address")
    # Stored in IP-address columns (axes, audit): the peer, never the garbage.
    assert get_client_ip_address(request) == PROXY
    assert client_ip(request) == PROXY


@pytest.fixture
def staff(regions, settings):
    settings.AXES_FAILURE_LIMIT = 3
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "100/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    return staff_create(username="op-proxy", role="operator", kecamatan_codes=["33.19.01"], password=PASSWORD)


def obtain(remote_addr: str, forwarded_for: str | None = None, password: str = PASSWORD):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    client = APIClient(REMOTE_ADDR=remote_addr)
    return client.post(TOKEN_URL, {"username": "op-proxy", "password": password}, format="json", **extra)


@pytest.mark.django_db
def test_behind_one_proxy_a_spoofing_attacker_locks_only_itself_out(staff, proxies):
    proxies(1)
    # Three failures, each claiming to come from the staff member's address (left-most entry).
    for _attempt in range(2):
        assert_error_shape(obtain(PROXY, f"{STAFF}, {ATTACKER}", password="wrong-password"), 400, "invalid")
    assert_error_shape(obtain(PROXY, f"{STAFF}, {ATTACKER}", password="wrong-password"), 429, "locked_out")
    # Changing the spoofed entry does not give the attacker a fresh address either.
    assert_error_shape(obtain(PROXY, f"10.1.1.1, {ATTACKER}"), 429, "locked_out")

    # The staff member, behind the same proxy (same REMOTE_ADDR), still signs in.
    assert obtain(PROXY, STAFF).status_code == 200


@pytest.mark.django_db
def test_without_a_proxy_a_forged_header_neither_frames_nor_frees(staff, proxies):
    proxies(0)
    for _attempt in range(3):
        obtain(ATTACKER, STAFF, password="wrong-password")
    assert_error_shape(obtain(ATTACKER, "10.1.1.1"), 429, "locked_out")  # the header does not free it
    assert obtain(STAFF).status_code == 200  # and did not count against the address it named


@pytest.mark.django_db
def test_behind_one_proxy_the_rate_limit_counts_the_real_client(regions, settings, proxies):
    proxies(1)
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = APIClient(REMOTE_ADDR=PROXY)
    answers = [
        client.get("/api/v1/regions/", HTTP_X_FORWARDED_FOR=f"10.1.1.{n}, {ATTACKER}").status_code
        for n in range(3)
    ]
    assert answers == [200, 200, 429]  # a new spoofed entry each time buys nothing
    assert client.get("/api/v1/regions/", HTTP_X_FORWARDED_FOR=STAFF).status_code == 200  # another client
