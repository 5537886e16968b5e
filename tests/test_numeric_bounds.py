"""Every number the portal takes from outside is bounded to the range of the column it ends in.

A number out of its column's range must be a 400 naming the field, never a database error: found
by walking every serializer, form and filter of the apps (so a new field is covered without a
change here), then sent for real, in process and through gunicorn in production mode, to every API
operation with a number in its body (from the OpenAPI schema) and to the dashboard's number forms.
"""

from __future__ import annotations

import importlib
import json
import math
import pkgutil
import re
from types import SimpleNamespace

import django_filters
import pytest
from django import forms
from django.db import connection
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from blanks.models import StockLocation, StockMovement
from core.bounds import column_range
from registrations.models import Citizen, ServiceRequest
from schedules.models import Appointment, OutreachSeries, OutreachSession, Slot
from tests.caches import locmem_caches
from tests.factories import kecamatan_world, staff_user
from tests.helpers import KALIWUNGU as A
from tests.helpers import counts, staff_routes, url_for

APPS = ("core", "regions", "registrations", "schedules", "blanks", "dashboard")
NUMERIC_SERIALIZER_FIELDS = (serializers.IntegerField, serializers.FloatField, serializers.DecimalField)
NUMERIC_FORM_FIELDS = (forms.IntegerField, forms.FloatField, forms.DecimalField)
# The widest integer column (bigint): a number without a column of its own must fit it too.
WIDEST = connection.ops.integer_field_range("BigIntegerField")


def _import_the_apps() -> None:
    for name in APPS:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, f"{name}."):
            if ".migrations" not in module.name:
                importlib.import_module(module.name)


def _subclasses(base) -> list[type]:
    _import_the_apps()
    found, stack = set(), [base]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    return sorted((c for c in found if c.__module__.split(".")[0] in APPS), key=lambda c: c.__qualname__)


def _column(model, source: str):
    try:
        field = model._meta.get_field(source)
    except Exception:  # not a model field (a computed or nested source)
        return None
    field = getattr(field, "target_field", None) or field  # a foreign key holds the target's ids
    try:
        return connection.ops.integer_field_range(field.get_internal_type())
    except KeyError:  # not an integer column
        return None


def _out_of(name: str, low, high, column) -> str | None:
    if low is None or high is None:
        return f"{name}: min {low}, max {high} (both needed)"
    column_low, column_high = column or WIDEST
    if (column_low is not None and low < column_low) or (column_high is not None and high > column_high):
        return f"{name}: [{low}, {high}] does not fit its column [{column_low}, {column_high}]"
    return None


def _writable_numbers(serializer) -> list[tuple[str, serializers.Field]]:
    found = []
    for name, field in serializer.fields.items():
        inner = field.child if isinstance(field, serializers.ListField) else field
        if not field.read_only and isinstance(inner, NUMERIC_SERIALIZER_FIELDS):
            found.append((name, inner))
    return found


def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _refs(node) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node)) if node else set()
    return set()


def _request_components(schema: dict) -> set[str]:
    """The schema components that request bodies use (what the API reads from a client)."""
    bodies = [op.get("requestBody", {}) for ops in schema["paths"].values() for op in ops.values()]
    return _refs(bodies)


def _input_serializers(schema: dict) -> tuple[list[type], list[str]]:
    """The serializer classes behind the request bodies, and the components matched to none."""
    classes = {
        cls.__name__.removesuffix("Serializer"): cls for cls in _subclasses(serializers.BaseSerializer)
    }
    found, unmatched = [], []
    for component in sorted(_request_components(schema)):
        name = component.removeprefix("Patched").removesuffix("Request")
        if name in classes:
            found.append(classes[name])
        else:
            unmatched.append(component)
    return found, unmatched


def test_every_numeric_field_of_a_request_body_is_bounded_to_its_column():
    schema = _schema()
    classes, unmatched = _input_serializers(schema)
    assert unmatched == [], f"request bodies whose serializer the test cannot find: {unmatched}"
    problems, checked = [], 0
    for cls in classes:
        serializer = cls(context={})
        model = getattr(getattr(cls, "Meta", None), "model", None)
        for name, field in _writable_numbers(serializer):
            checked += 1
            where = f"{cls.__module__}.{cls.__qualname__}.{name}"
            if isinstance(field, serializers.DecimalField) and field.max_digits is not None:
                continue  # its digits bound it (and a DecimalField column has the same ones)
            column = _column(model, field.source) if model is not None and field.source != "*" else None
            problem = _out_of(where, field.min_value, field.max_value, column)
            if problem:
                problems.append(problem)
    assert not problems, "\n".join(problems)
    assert checked >= 8


