"""Helpers shared by the test modules (the only test code, with tests.factories, that a test module
imports): the API error shape, waiting for a worker, the PostgreSQL-only marker, real concurrency,
the system Chromium, and the staff routes of the URL resolver with the URLs of one kecamatan's
objects (the role × kecamatan × route matrix and the personal-data sweep walk them)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.conf import settings
from django.core.mail.backends.locmem import EmailBackend as LocmemEmailBackend
from django.db import connection
from django.urls import reverse

from schedules.models import Appointment, Slot
from tests.routes import url_entries

# The two kecamatan of the scoping tests: staff "of A" are assigned to Kaliwungu, Jati is "B".
KALIWUNGU, JATI = "33.19.01", "33.19.03"


# --- API answers -----------------------------------------------------------------------------


def assert_error_shape(response, status: int, code: str | None = None) -> dict:
    """`response` is the API's error answer: `status`, JSON `{code, detail, fields}` (and `code`)."""
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    if code:
        assert body["code"] == code
    return body


class DeliveringEmailBackend(LocmemEmailBackend):
    """Stands for a real (SMTP) backend where the portal decides by the configured backend's name
    (core/password_reset.py); the messages land in django.core.mail.outbox all the same."""


def api_token(user, key: str | None = None) -> str:
    """A valid API token of `user` (hashed at rest, expiring: core/tokens.py); `key` stores a chosen
    one (a test that re-creates the same token after the code under test revoked it)."""
    from core.tokens import api_token_create

    if key is None:
        return api_token_create(user=user)[0]
    from django.utils import timezone
    from knox.crypto import hash_token
    from knox.models import AuthToken

    from core.tokens import token_ttl

    AuthToken(
        digest=hash_token(key), token_key=key[:15], user=user, expiry=timezone.now() + token_ttl()
    ).save(force_insert=True)
    return key


def api_token_exists(key: str) -> bool:
    from knox.crypto import hash_token
    from knox.models import AuthToken

    return AuthToken.objects.filter(digest=hash_token(key)).exists()


def response_text(response) -> str:
    """The body of a response as text, streamed (exports) or not."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


# --- Waiting for another process ---------------------------------------------------------------


def wait_for(condition: Callable[[], object], seconds: float = 30, interval: float = 0.2):
    """Call `condition()` until it returns something truthy (returned) or `seconds` pass (None)."""
    deadline = time.monotonic() + seconds
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


# --- Real concurrency ------------------------------------------------------------------------

needs_postgres = pytest.mark.skipif(not settings.DATABASE_IS_POSTGRES, reason="needs PostgreSQL (make test)")


def run_concurrently(count: int, work: Callable[[int], object], timeout: float = 60) -> list[object]:
    """Call `work(i)` for i in range(count) in `count` real threads released together by a barrier
    (each thread on its own database connection); returns each result or the exception it raised."""
    start = threading.Barrier(count)
    results: list[object] = [None] * count

    def worker(index: int) -> None:
        try:
            start.wait(timeout=timeout)
            results[index] = work(index)
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()  # each thread opened its own connection

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a worker thread hung"
    return results


# --- The system Chromium -----------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking")


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """A headless system Chromium driven by Playwright (never a downloaded browser); skips the test
    when Playwright is not installed. Playwright's sync API runs an event loop in this thread."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=list(CHROMIUM_ARGS), headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


# --- The staff routes of the URL resolver ------------------------------------------------------

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def _session(o):
    return [{"pk": o["OutreachSession"].pk}]


