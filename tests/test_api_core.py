from __future__ import annotations

import pytest
from django.core.management import call_command
from knox.models import AuthToken
from rest_framework.test import APIClient

from core.roles import staff_create
from tests.factories import CitizenFactory, desa
from tests.helpers import api_token, assert_error_shape

PASSWORD = "kudus-Test-2024!"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def operator(regions):
    return staff_create(username="op-api", role="operator", kecamatan_codes=["33.19.01"], password=PASSWORD)


@pytest.fixture
def citizens(regions):
    return (
        CitizenFactory(full_name="Ali Kaliwungu", desa=desa("33.19.01.2001"), phone="081234567890"),
        CitizenFactory(full_name="Budi Jati", desa=desa("33.19.03.2001"), area6="331903"),
    )


def test_a_staff_user_obtains_a_token_and_uses_it(api, operator, citizens):
    response = api.post("/api/v1/auth/token/", {"username": "op-api", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/citizens/").status_code == 200


def test_wrong_credentials_give_the_error_shape(api, operator):
    response = api.post("/api/v1/auth/token/", {"username": "op-api", "password": "nope"}, format="json")
    assert_error_shape(response, 400, "invalid")


def test_a_revoked_token_is_refused(api, operator):
    token = api_token(operator)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/citizens/").status_code == 200
    AuthToken.objects.filter(user=operator).delete()
    assert_error_shape(api.get("/api/v1/citizens/"), 401, "authentication_failed")


def test_anonymous_gets_401_on_staff_endpoints(api, db):
    assert_error_shape(api.get("/api/v1/citizens/"), 401, "not_authenticated")


def test_regions_are_public(api, regions):
    body = api.get("/api/v1/regions/").json()
    assert body["count"] == 9
    assert body["results"][0]["code"] == "33.19.01"
    assert len(body["results"][0]["desa"]) == 15
    assert api.get("/api/v1/regions/33.19.02/").json()["name"] == "Kota Kudus"


def test_operator_lists_only_own_kecamatan_and_gets_404_for_others(api, operator, citizens):
    mine, other = citizens
    api.force_authenticate(operator)
    body = api.get("/api/v1/citizens/").json()
    assert [row["full_name"] for row in body["results"]] == ["Ali Kaliwungu"]
    assert set(body) >= {"next", "previous", "results"}
    assert api.get(f"/api/v1/citizens/{mine.pk}/").status_code == 200
    assert_error_shape(api.get(f"/api/v1/citizens/{other.pk}/"), 404, "not_found")
    assert api.get("/api/v1/citizens/", {"kecamatan": "33.19.03"}).json()["results"] == []


def test_personal_data_is_masked_for_operators(api, operator, citizens):
    mine, _ = citizens
    api.force_authenticate(operator)
    row = api.get(f"/api/v1/citizens/{mine.pk}/").json()
    assert row["nik"] == mine.masked_nik
    assert row["birth_date"] == f"{mine.birth_date:%Y}"
    assert row["phone"].endswith("890") and "1234567" not in row["phone"]


def test_search_by_full_nik_and_by_name(api, operator, citizens):
    mine, _ = citizens
    api.force_authenticate(operator)
    assert [r["id"] for r in api.get("/api/v1/citizens/", {"q": mine.nik}).json()["results"]] == [mine.pk]
    assert [r["id"] for r in api.get("/api/v1/citizens/", {"q": "kaliwu"}).json()["results"]] == [mine.pk]


def test_bad_filter_values_are_a_400_not_a_500(api, operator, citizens):
    api.force_authenticate(operator)
    assert_error_shape(api.get("/api/v1/citizens/", {"recorded": "maybe", "desa": "x"}), 400, "invalid")


def test_unknown_api_urls_answer_json_404(client, db):
    response = client.get("/api/v1/no-such-thing/")
    assert_error_shape(response, 404, "not_found")


def test_the_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/citizens/" in (tmp_path / "schema.yaml").read_text()


def test_swagger_ui_is_served_without_a_cdn(client, db):
    page = client.get("/api/docs/").content.decode()
    assert "cdn" not in page.lower()
    assert client.get("/api/schema/").status_code == 200
