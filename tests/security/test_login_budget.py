"""One budget of failed logins per client address, shared by /accounts/login/, /admin/login/ and
the API token endpoint (core/login_limits.py)."""

from __future__ import annotations

import pytest
from axes.models import AccessFailureLog
from django.test import Client
from rest_framework.test import APIClient

from core.models import AuditEvent
from core.roles import staff_create
from core.throttling import throttle_cache
from tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db

PASSWORD = "kudus-Test-2024!"
USERS = ("op-one", "op-two", "sup-three", "view-four")
LOGIN_PAGES = ("/accounts/login/", "/admin/login/")


@pytest.fixture
def staff(regions):
    roles = {"op-one": "operator", "op-two": "operator", "sup-three": "supervisor", "view-four": "viewer"}
    return {
        name: staff_create(username=name, role=role, kecamatan_codes=["33.19.01"], password=PASSWORD)
        for name, role in roles.items()
    }


def browser(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def try_login(client: Client, page: str, username: str, password: str):
    return client.post(page, {"username": username, "password": password})


def test_twelve_wrong_passwords_over_four_users_lock_the_address_out(staff, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 10
    settings.LOGIN_FAILURE_WINDOW_MINUTES = 15
    client = browser("10.9.0.1")
    answers = []
    for attempt in range(12):  # three wrong passwords per user, alternating the two login pages
        page = LOGIN_PAGES[attempt % 2]
        answers.append(try_login(client, page, USERS[attempt % 4], "wrong-password").status_code)

    assert answers == [200] * 10 + [429, 429]
    locked = try_login(client, "/accounts/login/", "op-one", "wrong-password")
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Terlalu banyak percobaan masuk yang gagal dari alamat Anda" in text  # Indonesian first
    assert "15 menit" in text
    assert 14 * 60 < int(locked["Retry-After"]) <= 15 * 60
    assert 'name="password"' not in text  # no fresh form


def test_a_locked_address_is_refused_even_with_the_right_password_which_is_not_checked(staff, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    client = browser("10.9.0.2")
    for username in USERS[:3]:
        assert try_login(client, "/accounts/login/", username, "wrong-password").status_code == 200
    failures_logged = AccessFailureLog.objects.count()

    for page in LOGIN_PAGES:
        response = try_login(client, page, "op-one", PASSWORD)
        assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AccessFailureLog.objects.count() == failures_logged  # the password was never checked
    assert client.get("/accounts/login/").status_code == 200  # the page itself still opens


def test_another_address_is_still_served(staff, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    attacker = browser("10.9.0.3")
    for username in USERS[:3]:
        try_login(attacker, "/admin/login/", username, "wrong-password")
    assert try_login(attacker, "/admin/login/", "op-one", PASSWORD).status_code == 429

    colleague = browser("10.9.0.4")
    response = try_login(colleague, "/accounts/login/", "op-one", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


def test_the_token_endpoint_shares_the_budget(staff, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "100/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    page = browser("10.9.0.5")
    try_login(page, "/accounts/login/", "op-one", "wrong-password")
    try_login(page, "/admin/login/", "op-two", "wrong-password")
    api = APIClient(REMOTE_ADDR="10.9.0.5")
    body = {"username": "sup-three", "password": "wrong-password"}
    assert_error_shape(api.post("/api/v1/auth/token/", body, format="json"), 400, "invalid")

    refused = api.post("/api/v1/auth/token/", {"username": "op-one", "password": PASSWORD}, format="json")

    assert_error_shape(refused, 429, "locked_out")
    assert int(refused["Retry-After"]) > 0
    assert try_login(page, "/accounts/login/", "view-four", PASSWORD).status_code == 429
    other = APIClient(REMOTE_ADDR="10.9.0.6")
    assert other.post("/api/v1/auth/token/", {"username": "op-one", "password": PASSWORD}).status_code == 200


def test_the_lock_is_audited_once_with_the_username_masked_and_no_password(staff, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    client = browser("10.9.0.7")
    for username in ("op-one", "op-two", "3319011107900001"):
        try_login(client, "/accounts/login/", username, "Secret-Guess-99")
    try_login(client, "/accounts/login/", "op-one", "Secret-Guess-99")

    events = list(AuditEvent.objects.filter(kind="security", action__startswith="logins from this address"))
    assert len(events) == 1
    (event,) = events
    assert event.ip_address == "10.9.0.7" and event.status_code == 429
    assert event.target == "last username tried 33***"
    recorded = f"{event.action} {event.target} {event.reason}"
    assert "Secret-Guess-99" not in recorded and "3319011107900001" not in recorded


def test_the_lock_ends_with_the_window_counted_from_the_first_failure(staff, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 2
    settings.LOGIN_FAILURE_WINDOW_MINUTES = 15
    client = browser("10.9.0.8")
    for username in USERS[:2]:
        try_login(client, "/accounts/login/", username, "wrong-password")
    assert try_login(client, "/accounts/login/", "op-one", PASSWORD).status_code == 429
    since_key = "login-failures:10.9.0.8:since"

    throttle_cache.set(since_key, throttle_cache.get(since_key) - 14 * 60)  # 14 minutes later
    still = try_login(client, "/accounts/login/", "op-one", PASSWORD)
    assert still.status_code == 429 and "1 menit" in still.content.decode()

    throttle_cache.set(since_key, throttle_cache.get(since_key) - 61)  # the window is over
    assert try_login(client, "/accounts/login/", "op-one", PASSWORD).status_code == 302
