"""Role × kecamatan × endpoint: every staff page and API route, found in the URL resolver (every
pattern under /dashboard/ and /api/v1/), so pages added later are in the matrix without a change here.

- anonymous: a redirect to the login page (pages) or 401 with the error shape (API), except the
  routes the public uses (PUBLIC);
- viewer: 403 for every POST/PUT/PATCH/DELETE, and no named resident on any page;
- operator and field staff of kecamatan A: objects of kecamatan B are 404 (403 only where the role
  may not use the route at all, for A's objects too), never in a list, never written.

Objects of kecamatan B carry the marker "ZZB" in their names (citizens, schools, sessions, series,
stock locations, movements, requests), objects of A "ZZA".
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from blanks.models import StockLocation, StockMovement
from blanks.services import blank_receive
from registrations.coverage import coverage_recompute
from registrations.models import Citizen, Desa, Kecamatan, ServiceRequest
from registrations.services.service_requests import service_request_create
from schedules.models import Appointment, OutreachSeries, OutreachSession, Slot
from schedules.services import appointment_book, series_create
from tests.factories import CitizenFactory, OutreachSessionFactory, StockLocationFactory, staff_user
from tests.routes import url_entries

pytestmark = pytest.mark.django_db

A, B = "33.19.01", "33.19.03"
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
ROLES = ("anonymous", "viewer", "operator", "field", "supervisor", "admin")

# (url name, method) the public uses without an account.
PUBLIC = {
    ("api-token", "POST"),
    ("region-list", "GET"),
    ("region-detail", "GET"),
    ("session-list", "GET"),
    ("session-detail", "GET"),
    ("session-queue", "GET"),
    ("appointment-list", "POST"),
    ("appointment-detail", "GET"),
    ("appointment-cancel", "POST"),
    ("appointment-reschedule", "POST"),
    ("coverage", "GET"),
    ("coverage-history", "GET"),
    ("coverage-projection", "GET"),
}
# Writes to one's own account that every signed-in role may make (viewers included): revoking
# one's own API token changes no data of the portal.
OWN_ACCOUNT = {("api-token", "DELETE"), ("api-token-revoke", "POST")}
# Public and not tied to a kecamatan scope: the queue display of any session is public data.
UNSCOPED = {("session-queue", "GET"), ("region-detail", "GET")}


# Dashboard pages with parameters in the URL: how to fill them from one kecamatan's objects (each
# variant is requested, e.g. every workflow action). API routes need no entry: their model comes
# from the viewset. A new dashboard page with parameters fails the first test until it is here.
def _session(o):
    return [{"pk": o[OutreachSession].pk}]


DASHBOARD_URLS: dict[str, Callable[[dict], list[dict]]] = {
    "dashboard:citizen": lambda o: [{"pk": o[Citizen].pk}],
    "dashboard:request": lambda o: [{"pk": o[ServiceRequest].pk}],
    "dashboard:request-action": lambda o: [
        {"pk": o[ServiceRequest].pk, "action": action} for action in ("start", "complete", "cancel", "reject")
    ],
    "dashboard:session": _session,
    "dashboard:session-cancel": _session,
    "dashboard:check-in": _session,
    "dashboard:walk-in": _session,
    "dashboard:call-next": _session,
    "dashboard:slot-remove": lambda o: [{"pk": o[OutreachSession].pk, "slot_id": o[Slot].pk}],
    "dashboard:check-in-action": lambda o: [
        {"pk": o[OutreachSession].pk, "code": o[Appointment].code, "action": action}
        for action in ("start", "complete")
    ],
    "dashboard:booking": lambda o: [{"code": o[Appointment].code}],
    "dashboard:stock-location": lambda o: [{"code": o[StockLocation].code}],
    "dashboard:stock-post": lambda o: [{"kind": kind} for kind in ("receive", "transfer", "spoil", "adjust")],
}
# URL parameters that choose a page or an action, not an object: a route with only these is
# checked like a list.
PAGE_PARAMETERS = frozenset({"kind", "action"})


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    methods: tuple[str, ...]
    kwargs: tuple[str, ...]
    model: type | None
    lookup: str
    api: bool

    @property
    def bound(self) -> bool:
        """Whether the URL names an object (of one kecamatan)."""
        return any(kwarg not in PAGE_PARAMETERS for kwarg in self.kwargs)


def _view_methods(callback) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF viewset route
        return tuple(method.upper() for method in actions if method.upper() in ("GET", *UNSAFE))
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is not None:
        return tuple(m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m))
    return ("GET", "POST")  # a function view: whatever it does with either


def _model_of(callback, name: str):
    cls = getattr(callback, "cls", None)
    if cls is None:
        return None, "pk"
    lookup = getattr(cls, "lookup_field", "pk")
    queryset = getattr(cls, "queryset", None)
    if queryset is not None:
        return queryset.model, lookup
    serializer = getattr(cls, "serializer_class", None)
    meta = getattr(serializer, "Meta", None)
    return getattr(meta, "model", None), lookup


def staff_routes() -> list[Route]:
    found: dict[str, Route] = {}
    for entry in url_entries():
        if not entry.pattern.startswith(("dashboard/", "api/v1/")) or "format" in entry.kwargs:
            continue
        model, lookup = _model_of(entry.callback, entry.name)
        found.setdefault(
            entry.name,
            Route(entry.name, entry.pattern, _view_methods(entry.callback), entry.kwargs, model, lookup,
                  entry.pattern.startswith("api/")),
        )  # fmt: skip
    return sorted(found.values(), key=lambda route: route.name)


@pytest.fixture
def world(regions):
    return kecamatan_world()


def kecamatan_world() -> dict[str, dict]:
    """One object of every kind in kecamatan A and in kecamatan B (regions loaded); the
    production-mode stage seeds its database with it too (tests/deployed/seed.py)."""
    today = timezone.localdate()
    objects = {}
    for code, marker in ((A, "ZZA"), (B, "ZZB")):
        kecamatan = Kecamatan.objects.get(code=code)
        desa = Desa.objects.filter(kecamatan=kecamatan).order_by("code").first()
        area6 = code.replace(".", "")
        citizen = CitizenFactory(full_name=f"Warga {marker}", desa=desa, area6=area6, school=f"SMA {marker}")
        other = CitizenFactory(full_name=f"Pemohon {marker}", desa=desa, area6=area6, school=f"SMA {marker}")
        session = OutreachSessionFactory(
            kecamatan=code, title=f"Sesi {marker}", venue_name=f"Balai {marker}",
            date=today + dt.timedelta(days=3), published=False,
        )  # fmt: skip
        series = series_create(
            kind="kecamatan", title=f"Seri {marker}", venue_name=f"Balai {marker}", kecamatan=code,
            start_date=today + dt.timedelta(days=5), end_date=today + dt.timedelta(days=6),
            weekdays=list(range(7)), start_time=dt.time(8), end_time=dt.time(9), services=["recording"],
        )  # fmt: skip
        slot = session.slots.order_by("starts_at").first()
        appointment = appointment_book(
            slot=slot, citizen=citizen, service="recording", reason="new", actor=staff_user("admin")
        ).appointment
        request = service_request_create(
            citizen=other, service="recording", reason="new", channel="kecamatan", notes=f"Catatan {marker}"
        )
        location = StockLocationFactory(code=f"LOC-{marker}", name=f"Gudang {marker}", kecamatan=kecamatan)
        movement = blank_receive(location=location, quantity=10, reference=f"REF-{marker}")
        objects[code] = {
            Citizen: citizen,
            OutreachSession: session,
            OutreachSeries: series,
            Slot: slot,
            Appointment: appointment,
            ServiceRequest: request,
            StockLocation: location,
            StockMovement: movement,
            Kecamatan: kecamatan,
        }
    coverage_recompute()  # the coverage pages and targets read the latest snapshot
    return objects


def user_for(role: str):
    if role == "anonymous":
        return None
    kecamatan = (A,) if role in ("operator", "field") else ()
    return staff_user(role, kecamatan=kecamatan, username=f"matrix-{role}")


def url_for(route: Route, objects: dict) -> list[str] | None:
    """The route's URLs for one kecamatan's objects, or None when the matrix cannot build them."""
    if not route.kwargs:
        return [reverse(route.name)]
    if route.name in DASHBOARD_URLS:
        try:
            variants = DASHBOARD_URLS[route.name](objects)
        except KeyError:  # no sample object of that kind
            return None
        return [reverse(route.name, kwargs=kwargs) for kwargs in variants]
    if route.model not in objects:
        return None
    target = objects[route.model]
    values = {}
    for kwarg in route.kwargs:
        if kwarg == "slot_id":
            values[kwarg] = objects[Slot].pk
        elif kwarg in ("pk", route.lookup):
            values[kwarg] = getattr(target, route.lookup if kwarg == route.lookup else "pk")
        else:
            return None
    return [reverse(route.name, kwargs=values)]


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


def test_the_matrix_finds_every_staff_page_and_api_route():
    names = {route.name for route in staff_routes()}
    assert {"dashboard:overview", "dashboard:citizen", "dashboard:audit", "citizen-detail",
            "service-request-complete", "session-remove-slot", "appointment-check-in",
            "blank-movement-list", "api-token", "api-token-revoke"} <= names  # fmt: skip
    unknown = [
        r.name for r in staff_routes() if r.kwargs and r.model is None and r.name not in DASHBOARD_URLS
    ]
    assert unknown == [], f"tell the matrix how to build the URLs of these routes (DASHBOARD_URLS): {unknown}"


@pytest.mark.parametrize("role", ROLES)
def test_role_by_kecamatan_by_route(client, world, role):
    user = user_for(role)
    if user is not None:
        client.force_login(user)
    client.raise_request_exception = False
    problems: list[str] = []
    mine, theirs = world[A], world[B]
    listed_mine = False

    for route in staff_routes():
        urls_b, urls_a = url_for(route, theirs), url_for(route, mine)
        if urls_b is None or urls_a is None:
            problems.append(f"{route.name}: the matrix cannot build its URL (DASHBOARD_URLS)")
            continue
        methods = route.methods if role != "viewer" else tuple(dict.fromkeys((*route.methods, *UNSAFE)))
        for (url_b, url_a), method in itertools.product(zip(urls_b, urls_a, strict=True), methods):
            problems += _check(client, role, route, method, url_b, url_a)
            if role in ("operator", "field") and method == "GET" and not route.bound:
                listed_mine = listed_mine or "ZZA" in _text(call(client, route, method, url_a))

    assert not problems, "\n".join(problems)
    if role in ("operator", "field"):
        assert listed_mine  # the lists do show kecamatan A: the absence of B above means something


def _check(client, role: str, route: Route, method: str, url_b: str, url_a: str) -> list[str]:
    """What is wrong with `role` using `route` on kecamatan B's objects (empty: nothing)."""
    public = (route.name, method) in PUBLIC
    scoped = (route.name, method) not in UNSCOPED
    where = f"{role} {method} {url_b}"
    response = call(client, route, method, url_b)
    status = response.status_code
    if status >= 500:
        return [f"{where}: {status}"]

    if role == "anonymous":
        if public:
            return []
        if route.api:
            if status != 401 or set(response.json()) != {"code", "detail", "fields"}:
                return [f"{where}: {status}, expected 401 with the error shape"]
        elif status != 302 or not response["Location"].startswith("/accounts/login/"):
            return [f"{where}: {status}, expected a redirect to the login page"]
        return []

    problems = []
    if role == "viewer":
        # 405 where nobody may use the method at all; otherwise 403.
        refusal = (403,) if method in route.methods else (403, 405)
        own_account = (route.name, method) in OWN_ACCOUNT
        if method in UNSAFE and not public and not own_account and status not in refusal:
            problems.append(f"{where}: {status}, a viewer must get 403")
        if method == "GET" and re.search(r"(Warga|Pemohon) ZZ[AB]", _text(response)):
            problems.append(f"{where}: a named resident shown to a viewer")

    if role in ("operator", "field") and scoped:
        # Kecamatan B through the eyes of A's staff.
        if method == "GET" and "ZZB" in _text(response):
            problems.append(f"{where}: kecamatan B is shown")
        if route.bound:
            if 200 <= status < 300:
                problems.append(f"{where}: {status} on an object of kecamatan B")
            # 404, unless the role may not use the route at all (then the same answer as for A).
            status_a = call(client, route, method, url_a).status_code
            allowed = {403, 404} if status_a == 403 else ({404, 405} if status_a == 405 else {404})
            if status not in allowed:
                problems.append(f"{where}: {status} for B while A's object gives {status_a}")
        elif method == "GET":
            # A filter on kecamatan B does not widen the scope either.
            filtered = call(client, route, method, url_b, query={"kecamatan": B, "area": B})
            if "ZZB" in _text(filtered):
                problems.append(f"{where}?kecamatan={B}: kecamatan B is shown")
    return problems


