"""Role × kecamatan × route: every staff page and API route, found in the URL resolver (every
pattern under /dashboard/ and /api/v1/, so routes added later are in the matrix without a change
here), checked against the router and the OpenAPI schema (every viewset and every operation of the
schema is a route of the matrix, and the schema marks exactly the public operations as open).

- anonymous: a redirect to the login page (pages) or 401 `not_authenticated` with the error shape
  and `WWW-Authenticate: Token` (API), except the routes the public uses (PUBLIC), whose lists
  answer 200;
- viewer: 403 for every POST/PUT/PATCH/DELETE, and no named resident on any page;
- staff without a role: no object of either kecamatan answers, and none is shown beyond what the
  public sees;
- only admins reach the staff page, only admins and supervisors the audit log;
- operator and field staff of kecamatan A: objects of kecamatan B are 404 with the error shape
  (403 only where the role may not use the route at all, for A's objects too), never in a list
  (by their id in every API list, A's being there), never written; A's own objects answer;
- public and unscoped routes (the regions, a session's queue display) answer the same for A and B.

Objects of kecamatan B carry the marker "ZZB" in their names (citizens, schools, sessions, series,
stock locations, movements, requests), objects of A "ZZA".
"""

from __future__ import annotations

import itertools
import re

import pytest
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from core.api.routers import router
from kudus_capil import api_urls  # noqa: F401  (importing the URLs registers every viewset)
from regions.models import Desa
from registrations.models import Citizen
from schedules.models import Slot
from tests.factories import (
    CitizenFactory,
    kecamatan_world,
)
from tests.helpers import (
    DASHBOARD_URLS,
    JATI,
    KALIWUNGU,
    UNSAFE,
    Route,
    assert_error_shape,
    response_text,
    staff_routes,
    url_for,
)

pytestmark = pytest.mark.django_db

A, B = KALIWUNGU, JATI
# Each role of the matrix and the fixture (tests/conftest.py) of its user: operator and field staff
# are assigned to kecamatan A.
ROLES = {
    "anonymous": None,
    "viewer": "viewer",
    "operator": "operator",
    "field": "field_staff",
    "supervisor": "supervisor",
    "admin": "admin",
    "no-role": "no_role_staff",
}
SCOPED = ("operator", "field")

# (url name, method) the public uses without an account.
PUBLIC = {
    ("api-token", "POST"),
    ("region-list", "GET"),
    ("region-detail", "GET"),
    ("session-list", "GET"),
    ("session-detail", "GET"),
    ("session-queue", "GET"),
    ("appointment-list", "POST"),
    ("appointment-find", "POST"),
    ("appointment-detail", "GET"),
    ("appointment-cancel", "POST"),
    ("appointment-reschedule", "POST"),
    ("coverage", "GET"),
    ("coverage-history", "GET"),
    ("coverage-projection", "GET"),
}
# The same, as the OpenAPI schema names them: the only operations anyone may call without
# credentials (besides the schema and the docs).
PUBLIC_OPERATIONS = {
    "POST /api/v1/auth/token/",
    "GET /api/v1/regions/",
    "GET /api/v1/regions/{code}/",
    "GET /api/v1/sessions/",
    "GET /api/v1/sessions/{id}/",
    "GET /api/v1/sessions/{id}/queue/",
    "POST /api/v1/appointments/",
    "POST /api/v1/appointments/find/",
    "GET /api/v1/appointments/{code}/",
    "POST /api/v1/appointments/{code}/cancel/",
    "POST /api/v1/appointments/{code}/reschedule/",
    "GET /api/v1/coverage/",
    "GET /api/v1/coverage/history/",
    "GET /api/v1/coverage/projection/",
}
# Writes to one's own account that every signed-in role may make (viewers included): revoking
# one's own API token changes no data of the portal.
OWN_ACCOUNT = {("api-token", "DELETE"), ("api-token-revoke", "POST")}
# Public and not tied to a kecamatan scope: the regions of Kudus, and the queue display of any
# session, are the same for everyone.
UNSCOPED = {("session-queue", "GET"), ("region-detail", "GET")}
UNSCOPED_LISTS = {"region-list"}
# Pages only some roles reach (403 for the others).
RESTRICTED = {"dashboard:staff": {"admin"}, "dashboard:audit": {"admin", "supervisor"}}


@pytest.fixture
def world(regions):
    return kecamatan_world()