# Query parameters that need no upper bound: a page number is never stored (past the last page
# is a 404).
UNBOUNDED_QUERY = {"page": "a page number, never stored; past the last page is a 404"}


def test_every_numeric_query_parameter_is_bounded():
    problems, checked = [], 0
    for path, operations in _schema()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                kind = parameter.get("schema", {})
                if parameter["in"] != "query" or kind.get("type") not in ("integer", "number"):
                    continue
                checked += 1
                if parameter["name"] in UNBOUNDED_QUERY:
                    continue
                problem = _out_of(f"{method.upper()} {path}?{parameter['name']}=", kind.get("minimum"),
                                  kind.get("maximum"), None)  # fmt: skip
                if problem:
                    problems.append(problem)
    assert not problems, "\n".join(problems)
    assert checked >= 10


def test_every_numeric_form_field_and_filter_is_bounded():
    problems, checked = [], 0
    for cls in _subclasses(forms.BaseForm):
        model = getattr(getattr(cls, "_meta", None), "model", None)
        for name, field in cls.base_fields.items():
            if not isinstance(field, NUMERIC_FORM_FIELDS):
                continue
            checked += 1
            column = _column(model, name) if model is not None else None
            if column is not None and name not in cls.declared_fields:
                continue  # a ModelForm field: the model field's validators hold it to its column
            problem = _out_of(
                f"{cls.__module__}.{cls.__qualname__}.{name}", field.min_value, field.max_value, column
            )
            if problem:
                problems.append(problem)
    for cls in _subclasses(django_filters.FilterSet):
        for name, flt in cls.base_filters.items():
            if issubclass(flt.field_class, NUMERIC_FORM_FIELDS):
                checked += 1
                extra = flt.extra
                problem = _out_of(
                    f"{cls.__qualname__} ?{name}=", extra.get("min_value"), extra.get("max_value"), None
                )
                if problem:
                    problems.append(problem)
    assert not problems, "\n".join(problems)
    assert checked >= 5


# --- The same numbers, sent -------------------------------------------------------------------


def _too_big_or_small(kind: dict) -> list[int]:
    """Numbers out of a field's range (as the schema publishes it) and out of every column's."""
    values = [2**31, 2**63, -(2**63) - 1]
    if kind.get("maximum") is not None:
        values.append(int(kind["maximum"]) + 1)
    if kind.get("minimum") is not None:
        values.append(int(kind["minimum"]) - 1)
    return sorted(set(values))


def numeric_cases(schema: dict) -> list[tuple[str, str, str, str, dict]]:
    """(method, path template, "body"/"query", name, schema) of every number the API takes."""
    components = schema["components"]["schemas"]

    def properties(node) -> dict:
        if "$ref" in node:
            return properties(components[node["$ref"].rsplit("/", 1)[-1]])
        found = {}
        for part in node.get("allOf", []) + node.get("oneOf", []):
            found.update(properties(part))
        return {**found, **node.get("properties", {})}

    cases = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                kind = parameter.get("schema", {})
                if parameter["in"] == "query" and kind.get("type") in ("integer", "number"):
                    cases.append((method.upper(), path, "query", parameter["name"], kind))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            for name, kind in properties(body.get("schema", {})).items():
                item = kind.get("items", {}) if kind.get("type") == "array" else kind
                if not kind.get("readOnly") and item.get("type") in ("integer", "number"):
                    cases.append((method.upper(), path, "body", name, kind))
    return cases


@pytest.fixture(params=["in-process", "deployed"])
def api(request):
    """(client signed in as an admin, objects of kecamatan A by model, row counter) in process or
    through the portal as deployed."""
    if request.param == "in-process":
        request.getfixturevalue("regions")
        client = request.getfixturevalue("client")
        client.raise_request_exception = False
        client.force_login(staff_user("admin", is_superuser=True, username="bounds-admin"))
        return client, kecamatan_world()[A], lambda: counts(connection)
    deployed = request.getfixturevalue("deployed")
    client = deployed.client()
    signed_in = client.post("/accounts/login/", {"username": deployed.seed["logins"]["admin"],
                                                 "password": deployed.password})  # fmt: skip
    assert signed_in.status_code == 302, signed_in.status_code
    seeded = deployed.seed["objects"]
    objects = {
        Citizen: SimpleNamespace(pk=seeded["citizen"]),
        ServiceRequest: SimpleNamespace(pk=seeded["request"]),
        OutreachSession: SimpleNamespace(pk=seeded["session"]),
        OutreachSeries: SimpleNamespace(pk=seeded["series"]),
        Slot: SimpleNamespace(pk=seeded["slot"]),
        Appointment: SimpleNamespace(code=seeded["appointment"]),
        StockLocation: SimpleNamespace(code=seeded["location"]),
    }

    def of_the_deployment():
        with deployed.cursor() as stage:
            return counts(stage)

    return client, objects, of_the_deployment


