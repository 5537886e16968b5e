"""Role scoping and authentication on every endpoint, driven by the router and the schema, so an
endpoint added later is covered without touching this file (and a viewset without a scoping case
fails the first test).

An operator of Kaliwungu (33.19.01) must never see an object of Jati (33.19.03): not in a list,
and 404 on every URL that names it (403 only where the role may not do the thing at all, which
the same request on a Kaliwungu object shows). Anonymous clients get 401 on every operation the
schema marks as needing credentials.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from core.api.routers import router
from kudus_capil import api_urls  # noqa: F401  (importing the URLs registers every viewset)
from tests.api.conftest import KALIWUNGU, Area
from tests.factories import staff_user
from tests.test_api_core import assert_error_shape

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Scoped:
    """How to name an area's object of one viewset: its lookup value and its key in list items."""

    lookup: Callable[[Area], object]
    key: str = "id"

    def value(self, area: Area) -> str:
        return str(self.lookup(area))


# Every viewset on the router: a scoping case, or None for the public, unscoped ones.
CASES: dict[str, Scoped | None] = {
    "region": None,  # the regions of Kudus, the same for everyone
    "citizen": Scoped(lambda area: area.citizen.pk),
    "service-request": Scoped(lambda area: area.service_request.pk),
    "session": Scoped(lambda area: area.session.pk),
    "series": Scoped(lambda area: area.series.pk),
    "appointment": Scoped(lambda area: area.appointment.code, key="code"),
    "blank-location": Scoped(lambda area: area.location.code, key="code"),
    "blank-movement": Scoped(lambda area: area.movement.pk),
}
PUBLIC_LISTS = {"region", "session"}
REGISTRY = {basename: prefix for prefix, _viewset, basename in router.registry}


@pytest.fixture
def operator(world):
    return staff_user("operator", kecamatan=(KALIWUNGU,))


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def test_every_viewset_on_the_router_has_a_scoping_case():
    assert set(REGISTRY) == set(CASES), "add the new viewset to CASES (and to tests/api/conftest.py)"


@pytest.mark.parametrize("basename", sorted(REGISTRY))
def test_an_operator_never_sees_another_kecamatans_objects_in_a_list(basename, world, operator):
    case = CASES[basename]
    if case is None:
        pytest.skip("public and unscoped")
    body = client_for(operator).get(f"/api/v1/{REGISTRY[basename]}/", {"page_size": 500}).json()
    listed = {str(item[case.key]) for item in body["results"]}
    assert case.value(world.mine) in listed
    assert case.value(world.other) not in listed


@pytest.mark.parametrize("basename", sorted(REGISTRY))
def test_an_operator_gets_404_for_another_kecamatans_object_and_200_for_their_own(basename, world, operator):
    case = CASES[basename]
    if case is None:
        pytest.skip("public and unscoped")
    client = client_for(operator)
    url = f"/api/v1/{REGISTRY[basename]}/{{}}/"
    assert_error_shape(client.get(url.format(case.value(world.other))), 404, "not_found")
    assert client.get(url.format(case.value(world.mine))).status_code == 200


@pytest.mark.parametrize("basename", sorted(REGISTRY))
def test_anonymous_clients_get_401_on_staff_lists(basename, world):
    response = client_for().get(f"/api/v1/{REGISTRY[basename]}/")
    if basename in PUBLIC_LISTS:
        assert response.status_code == 200
    else:
        assert_error_shape(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"] == "Token"


# --- Every operation of the schema ----------------------------------------------------------


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "patch", "put", "delete"):
                yield path, method, operation


def _fill(path: str, area: Area) -> str | None:
    """`path` with the parameters naming `area`'s objects; None when no case names them."""
    prefix = path.removeprefix("/api/v1/").split("/{", 1)[0]
    basename = next((name for name, registered in REGISTRY.items() if registered == prefix), None)
    case = CASES.get(basename)
    if case is None:
        return None
    values = {"id": case.value(area), "code": case.value(area)}
    values["slot_id"] = str(area.session.slots.order_by("starts_at").last().pk)
    return re.sub(r"\{(\w+)\}", lambda match: values[match.group(1)], path)


def test_every_operation_naming_another_kecamatans_object_answers_404(schema, world, operator):
    client = client_for(operator)
    checked = []
    for path, method, _operation in _operations(schema):
        if "{" not in path:
            continue
        theirs, mine = _fill(path, world.other), _fill(path, world.mine)
        if theirs is None:
            continue
        response = getattr(client, method)(theirs, {}, format="json")
        if response.status_code == 404:
            assert_error_shape(response, 404)
            checked.append(f"{method} {path}")
            continue
        anonymous = getattr(client_for(), method)(theirs, {}, format="json")
        if response.status_code < 400 and anonymous.status_code < 400:
            continue  # public for everyone (e.g. a session's queue display): not scoped
        # Only a refusal of the role itself may answer differently, and then it does for own objects too.
        assert response.status_code == 403, f"{method.upper()} {theirs}: {response.status_code}"
        assert getattr(client, method)(mine, {}, format="json").status_code == 403, f"{method} {path}"
    assert len(checked) >= 18, checked


def test_every_operation_that_needs_credentials_answers_401_to_anonymous_clients(schema, world):
    client = client_for()
    needing = 0
    for path, method, operation in _operations(schema):
        security = operation.get("security", [])
        if not security or {} in security:
            continue
        needing += 1
        url = _fill(path, world.mine) if "{" in path else path
        response = getattr(client, method)(url, {}, format="json")
        assert_error_shape(response, 401, "not_authenticated")
    assert needing >= 30


# The only operations anyone may call without credentials (besides the schema and the docs).
PUBLIC_OPERATIONS = {
    "POST /api/v1/auth/token/",
    "GET /api/v1/regions/",
    "GET /api/v1/regions/{code}/",
    "GET /api/v1/sessions/",
    "GET /api/v1/sessions/{id}/",
    "GET /api/v1/sessions/{id}/queue/",
    "POST /api/v1/appointments/",
    "GET /api/v1/appointments/{code}/",
    "POST /api/v1/appointments/{code}/cancel/",
    "POST /api/v1/appointments/{code}/reschedule/",
    "GET /api/v1/coverage/",
    "GET /api/v1/coverage/history/",
    "GET /api/v1/coverage/projection/",
}


def test_only_the_public_endpoints_take_anonymous_requests(schema):
    public = {
        f"{method.upper()} {path}"
        for path, method, operation in _operations(schema)
        if not operation.get("security") or {} in operation["security"]
    }
    assert public == PUBLIC_OPERATIONS


def test_the_schema_and_the_docs_are_public(db):
    client = APIClient()
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