@pytest.fixture
def user_of(request):
    """`user_of(role)`: the user of a role of the matrix (None for anonymous)."""

    def user(role: str):
        return None if ROLES[role] is None else request.getfixturevalue(ROLES[role])

    return user


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def call(client, route: Route, method: str, url: str, *, keep: bool = False, query: dict | None = None):
    """One request; its writes are rolled back unless `keep` (each request sees the same world)."""
    kwargs = {"content_type": "application/json", "data": "{}"} if route.api and method != "GET" else {}
    if method == "GET":
        kwargs = {"data": query or {}}
    with transaction.atomic():
        response = getattr(client, method.lower())(url, **kwargs)
        if not keep:
            transaction.set_rollback(True)
    return response


def list_key(route: Route) -> str:
    """The field that names an object in the items of an API list."""
    return route.lookup if route.lookup != "pk" else "id"


# --- The matrix covers every route, viewset and schema operation --------------------------------


def test_the_matrix_finds_every_staff_page_and_api_route():
    names = {route.name for route in staff_routes()}
    assert {"dashboard:overview", "dashboard:citizen", "dashboard:audit", "citizen-detail",
            "service-request-complete", "session-remove-slot", "appointment-check-in",
            "blank-movement-list", "api-token", "api-token-revoke"} <= names  # fmt: skip
    unknown = [
        r.name for r in staff_routes() if r.kwargs and r.model is None and r.name not in DASHBOARD_URLS
    ]
    assert unknown == [], f"tell the matrix how to build the URLs of these routes (DASHBOARD_URLS): {unknown}"
    assert {(name, method) for name, method in PUBLIC | OWN_ACCOUNT | UNSCOPED} <= {
        (route.name, method) for route in staff_routes() for method in route.methods
    }, "a public, own-account or unscoped entry names no route of the matrix"


def test_every_viewset_on_the_router_is_in_the_matrix_with_urls_for_both_kecamatan(world):
    routes = staff_routes()
    basenames = {basename for _prefix, _viewset, basename in router.registry}
    missing = {
        basename for basename in basenames if not any(r.name.startswith(f"{basename}-") for r in routes)
    }
    assert missing == set()
    lists = {
        route.name.removesuffix("-list") for route in routes if route.api and route.name.endswith("-list")
    }
    assert basenames <= lists  # every viewset has a list the list checks below read
    unbuildable = [r.name for r in routes if url_for(r, world[A]) is None or url_for(r, world[B]) is None]
    assert unbuildable == []


def _schema_path(route: Route) -> str:
    path = route.pattern.replace("$", "")
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", path)  # router patterns
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)  # path() converters
    return "/" + path.replace("{pk}", "{id}")  # the schema calls a primary key `id`


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "patch", "put", "delete"):
                yield path, method, operation


def test_every_operation_of_the_schema_is_a_route_of_the_matrix(schema):
    in_matrix = {
        f"{method} {_schema_path(route)}" for route in staff_routes() if route.api for method in route.methods
    }
    in_schema = {f"{method.upper()} {path}" for path, method, _operation in _operations(schema)}
    assert in_schema - in_matrix == set()
    assert len(in_schema) >= 40


def test_the_schema_marks_exactly_the_public_operations_as_open(schema):
    """Anonymous clients get 401 on every other operation: the matrix's anonymous column."""
    public = {
        f"{method.upper()} {path}"
        for path, method, operation in _operations(schema)
        if not operation.get("security") or {} in operation["security"]
    }
    assert public == PUBLIC_OPERATIONS
    routes = {route.name: route for route in staff_routes()}
    assert {f"{method} {_schema_path(routes[name])}" for name, method in PUBLIC} == PUBLIC_OPERATIONS
    needing = [
        operation
        for _path, _method, operation in _operations(schema)
        if operation.get("security") and {} not in operation["security"]
    ]
    assert len(needing) >= 30


def test_the_schema_and_the_docs_are_public(db):
    client = APIClient()
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


