"""The OpenAPI document at /api/schema/: complete, true to the API and free of warnings."""

from __future__ import annotations

import copy

import jsonschema
import pytest
from rest_framework.test import APIClient

from core.api.routers import router

pytestmark = pytest.mark.django_db

SUCCESS = ("200", "201", "202")


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield f"{method.upper()} {path}", operation


def _as_json_schema(node):
    """OpenAPI 3.0 → JSON Schema: `nullable` becomes a null alternative."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _as_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def _validator(schema, target):
    document = _as_json_schema(copy.deepcopy(schema))
    registry_root = {"components": document["components"], **target}
    return jsonschema.Draft7Validator(
        registry_root,
        format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
    )


def test_every_operation_has_a_summary_a_tag_and_documented_errors(schema):
    for name, operation in _operations(schema):
        assert operation.get("summary") or operation.get("description"), name
        assert len(operation.get("tags", [])) == 1, name
        statuses = set(operation["responses"])
        assert {"400", "429"} <= statuses, name
        assert any(status.startswith("2") for status in statuses), name
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                media = response["content"]["application/json"]
                assert media["schema"] == {"$ref": "#/components/schemas/Error"}, (name, status)
                assert media.get("examples"), (name, status)
        if "429" in statuses:
            assert "Retry-After" in operation["responses"]["429"]["headers"], name


def test_every_request_body_and_success_response_has_an_example_that_fits_its_schema(schema):
    missing, invalid = [], []
    for name, operation in _operations(schema):
        bodies = []
        if "requestBody" in operation:
            bodies.append(("request", operation["requestBody"]["content"].get("application/json")))
        for status in SUCCESS:
            content = operation["responses"].get(status, {}).get("content", {})
            if "application/json" in content:
                bodies.append((status, content["application/json"]))
        for where, media in bodies:
            if media is None:
                continue
            examples = media.get("examples") or {}
            if not examples:
                missing.append(f"{name} {where}")
                continue
            validator = _validator(schema, media["schema"])
            for title, example in examples.items():
                for error in validator.iter_errors(example["value"]):
                    invalid.append(f"{name} {where} {title!r}: {error.message} at {list(error.path)}")
    assert not missing, "no example:\n" + "\n".join(missing)
    assert not invalid, "example does not fit the schema:\n" + "\n".join(invalid)


def test_the_error_shape_is_one_documented_component(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "detail", "fields"}
    assert set(error["required"]) == {"code", "detail", "fields"}


def _ref_of(prop: dict) -> str | None:
    if "$ref" in prop:
        return prop["$ref"]
    refs = [item["$ref"] for item in prop.get("allOf", []) if "$ref" in item]
    return refs[0] if len(refs) == 1 else None


def test_a_resident_is_one_documented_component_wherever_an_answer_names_one(schema):
    components = schema["components"]["schemas"]
    refs = {
        name: _ref_of(components[name]["properties"]["citizen"]) for name in ("Appointment", "ServiceRequest")
    }
    assert set(refs.values()) == {"#/components/schemas/CitizenRef"}, refs
    resident = components["CitizenRef"]
    assert list(resident["properties"]) == ["id", "nik", "full_name"]
    assert {"id", "nik", "full_name"} <= set(components["Citizen"]["properties"])


def test_session_times_of_day_are_documented_as_wib_wall_clock_times(schema):
    for component in ("Session", "Series", "SessionCreateRequest", "SeriesCreateRequest"):
        for field in ("start_time", "end_time"):
            described = schema["components"]["schemas"][component]["properties"][field]
            assert described["type"] == "string" and "format" not in described, component
            assert described["pattern"].startswith("^") and "WIB" in described["description"]


def test_auth_schemes_are_token_and_session(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schemes["tokenAuth"]["description"],
    }
    assert schemes["cookieAuth"]["in"] == "cookie"


def test_every_registered_viewset_is_in_the_schema(schema):
    paths = set(schema["paths"])
    for prefix, _viewset, _basename in router.registry:
        assert f"/api/v1/{prefix}/" in paths or any(p.startswith(f"/api/v1/{prefix}/{{") for p in paths)