# Dashboard pages with parameters in the URL: how to fill them from one kecamatan's objects (keyed
# by model name; each variant is requested, e.g. every workflow action). API routes need no entry:
# their model comes from the viewset. A new dashboard page with parameters fails the matrix's first
# test until it is here.
DASHBOARD_URLS: dict[str, Callable[[dict], list[dict]]] = {
    "dashboard:citizen": lambda o: [{"pk": o["Citizen"].pk}],
    "dashboard:citizen-data-export": lambda o: [{"pk": o["Citizen"].pk}],
    "dashboard:citizen-correction": lambda o: [{"pk": o["Citizen"].pk}],
    "dashboard:request": lambda o: [{"pk": o["ServiceRequest"].pk}],
    "dashboard:request-action": lambda o: [
        {"pk": o["ServiceRequest"].pk, "action": action}
        for action in ("start", "complete", "cancel", "reject")
    ],
    "dashboard:session": _session,
    "dashboard:session-cancel": _session,
    "dashboard:check-in": _session,
    "dashboard:walk-in": _session,
    "dashboard:call-next": _session,
    "dashboard:desk-offline": _session,
    "dashboard:desk-sync": _session,
    "dashboard:desk-offline-data": _session,
    "dashboard:visit-complete": lambda o: [{"pk": o["OutreachSession"].pk, "ticket_id": o["QueueTicket"].pk}],
    "dashboard:visit-ticket": lambda o: [{"pk": o["OutreachSession"].pk, "ticket_id": o["QueueTicket"].pk}],
    "dashboard:serve-here": lambda o: [{"pk": o["OutreachSession"].pk, "code": o["Appointment"].code}],
    "dashboard:walk-in-resident": lambda o: [{"pk": o["OutreachSession"].pk, "citizen_id": o["Citizen"].pk}],
    "dashboard:slot-remove": lambda o: [{"pk": o["OutreachSession"].pk, "slot_id": o["Slot"].pk}],
    "dashboard:check-in-action": lambda o: [
        {"pk": o["OutreachSession"].pk, "code": o["Appointment"].code, "action": action}
        for action in ("start", "complete")
    ],
    "dashboard:booking": lambda o: [{"code": o["Appointment"].code}],
    "dashboard:stock-location": lambda o: [{"code": o["StockLocation"].code}],
    # The drill-down of the kecamatan and of its citizen's desa.
    # (The production-mode stage's sample has no kecamatan: it opens the kabupaten's page.)
    "dashboard:area": lambda o: (
        [{"code": o["Kecamatan"].code}, {"code": o["Citizen"].desa_id}]
        if "Kecamatan" in o
        else [{"code": "33.19"}]
    ),
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


def _model_of(callback):
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
    """Every pattern under /dashboard/ and /api/v1/ in the URL resolver (tests/routes.py), one per
    URL name."""
    found: dict[str, Route] = {}
    for entry in url_entries():
        if not entry.pattern.startswith(("dashboard/", "api/v1/")) or "format" in entry.kwargs:
            continue
        model, lookup = _model_of(entry.callback)
        found.setdefault(
            entry.name,
            Route(entry.name, entry.pattern, _view_methods(entry.callback), entry.kwargs, model, lookup,
                  entry.pattern.startswith("api/")),
        )  # fmt: skip
    return sorted(found.values(), key=lambda route: route.name)


def url_for(route: Route, objects: dict) -> list[str] | None:
    """The route's URLs for one kecamatan's objects (`{model class: object}`), or None when they
    cannot be built (no sample object of that kind)."""
    if not route.kwargs:
        return [reverse(route.name)]
    by_name = {model.__name__: value for model, value in objects.items()}
    if route.name in DASHBOARD_URLS:
        try:
            variants = DASHBOARD_URLS[route.name](by_name)
        except KeyError:  # no sample object of that kind
            return None
        return [reverse(route.name, kwargs=kwargs) for kwargs in variants]
    if route.model not in objects:
        return None
    target = objects[route.model]
    values = {}
    for kwarg in route.kwargs:
        if kwarg == "slot_id" and "Slot" in by_name:
            values[kwarg] = by_name["Slot"].pk
        elif kwarg in ("pk", route.lookup):
            values[kwarg] = getattr(target, route.lookup if kwarg == route.lookup else "pk")
        else:
            return None
    return [reverse(route.name, kwargs=values)]


def counts(connection) -> dict[str, int]:
    """Row counts of every table of the portal (axes' failed-login log aside) and booked places,
    through a DB-API connection (Django's, or one to the deployment's database)."""
    found = {}
    with connection.cursor() as cursor:

        def one(sql: str, *params) -> int:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

        for label in (
            "core",
            "regions",
            "registrations",
            "schedules",
            "blanks",
            "auth",
            "knox",
            "sessions",
        ):
            for model in apps.get_app_config(label).get_models():
                found[model._meta.label] = one(f'SELECT count(*) FROM "{model._meta.db_table}"')
        found["booked places"] = one(f'SELECT coalesce(sum(booked), 0) FROM "{Slot._meta.db_table}"')
        found["active bookings"] = one(
            f'SELECT count(*) FROM "{Appointment._meta.db_table}" WHERE status = %s',
            Appointment.Status.ACTIVE,
        )
    return found