# --- The matrix ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_role_by_kecamatan_by_route(client, world, user_of, role):
    user = user_of(role)
    if user is not None:
        client.force_login(user)
    client.raise_request_exception = False
    problems: list[str] = []
    mine, theirs = world[A], world[B]
    listed_mine = False
    not_found_in_api = 0

    for route in staff_routes():
        urls_b, urls_a = url_for(route, theirs), url_for(route, mine)
        if urls_b is None or urls_a is None:
            problems.append(f"{route.name}: the matrix cannot build its URL (DASHBOARD_URLS)")
            continue
        methods = route.methods if role != "viewer" else tuple(dict.fromkeys((*route.methods, *UNSAFE)))
        for (url_b, url_a), method in itertools.product(zip(urls_b, urls_a, strict=True), methods):
            found, status = _check(client, role, route, method, url_b, url_a)
            problems += found
            not_found_in_api += route.api and route.bound and status == 404
            if role in SCOPED and method == "GET" and not route.bound:
                listed_mine = listed_mine or "ZZA" in response_text(call(client, route, method, url_a))

    assert not problems, "\n".join(problems)
    if role in SCOPED:
        assert listed_mine  # the lists do show kecamatan A: the absence of B above means something
    if role == "operator":
        # Every operation naming one of B's objects that the role may use at all answers 404.
        assert not_found_in_api >= 18, not_found_in_api


def _check(client, role: str, route: Route, method: str, url_b: str, url_a: str) -> tuple[list[str], int]:
    """What is wrong with `role` using `route` on kecamatan B's objects (empty: nothing), and the
    status of that request."""
    public = (route.name, method) in PUBLIC
    scoped = (route.name, method) not in UNSCOPED
    where = f"{role} {method} {url_b}"
    response = call(client, route, method, url_b)
    status = response.status_code
    if status >= 500:
        return [f"{where}: {status}"], status
    if route.api and status in (401, 403, 404) and not _has_error_shape(response):
        return [f"{where}: {status} without the error shape"], status

    if role == "anonymous":
        if public:
            if method == "GET" and route.name.endswith("-list") and status != 200:
                return [f"{where}: {status}, a public list must answer 200"], status
            return [], status
        if route.api:
            if status != 401 or response.json()["code"] != "not_authenticated":
                return [f"{where}: {status}, expected 401 not_authenticated with the error shape"], status
            if response.get("WWW-Authenticate") != "Token":
                return [f"{where}: no `WWW-Authenticate: Token`"], status
        elif status != 302 or not response["Location"].startswith("/accounts/login/"):
            return [f"{where}: {status}, expected a redirect to the login page"], status
        return [], status

    problems = []
    if route.name in RESTRICTED and role not in RESTRICTED[route.name] and status != 403:
        problems.append(f"{where}: {status}, only {sorted(RESTRICTED[route.name])} may use it")

    if role == "viewer":
        # 405 where nobody may use the method at all; otherwise 403.
        refusal = (403,) if method in route.methods else (403, 405)
        own_account = (route.name, method) in OWN_ACCOUNT
        if method in UNSAFE and not public and not own_account and status not in refusal:
            problems.append(f"{where}: {status}, a viewer must get 403")
        if method == "GET" and re.search(r"(Warga|Pemohon) ZZ[AB]", response_text(response)):
            problems.append(f"{where}: a named resident shown to a viewer")

    if role == "no-role":
        # Writes need an explicit writer role: a staff account in no role group writes nothing.
        refusal = (403,) if method in route.methods else (403, 405)
        own_account = (route.name, method) in OWN_ACCOUNT
        if method in UNSAFE and not public and not own_account and status not in refusal:
            problems.append(f"{where}: {status}, staff without a role must get 403 for a write")
        # No kecamatan in scope: no object of A or B answers, none is shown beyond what the public sees.
        if route.bound and not public and 200 <= status < 300:
            problems.append(f"{where}: {status}, staff without a role reached an object")
        if method == "GET":
            for url in (url_b, url_a):
                seen = _markers(response if url == url_b else call(client, route, method, url))
                public_sees = _markers(call(Client(), route, method, url)) if public else set()
                if extra := sorted(seen - public_sees):
                    problems.append(f"{role} {method} {url}: {extra} shown without a role")

    if role in SCOPED and not scoped:
        # Public and unscoped: B's object answers as A's does.
        # The world's sessions are unpublished: their queue is not public, for staff either (the
        # desk page is theirs), so it is a 404 for A's session as for B's.
        expected = 404 if route.name == "session-queue" else 200
        status_a = call(client, route, method, url_a).status_code
        if status != status_a or status != expected:
            problems.append(f"{where}: {status} for B, {status_a} for A; both must be {expected}")

    if role in SCOPED and scoped:
        # Kecamatan B through the eyes of A's staff.
        if method == "GET" and "ZZB" in response_text(response):
            problems.append(f"{where}: kecamatan B is shown")
        if route.bound:
            if 200 <= status < 300:
                problems.append(f"{where}: {status} on an object of kecamatan B")
            # 404, unless the role may not use the route at all (then the same answer as for A).
            status_a = call(client, route, method, url_a).status_code
            allowed = {403, 404} if status_a == 403 else ({404, 405} if status_a == 405 else {404})
            if status not in allowed:
                problems.append(f"{where}: {status} for B while A's object gives {status_a}")
            if route.api and status == 404 and response.json()["code"] != "not_found":
                problems.append(f"{where}: 404 with code {response.json()['code']}")
            if method == "GET" and status == 404 and status_a != 200:
                problems.append(f"{where}: A's own object answers {status_a}, not 200")
        elif method == "GET":
            # A filter on kecamatan B does not widen the scope either.
            filtered = call(client, route, method, url_b, query={"kecamatan": B, "area": B})
            if "ZZB" in response_text(filtered):
                problems.append(f"{where}?kecamatan={B}: kecamatan B is shown")
    return problems, status


