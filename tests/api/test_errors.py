"""Every error of an API URL is `{"code", "detail", "fields"}` in JSON with the right status: from
DRF, from the services, and from Django itself (unknown paths, bad Host, oversized or undecodable
bodies, DEBUG pages, server errors)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient

from core.api.errors import ERROR_CODES
from core.exceptions import ApplicationError, ConflictError
from tests.factories import staff_user
from tests.helpers import KALIWUNGU, assert_error_shape

pytestmark = pytest.mark.django_db


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def raw_post(path: str, body: bytes, content_type: str = "application/json", **extra):
    return Client().generic("POST", path, body, content_type=content_type, **extra)


# --- 400 -------------------------------------------------------------------------------------


def test_invalid_input_names_each_field_with_a_list_of_messages(world):
    response = APIClient().post("/api/v1/appointments/", {"nik": "123", "service": "x"}, format="json")
    assert_error_shape(response, 400, "invalid")
    fields = response.json()["fields"]
    assert set(fields) == {"nik", "kk", "service", "reason", "slot"}
    assert all(isinstance(messages, list) and messages for messages in fields.values())


def test_errors_of_list_items_are_flattened_to_dotted_field_names(world, operator):
    response = as_user(operator).post(
        "/api/v1/sessions/",
        {"kind": "kecamatan", "title": "T", "venue": "V", "kecamatan": KALIWUNGU, "date": "2024-02-03",
         "start_time": "08:00", "end_time": "11:00", "services": ["recording", "haircut"]},
        format="json",
    )  # fmt: skip
    assert_error_shape(response, 400, "invalid")
    assert list(response.json()["fields"]) == ["services.1"]


def test_a_time_of_day_with_an_offset_is_refused_not_silently_shifted(world, operator):
    response = as_user(operator).post(
        "/api/v1/sessions/",
        {"kind": "kecamatan", "title": "T", "venue": "V", "kecamatan": KALIWUNGU, "date": "2024-02-03",
         "start_time": "01:00+00:00", "end_time": "04:00+00:00", "services": ["recording"]},
        format="json",
    )  # fmt: skip
    assert_error_shape(response, 400, "invalid")
    assert set(response.json()["fields"]) == {"start_time", "end_time"}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"nik": ', "application/json"),  # truncated JSON
        ('{"nik": "ü"}'.encode("latin-1"), "application/json"),  # not UTF-8
        (b'{"nik": "1"}', "application/json; charset=rot13"),  # not a text encoding
        (b'{"nik": "1"}', "application/json; charset=zlib_codec"),
        (b"[" * 50_000 + b"]" * 50_000, "application/json"),  # deeper than the recursion limit
    ],
    ids=["truncated", "latin-1", "rot13", "zlib", "deep"],
)
def test_undecodable_json_is_a_400_parse_error(world, body, content_type):
    assert_error_shape(raw_post("/api/v1/appointments/", body, content_type), 400, "parse_error")


def test_a_bad_host_header_is_a_json_400(world, settings):
    settings.ALLOWED_HOSTS = ["portal.example"]
    response = Client().get("/api/v1/regions/", HTTP_HOST="evil.example")
    assert_error_shape(response, 400, "bad_request")


def test_a_malformed_page_number_is_a_400_and_a_page_past_the_end_a_404(world):
    assert_error_shape(APIClient().get("/api/v1/regions/", {"page": "x"}), 400, "invalid")
    assert_error_shape(APIClient().get("/api/v1/regions/", {"page": 0}), 400, "invalid")
    assert_error_shape(APIClient().get("/api/v1/regions/", {"page": 99}), 404, "not_found")


def test_a_made_up_cursor_is_a_400(world, operator):
    assert_error_shape(as_user(operator).get("/api/v1/citizens/", {"cursor": "!!not-base64!!"}), 400)


def test_out_of_range_ids_and_dates_in_filters_are_answered_not_crashed(world, operator):
    client = as_user(operator)
    assert_error_shape(client.get("/api/v1/appointments/", {"slot": 2**70}), 400, "invalid")
    assert client.get("/api/v1/service-requests/", {"date_to": "9999-12-31"}).status_code == 200
    assert client.get("/api/v1/service-requests/", {"date_from": "0001-01-01"}).status_code == 200
    assert client.get("/api/v1/blanks/movements/", {"date": "9999-12-31"}).status_code == 200


# --- 401, 403, 404, 405, 406 -----------------------------------------------------------------


def test_401_for_missing_and_for_wrong_credentials(world):
    assert_error_shape(APIClient().get("/api/v1/citizens/"), 401, "not_authenticated")
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert_error_shape(wrong.get("/api/v1/citizens/"), 401, "authentication_failed")
    assert_error_shape(wrong.get("/api/v1/sessions/"), 401, "authentication_failed")  # even where public


def test_403_when_the_role_may_not(world):
    viewer = staff_user("viewer")
    assert_error_shape(as_user(viewer).get("/api/v1/service-requests/"), 403, "permission_denied")
    assert_error_shape(as_user(viewer).post("/api/v1/coverage/recompute/"), 403, "permission_denied")


@pytest.mark.parametrize(
    "path", ["/api/v1/no-such-thing/", "/api/v1/sessions/abc/", "/api/nope", "/api/v1/regions/33.19.99/"]
)
def test_404_for_unknown_api_urls_is_json(world, path):
    assert_error_shape(Client().get(path), 404, "not_found")


def test_404_pages_stay_json_in_debug_mode(world, settings):
    settings.DEBUG = True
    assert_error_shape(Client().get("/api/v1/no-such-thing/"), 404, "not_found")


def test_405_names_the_allowed_methods(world):
    response = APIClient().delete("/api/v1/regions/")
    assert_error_shape(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD, OPTIONS"


def test_406_when_the_client_accepts_no_json(world):
    assert_error_shape(Client().get("/api/v1/regions/", HTTP_ACCEPT="text/html"), 406, "not_acceptable")


def test_a_browser_gets_json_not_a_browsable_html_page(world):
    response = Client().get("/api/v1/regions/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


# --- 409, 413, 415 ---------------------------------------------------------------------------


def test_409_when_the_request_conflicts_with_the_state(world, operator):
    # The world's service request is submitted: its citizen already has an open printing request.
    nik = world.mine.service_request.citizen.nik
    response = as_user(operator).post(
        "/api/v1/service-requests/",
        {"citizen": nik, "service": "printing", "channel": "kecamatan", "location": "KEC-01"},
        format="json",
    )
    assert_error_shape(response, 409, "already_open")


def test_413_for_a_body_over_the_upload_limit(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = raw_post("/api/v1/appointments/", b'{"nik": "' + b"1" * 2000 + b'"}')
    assert_error_shape(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"nik=1", "application/x-www-form-urlencoded"), (b"nik", "text/plain"), (b"<a/>", "application/xml")],
)
def test_415_for_a_body_that_is_not_json(world, body, content_type):
    assert_error_shape(raw_post("/api/v1/appointments/", body, content_type), 415, "unsupported_media_type")


# --- Redirects and server errors -------------------------------------------------------------


def test_a_write_without_the_trailing_slash_is_redirected_keeping_its_method(world, settings):
    settings.DEBUG = True  # Django itself would raise a RuntimeError here
    response = raw_post("/api/v1/appointments", b"{}")
    assert response.status_code == 308
    assert response["Location"] == "/api/v1/appointments/"


def test_domain_errors_carry_their_code_and_status(world, operator, monkeypatch):
    class Exploded(ConflictError):
        code = "exploded"

    def explode(*args, **kwargs):
        raise Exploded("It exploded.", fields={"slot": {"start": "Too early."}})

    monkeypatch.setattr("registrations.api.views.RegionViewSet.list", explode)
    response = APIClient().get("/api/v1/regions/")
    assert_error_shape(response, 409, "exploded")
    assert response.json() == {
        "code": "exploded",
        "detail": "It exploded.",
        "fields": {"slot.start": ["Too early."]},
    }
    assert issubclass(Exploded, ApplicationError)


def test_an_unexpected_server_error_is_a_json_500(world, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("registrations.api.views.RegionViewSet.list", crash)
    client = Client(raise_request_exception=False)
    assert_error_shape(client.get("/api/v1/regions/"), 500, "server_error")


def test_a_lone_surrogate_in_json_text_is_a_400_parse_error(world):
    # Serializer fields refuse surrogates themselves; text read without one (the manage token) used
    # to reach `str.encode` and fail with a 500.
    code = world.mine.appointment.code
    body = b'{"token": "\\ud800"}'
    response = APIClient().generic(
        "POST", f"/api/v1/appointments/{code}/cancel/", body, content_type="application/json"
    )
    assert_error_shape(response, 400, "parse_error")


def test_a_manage_token_that_is_not_a_string_is_no_token(world):
    code = world.mine.appointment.code
    response = APIClient().post(f"/api/v1/appointments/{code}/cancel/", {"token": 12345}, format="json")
    assert_error_shape(response, 404, "not_found")


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_the_api_guide_lists_every_error_code():
    for module in ("blanks.exceptions", "schedules.exceptions", "registrations.exceptions",
                   "registrations.coverage", "core.roles", "core.api.auth"):  # fmt: skip
        importlib.import_module(module)
    codes = {cls.code for cls in _subclasses(ApplicationError)}
    codes |= {code for listed in ERROR_CODES.values() for code in listed}
    api_guide = Path(__file__).resolve().parents[2].joinpath("docs", "api.md").read_text(encoding="utf-8")
    guide = api_guide.split("\n## Errors\n", 1)[1].split("\n## ", 1)[0]
    assert sorted(code for code in codes if f"`{code}`" not in guide) == []