def _url(path: str, objects: dict) -> str:
    name = resolve(path.replace("{id}", "1").replace("{code}", "ABCD1234")).view_name
    route = next(route for route in staff_routes() if route.name == name)
    urls = url_for(route, objects)
    assert urls, f"no object to fill {path} with"
    return urls[0]


# DRF's page size: an unusable value is ignored (the default size), as the API docs say.
IGNORED_WHEN_UNUSABLE = {"page_size": "an unusable page size gives the default page size"}


@pytest.mark.django_db
def test_out_of_range_numbers_are_a_400_naming_the_field_and_write_nothing(api, settings):
    client, objects, snapshot = api
    settings.CACHES = locmem_caches("numeric-bounds")
    before = snapshot()
    problems, sent = [], 0
    for method, path, where, name, kind in numeric_cases(_schema()):
        url = _url(path, objects)
        bounds = kind.get("items", kind) if where == "body" else kind
        for value in _too_big_or_small(bounds):
            sent += 1
            if where == "query":
                response = client.get(url, {name: str(value)})
            else:
                body = {name: [value] if kind.get("type") == "array" else value}
                response = client.generic(method, url, json.dumps(body), content_type="application/json")
            status = response.status_code
            outside = value < bounds.get("minimum", -math.inf) or value > bounds.get("maximum", math.inf)
            if status >= 500 or (method != "GET" and status < 400):
                problems.append(f"{method} {url} {where} {name}={value}: {status}")
            elif outside and name not in IGNORED_WHEN_UNUSABLE:
                fields = response.json().get("fields") or {} if status == 400 else {}
                if not any(key == name or key.startswith(f"{name}.") for key in fields):
                    problems.append(f"{method} {url} {where} {name}={value}: {status}, not a 400 naming it")
    # The dashboard's movement forms: the form again (400), with the quantity's message.
    for kind in ("receive", "transfer", "spoil", "adjust"):
        for value in (2**31, 2**63, -(2**63) - 1):
            sent += 1
            response = client.post(f"/dashboard/stock/{kind}/", {"quantity": str(value)})
            text = response.content.decode(errors="replace")
            quantity_refused = re.search(r'<input[^>]*name="quantity"[^>]*aria-invalid="true"', text)
            if response.status_code not in (200, 400) or not quantity_refused:
                problems.append(f"dashboard {kind} quantity={value}: {response.status_code}")
    assert not problems, f"{len(problems)} of {sent}:\n" + "\n".join(problems)
    # Nothing written, but the access log: an admin reading the citizen list reveals full NIKs.
    after = snapshot()
    assert {k: v for k, v in after.items() if k != "core.AuditEvent"} == {
        k: v for k, v in before.items() if k != "core.AuditEvent"
    }
    assert sent >= 60


@pytest.mark.django_db
def test_a_receipt_that_would_overflow_the_balance_is_a_400_naming_the_quantity(api, settings):
    client, objects, snapshot = api
    settings.CACHES = locmem_caches("numeric-bounds")
    highest = column_range(StockMovement, "delta")[1]
    location = objects[StockLocation].code
    body = {
        "kind": StockMovement.Kind.RECEIPT,
        "location": location,
        "quantity": highest,
        "reference": "BOUNDS-1",
    }
    response = client.generic(
        "POST", "/api/v1/blanks/movements/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400, response.content[:300]
    assert "quantity" in response.json()["fields"]
    before = snapshot()
    body = {**body, "quantity": highest - 1_000_000, "reference": "BOUNDS-2"}  # fits: still accepted
    response = client.generic(
        "POST", "/api/v1/blanks/movements/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 201, response.content[:300]
    assert snapshot()["blanks.StockMovement"] == before["blanks.StockMovement"] + 1