def _markers(response) -> set[str]:
    return set(re.findall(r"\w+ ZZ[AB]", response_text(response)))


def _has_error_shape(response) -> bool:
    try:
        assert_error_shape(response, response.status_code)
    except (AssertionError, ValueError):
        return False
    return True


# --- Lists, by the objects they name ---------------------------------------------------------------


@pytest.mark.parametrize("role", SCOPED)
def test_every_api_list_holds_kecamatan_as_objects_and_never_bs(world, user_of, role):
    """Each API list, read whole, names A's object of its kind and not B's (the public, unscoped
    regions list names both)."""
    client = APIClient()
    client.force_authenticate(user_of(role))
    checked, problems = [], []
    for route in staff_routes():
        if not (route.api and route.name.endswith("-list") and "GET" in route.methods):
            continue
        response = client.get(url_for(route, world[A])[0], {"page_size": 500})
        if response.status_code == 403 and role == "field":
            continue  # the role may not read this list at all
        if response.status_code != 200:
            problems.append(f"{route.name}: {response.status_code}")
            continue
        key = list_key(route)
        listed = {str(item[key]) for item in response.json()["results"]}
        mine, theirs = (
            str(getattr(world[code][route.model], key if key != "id" else "pk")) for code in (A, B)
        )
        if mine not in listed:
            problems.append(f"{route.name}: A's {route.model.__name__} {mine} is not listed")
        if (theirs in listed) != (route.name in UNSCOPED_LISTS):
            problems.append(f"{route.name}: B's {route.model.__name__} {theirs} listed: {theirs in listed}")
        checked.append(route.name)
    assert problems == []
    if role == "operator":
        assert len(checked) >= 8, checked


def test_an_operator_reads_the_own_kecamatans_citizens_in_the_dashboard(as_user, world, operator):
    client = as_user(operator)
    listing = client.get("/dashboard/citizens/").content.decode()
    assert "Warga ZZA" in listing and "Warga ZZB" not in listing
    assert client.get(f"/dashboard/citizens/{world[A][Citizen].pk}/").status_code == 200
    assert client.get(f"/dashboard/citizens/{world[B][Citizen].pk}/").status_code == 404


def test_admins_see_kecamatan_b_so_the_markers_are_really_rendered(client, world, admin):
    client.force_login(admin)
    assert "Warga ZZB" in client.get("/dashboard/citizens/").content.decode()
    assert "Sesi ZZB" in client.get("/api/v1/sessions/").content.decode()
    assert "Gudang ZZB" in client.get("/api/v1/blanks/locations/").content.decode()
    assert "SMA ZZB" in client.get("/api/v1/coverage/targets/").content.decode()


def test_staff_of_kecamatan_a_book_an_unpublished_session_of_b_only_as_the_public_would(
    client, world, operator
):
    """Desk staff may book walk-ins into unpublished sessions of their own kecamatan: not of B."""
    client.force_login(operator)
    citizen = CitizenFactory(desa=Desa.objects.filter(kecamatan_id=A).first())
    body = {"nik": citizen.nik, "kk": citizen.kk, "service": "recording",
            "reason": "new"}  # fmt: skip
    theirs = client.post("/api/v1/appointments/", {**body, "slot": world[B][Slot].pk}, "application/json")
    assert theirs.status_code in (400, 404, 409) and theirs.json()["code"] == "slot_unavailable"
    mine = client.post("/api/v1/appointments/", {**body, "slot": world[A][Slot].pk}, "application/json")
    assert mine.status_code == 201
