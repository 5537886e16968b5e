"""Token auth (obtain, use, revoke; hashed at rest, expiring, revoked when the account changes),
session auth with CSRF, and the login lockout."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from core.models import AuditEvent
from core.roles import staff_create
from tests.helpers import api_token, api_token_exists, assert_error_shape

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


def test_each_login_issues_a_new_token_and_revoking_one_leaves_the_other(operator):
    first = obtain(APIClient()).json()["token"]
    second = obtain(APIClient()).json()["token"]
    assert first != second

    assert with_token(first).post(REVOKE_URL).status_code == 204

    assert_error_shape(with_token(first).get("/api/v1/citizens/"), 401, "authentication_failed")
    assert with_token(second).get("/api/v1/citizens/").status_code == 200


def test_a_stored_token_is_a_digest_not_the_token_itself(operator):
    key = obtain(APIClient()).json()["token"]
    assert len(key) == 64

    (row,) = AuthToken.objects.filter(user=operator).values()
    assert key not in {str(value) for value in row.values()}
    assert row["token_key"] == key[:15]  # the lookup prefix only
    assert len(row["digest"]) == 128  # SHA-512


def test_a_token_expires_after_the_configured_hours(operator, settings):
    settings.API_TOKEN_TTL_HOURS = 2
    response = obtain(APIClient())
    key = response.json()["token"]
    token = AuthToken.objects.get(user=operator)
    assert abs(token.expiry - (timezone.now() + dt.timedelta(hours=2))) < dt.timedelta(minutes=1)
    assert dt.datetime.fromisoformat(response.json()["expiry"]) == token.expiry
    assert with_token(key).get("/api/v1/citizens/").status_code == 200

    AuthToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - dt.timedelta(seconds=1))

    assert_error_shape(with_token(key).get("/api/v1/citizens/"), 401, "authentication_failed")
    assert not AuthToken.objects.filter(user=operator).exists()


def test_a_password_change_revokes_every_token_of_the_account(operator):
    keys = [api_token(operator), api_token(operator)]
    other = staff_create(
        username="op-other", role="operator", kecamatan_codes=["33.19.01"], password=PASSWORD
    )
    others = api_token(other)

    operator.set_password("another-Pass-2024!")
    operator.save()

    for key in keys:
        assert_error_shape(with_token(key).get("/api/v1/citizens/"), 401, "authentication_failed")
    assert with_token(others).get("/api/v1/citizens/").status_code == 200
    assert AuditEvent.objects.filter(
        kind="security", action="API tokens revoked: password changed", target=f"user {operator.pk}"
    ).exists()


def test_the_password_change_page_revokes_the_tokens(operator):
    key = api_token(operator)
    browser = Client()
    browser.force_login(operator)
    response = browser.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another-Pass-2024!",
            "new_password2": "another-Pass-2024!",
        },
    )
    assert response.status_code == 302
    assert not api_token_exists(key)


def test_saving_the_account_without_a_password_change_keeps_the_tokens(operator):
    key = api_token(operator)
    operator.first_name = "Sri"
    operator.save()
    operator.save(update_fields=["last_login"])
    assert with_token(key).get("/api/v1/citizens/").status_code == 200


def test_deactivating_the_account_revokes_its_tokens(operator):
    key = api_token(operator)
    operator.is_active = False
    operator.save(update_fields=["is_active"])
    assert not api_token_exists(key)
    assert AuditEvent.objects.filter(
        kind="security", action="API tokens revoked: account deactivated"
    ).exists()


@pytest.mark.parametrize(
    "how", ["user.groups.remove", "user.groups.clear", "group.user_set.remove", "re-role"]
)
def test_taking_a_role_away_revokes_the_tokens(operator, how):
    key = api_token(operator)
    group = Group.objects.get(name="operator")
    if how == "user.groups.remove":
        operator.groups.remove(group)
    elif how == "user.groups.clear":
        operator.groups.clear()
    elif how == "group.user_set.remove":
        group.user_set.remove(operator)
    else:  # provisioning the account again with another role
        staff_create(username="op-auth", role="viewer")

    assert_error_shape(with_token(key).get("/api/v1/citizens/"), 401, "authentication_failed")
    assert AuditEvent.objects.filter(kind="security", action="API tokens revoked: role removed").exists()


def test_provisioning_the_same_role_again_keeps_the_tokens(operator):
    key = api_token(operator)
    staff_create(username="op-auth", role="operator", kecamatan_codes=["33.19.01"])
    assert with_token(key).get("/api/v1/citizens/").status_code == 200


def test_a_token_that_is_not_utf8_is_refused_not_a_server_error(operator):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token \xff\xfe-not-utf8")
    assert_error_shape(client.get("/api/v1/citizens/"), 401, "authentication_failed")


def test_an_old_plain_drf_token_is_refused(operator):
    assert_error_shape(with_token("9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b").get("/api/v1/citizens/"), 401)


def test_a_revoked_token_answers_401_at_once(operator):
    key = obtain(APIClient()).json()["token"]
    client = with_token(key)
    assert client.get("/api/v1/citizens/").status_code == 200

    response = client.post(REVOKE_URL)

    assert response.status_code == 204 and response.content == b""
    assert not api_token_exists(key)
    assert_error_shape(client.get("/api/v1/citizens/"), 401, "authentication_failed")
    assert_error_shape(client.post(REVOKE_URL), 401, "authentication_failed")


def test_delete_on_the_token_url_revokes_too(operator):
    key = obtain(APIClient()).json()["token"]
    assert with_token(key).delete(TOKEN_URL).status_code == 204
    assert not AuthToken.objects.filter(user=operator).exists()


def test_revoking_needs_credentials(db):
    assert_error_shape(APIClient().post(REVOKE_URL), 401, "not_authenticated")
    assert_error_shape(APIClient().delete(TOKEN_URL), 401, "not_authenticated")


def test_a_signed_in_browser_revokes_its_users_tokens_with_the_session(operator):
    api_token(operator)
    api_token(operator)
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(operator)
    browser.get("/dashboard/")  # sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value

    assert browser.post(REVOKE_URL, HTTP_X_CSRFTOKEN=csrf).status_code == 204
    assert not AuthToken.objects.filter(user=operator).exists()


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


def test_the_admin_lists_and_revokes_tokens_but_issues_none(operator):
    boss = staff_create(username="boss-auth", role="admin", password=PASSWORD)
    key = api_token(operator)
    browser = Client()
    browser.force_login(boss)
    assert browser.get("/admin/knox/authtoken/add/").status_code == 403  # no token without expiry
    listing = browser.get("/admin/knox/authtoken/")
    assert listing.status_code == 200 and key not in listing.content.decode()

    token = AuthToken.objects.get(user=operator)
    response = browser.post(f"/admin/knox/authtoken/{token.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert_error_shape(with_token(key).get("/api/v1/citizens/"), 401, "authentication_failed")