def _text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def test_admins_see_kecamatan_b_so_the_markers_are_really_rendered(client, world):
    client.force_login(user_for("admin"))
    assert "Warga ZZB" in client.get("/dashboard/citizens/").content.decode()
    assert "Sesi ZZB" in client.get("/api/v1/sessions/").content.decode()
    assert "Gudang ZZB" in client.get("/api/v1/blanks/locations/").content.decode()
    assert "SMA ZZB" in client.get("/api/v1/coverage/targets/").content.decode()


def test_staff_of_kecamatan_a_book_an_unpublished_session_of_b_only_as_the_public_would(client, world):
    """Desk staff may book walk-ins into unpublished sessions of their own kecamatan: not of B."""
    client.force_login(user_for("operator"))
    citizen = CitizenFactory(desa=Desa.objects.filter(kecamatan_id=A).first())
    body = {"nik": citizen.nik, "birth_date": citizen.birth_date.isoformat(), "service": "recording",
            "reason": "new"}  # fmt: skip
    theirs = client.post("/api/v1/appointments/", {**body, "slot": world[B][Slot].pk}, "application/json")
    assert theirs.status_code in (400, 404, 409) and theirs.json()["code"] == "slot_unavailable"
    mine = client.post("/api/v1/appointments/", {**body, "slot": world[A][Slot].pk}, "application/json")
    assert mine.status_code == 201
