"""Token auth (obtain, use, revoke), session auth with CSRF, and the login lockout."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.roles import staff_create
from tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db

PASSWORD = "kudus-Test-2024!"
TOKEN_URL = "/api/v1/auth/token/"
REVOKE_URL = "/api/v1/auth/token/revoke/"


@pytest.fixture
def operator(regions):
    return staff_create(username="op-auth", role="operator", kecamatan_codes=["33.19.01"], password=PASSWORD)


def obtain(client: APIClient, username: str = "op-auth", password: str = PASSWORD):
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json")


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_obtaining_twice_gives_the_same_token_until_it_is_revoked(operator):
    first = obtain(APIClient()).json()["token"]
    assert obtain(APIClient()).json()["token"] == first
    assert with_token(first).post(REVOKE_URL).status_code == 204
    assert obtain(APIClient()).json()["token"] != first


def test_a_revoked_token_answers_401_at_once(operator):
    key = obtain(APIClient()).json()["token"]
    client = with_token(key)
    assert client.get("/api/v1/citizens/").status_code == 200

    response = client.post(REVOKE_URL)

    assert response.status_code == 204 and response.content == b""
    assert not Token.objects.filter(key=key).exists()
    assert_error_shape(client.get("/api/v1/citizens/"), 401, "authentication_failed")
    assert_error_shape(client.post(REVOKE_URL), 401, "authentication_failed")


def test_delete_on_the_token_url_revokes_too(operator):
    key = obtain(APIClient()).json()["token"]
    assert with_token(key).delete(TOKEN_URL).status_code == 204
    assert not Token.objects.filter(user=operator).exists()


def test_revoking_needs_credentials(db):
    assert_error_shape(APIClient().post(REVOKE_URL), 401, "not_authenticated")
    assert_error_shape(APIClient().delete(TOKEN_URL), 401, "not_authenticated")


def test_a_signed_in_browser_revokes_its_users_token_with_the_session(operator):
    Token.objects.create(user=operator)
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(operator)
    browser.get("/dashboard/")  # sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value

    assert browser.post(REVOKE_URL, HTTP_X_CSRFTOKEN=csrf).status_code == 204
    assert not Token.objects.filter(user=operator).exists()


def test_a_stale_authorization_header_does_not_block_obtaining_a_new_token(operator):
    response = with_token("0" * 40).post(
        TOKEN_URL, {"username": "op-auth", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200


def test_accounts_that_are_not_staff_get_no_token(regions, django_user_model):
    django_user_model.objects.create_user("citizen-account", password=PASSWORD)
    response = obtain(APIClient(), "citizen-account")
    assert_error_shape(response, 400, "invalid")
    assert response.json()["detail"] == obtain(APIClient(), "op-auth", "wrong-password").json()["detail"]


def test_missing_credentials_are_named_per_field(db):
    response = APIClient().post(TOKEN_URL, {"username": "someone"}, format="json")
    assert_error_shape(response, 400, "invalid")
    assert list(response.json()["fields"]) == ["password"]


def test_the_browser_session_authenticates_reads_and_writes_need_the_csrf_token(operator):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(operator)
    assert browser.get("/api/v1/citizens/").status_code == 200

    refused = browser.post(REVOKE_URL)
    assert_error_shape(refused, 403, "csrf_failed")

    browser.get("/dashboard/")
    csrf = browser.cookies["csrftoken"].value
    accepted = browser.post(REVOKE_URL, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert accepted.status_code == 204


def test_repeated_failed_logins_lock_the_username_out_with_429(operator, settings):
    settings.AXES_FAILURE_LIMIT = 3
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "100/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = APIClient()
    for _attempt in range(2):
        assert_error_shape(obtain(client, password="wrong-password"), 400, "invalid")

    assert_error_shape(obtain(client, password="wrong-password"), 429, "locked_out")  # the third
    locked = obtain(client)  # even with the right password, for a while

    assert_error_shape(locked, 429, "locked_out")
    assert int(locked["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
