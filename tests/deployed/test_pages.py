"""The production-mode stage: Chromium through every page of the portal as deployed.

The portal runs as docker-compose runs it (tests/deployment.py: `collectstatic` with
DJANGO_DEBUG=0, gunicorn, a Celery worker, PostgreSQL, Redis). The pages come from the URL resolver,
so a new page is visited without a change here: public pages anonymously, dashboard and admin pages as
an admin (the role that may open every one). Each answers 200 (403 where the admin refuses the action to
everyone), loads its static files, logs no console error and breaks no CSP rule; staff pages send
anonymous visitors to the login page. Swagger UI renders the API's operations, and a recompute
asked for on the dashboard is done by the Celery worker. Screenshots (390 px phone, 1366 px desktop)
go to test-artifacts/deployed/.
"""

from __future__ import annotations

import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse

from tests.deployment import HttpClient
from tests.helpers import DASHBOARD_URLS
from tests.routes import url_entries

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "deployed"

# Whole URL prefixes that are not pages.
SKIPPED_PREFIXES = {
    "api/v1/": "the JSON API: tests/api, the access matrix, and the hostile-input table through gunicorn",
}
# Routes that are not pages, with the reason. Kept short on purpose (asserted below).
SKIPPED = {
    "api-schema": "the OpenAPI document (YAML); Swagger UI at /api/docs/ loads it, and is visited",
    "healthz": "the JSON health probe (tests/test_health.py)",
    "set_language": "changes the language by POST; a GET only redirects back",
    "admin:autocomplete": "JSON for the admin's autocomplete widgets",
    "admin:jsi18n": "the admin's JavaScript catalogue, loaded by the admin pages visited",
    "admin:view_on_site": "redirects to an object's page elsewhere",
    "admin:None": "the admin's unnamed redirects (<id>/ → <id>/change/) and its catch-all 404",
    "dashboard:targets-export": "a file download (XLSX; tests/dashboard/test_exports.py)",
    "dashboard:citizens-export": "a file download (XLSX; tests/dashboard/test_exports.py)",
    "dashboard:school-visit-export": "a file download (CSV/XLSX; tests/dashboard/test_school_visits.py)",
    "dashboard:citizen-data-export": "a file download (JSON; tests/dashboard/test_citizen_data_export.py)",
    "schedules:calendar": "a file download (.ics; tests/schedules)",
    "schedules:calendar-query": "an older .ics link (?token=): redirects to the file download",
}
MAX_SKIPPED = 15

# The targets of forms, which only take a POST: the stage checks that each
# answers a GET with 405, so no page a browser could open hides here.
POST_ONLY = {
    "logout",
    "admin:logout",
    "dashboard:request-action",
    "dashboard:session-cancel",
    "dashboard:slot-remove",
    "dashboard:check-in-action",
    "dashboard:walk-in",
    "dashboard:call-next",
    "dashboard:serve-here",
    "dashboard:visit-complete",
    "dashboard:walk-in-resident",
    "dashboard:school-visit-plan",
    "schedules:cancel",
    "schedules:reschedule",
    "dashboard:coverage-recompute",  # the stage presses its button too
    "dashboard:desk-sync",  # JSON; tests/dashboard/test_desk_offline.py
}


# Pages drawn by their script after "load": what shows they are done.
READY = {"api-docs": ".opblock"}

# Listens to CSP violations from the first script on (Playwright injects it, outside the CSP).
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`);
});
"""


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    audience: str  # "public" (anonymous), "staff" (the dashboard) or "admin" (Django's admin)
    status: int = 200


def _audience(entry) -> str:
    if entry.pattern.startswith("admin/") and entry.name != "admin:login":
        return "admin"
    if entry.pattern.startswith(("dashboard/", "accounts/password_change")):
        return "staff"
    return "public"


def _admin_model(name: str):
    """The admin-registered model and action of an admin URL name ("admin:auth_user_change")."""
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix):
            return model, name.removeprefix(prefix)
    return None, None


def _admin_status(model, action: str) -> int:
    """What the admin answers an admin (a superuser) for this model and action."""
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = get_user_model()(is_superuser=True, is_staff=True, is_active=True)
    allowed = {
        "add": lambda: model_admin.has_add_permission(request),
        "delete": lambda: model_admin.has_delete_permission(request, None),
    }.get(action, lambda: True)
    return 200 if allowed() else 403


def pages(seed: dict) -> tuple[list[Page], list[str]]:
    """Every page (URL filled from the seeded objects), and the routes it could not fill."""
    objects = seed["objects"]
    sample = {
        "Citizen": SimpleNamespace(pk=objects["citizen"]),
        "ServiceRequest": SimpleNamespace(pk=objects["request"]),
        "OutreachSession": SimpleNamespace(pk=objects["session"]),
        "Slot": SimpleNamespace(pk=objects["slot"]),
        "Appointment": SimpleNamespace(code=objects["appointment"]),
        "StockLocation": SimpleNamespace(code=objects["location"]),
        "QueueTicket": SimpleNamespace(pk=objects["visit"]),
    }
    booking = seed["booking"]
    public = {
        "schedules:confirmation": [
            reverse("schedules:confirmation", args=[booking["code"], booking["token"]])
        ],
        "schedules:manage": [reverse("schedules:manage", args=[booking["code"], booking["token"]])],
        "schedules:queue": [reverse("schedules:queue", args=[seed["queue_session"]])],
        "schedules:queue-state": [reverse("schedules:queue-state", args=[seed["queue_session"]])],
        "schedules:waitlist-join": [reverse("schedules:waitlist-join", args=[seed["waitlist"]["session"]])],
        "schedules:waitlist-offer": [seed["waitlist"]["offer"]],
        "schedules:waitlist-leave": [seed["waitlist"]["leave"]],
        # Links of the older form (`?token=`): the browser follows their redirect to the page.
        "schedules:confirmation-query": [
            f"{reverse('schedules:confirmation-query', args=[booking['code']])}?token={booking['token']}"
        ],
        "schedules:manage-query": [
            f"{reverse('schedules:manage-query', args=[booking['code']])}?token={booking['token']}"
        ],
        "schedules:waitlist-offer-query": [
            f"{reverse('schedules:waitlist-offer-query', args=[seed['waitlist']['entry']])}"
            f"?token={seed['waitlist']['token']}"
        ],
        "password_reset_confirm": [reverse("password_reset_confirm", kwargs=seed["password_reset"])],
    }
    found: dict[str, Page] = {}
    unbuilt = []
    for entry in url_entries():
        if entry.pattern.startswith(tuple(SKIPPED_PREFIXES)) or entry.name in {*SKIPPED, *POST_ONLY, *found}:
            continue
        audience = _audience(entry)
        status = 200
        if not entry.kwargs:
            urls = [reverse(entry.name)]
        elif entry.name in public:
            urls = public[entry.name]
        elif entry.name in DASHBOARD_URLS:
            urls = [reverse(entry.name, kwargs=kwargs) for kwargs in DASHBOARD_URLS[entry.name](sample)]
        elif entry.name == "admin:app_list":
            labels = sorted({model._meta.app_label for model in admin.site._registry})
            urls = [reverse(entry.name, kwargs={"app_label": label}) for label in labels]
        elif entry.name == "admin:auth_user_password_change":
            urls = [reverse(entry.name, kwargs={"id": seed["admin"]["auth.user"]})]
        else:
            model, action = _admin_model(entry.name)
            pk = seed["admin"].get(model._meta.label_lower) if model else None
            if pk is None:
                unbuilt.append(
                    f"{entry.name}: no URL (no seeded object, or unknown parameters {entry.kwargs})"
                )
                continue
            urls = [reverse(entry.name, kwargs={"object_id": pk})]
            status = _admin_status(model, action)
        if not entry.kwargs and entry.name.startswith("admin:"):
            model, action = _admin_model(entry.name)
            if model is not None:
                status = _admin_status(model, action)
        for index, url in enumerate(urls):
            found[f"{entry.name}#{index}" if index else entry.name] = Page(entry.name, url, audience, status)
    return list(found.values()), unbuilt


def test_the_skip_list_is_short_and_names_real_routes():
    names = {entry.name for entry in url_entries()}
    assert len(SKIPPED) <= MAX_SKIPPED
    assert set(SKIPPED) <= names, set(SKIPPED) - names
    assert set(POST_ONLY) <= names, set(POST_ONLY) - names
    assert all(reason.strip() for reason in SKIPPED.values())


@pytest.fixture
def browser(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop in this thread; the in-process calls between
    # page loads (Django's URL reversing, the admin's permission checks) are plain blocking code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            headless=True,
        )
        try:
            yield chromium
        finally:
            chromium.close()


class Visitor:
    """One browser context (one person); notes every console error, failed static file, failed
    request and CSP violation of the page it is on."""

    def __init__(self, browser, base_url: str, **context):
        self.base_url = base_url
        self.context = browser.new_context(**context)
        self.context.add_init_script(CSP_LISTENER)
        self.page = self.context.new_page()
        self.current = "(start)"
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"{self.current}: page error {error}"))
        self.page.on("response", self._response)
        self.page.on("requestfailed", self._failed)

    def _console(self, message) -> None:
        # "Failed to load resource" repeats a status that _response and visit() judge.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"{self.current}: console error {message.text[:300]}")

    def _failed(self, request) -> None:
        # ERR_ABORTED: the browser dropped the request itself (the next page was opened).
        if "ERR_ABORTED" not in (request.failure or ""):
            self.problems.append(f"{self.current}: {request.failure} for {request.url}")

    def _response(self, response) -> None:
        # Any file a page loads (static files, fragments, icons); the page's own status is visit()'s.
        if response.status >= 400 and response.request.resource_type != "document":
            path = urllib.parse.urlsplit(response.url).path
            self.problems.append(f"{self.current}: {response.status} for {path}")

    def login(self, username: str, password: str) -> None:
        self.visit_raw("/accounts/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        with self.page.expect_navigation():
            self.page.click("form:has(input[name=password]) [type=submit]")
        if urllib.parse.urlsplit(self.page.url).path != "/dashboard/":
            errors = self.page.locator(".errorlist, .message, .errornote").all_inner_texts()
            raise AssertionError(f"{username} could not sign in: {self.page.url} {errors} {self.problems}")

    def visit_raw(self, url: str, *, idle: bool = True):
        self.current = url
        response = self.page.goto(self.base_url + url, wait_until="networkidle" if idle else "load")
        violations = self.page.evaluate("window.__cspViolations || []")
        self.problems += [f"{url}: CSP violation {violation}" for violation in violations]
        return response

    def visit(self, page: Page) -> None:
        # The admin's pages load no script after "load"; the portal's (htmx, charts) may.
        response = self.visit_raw(page.url, idle=page.audience != "admin")
        if page.name in READY:  # a page that renders itself from a later request
            self.page.wait_for_selector(READY[page.name], timeout=20_000)
        if response is None:
            self.problems.append(f"{page.url}: no response")
            return
        if response.status != page.status:
            self.problems.append(f"{page.url}: {response.status}, expected {page.status}")
        final = urllib.parse.urlsplit(self.page.url).path
        if page.status == 200 and "/login/" in final and "/login/" not in page.url:
            self.problems.append(f"{page.url}: sent to {final}")

    def close(self) -> None:
        self.context.close()


def test_every_page_in_production_mode(deployed, browser):
    started = time.monotonic()
    all_pages, unbuilt = pages(deployed.seed)
    assert unbuilt == [], "\n".join(unbuilt)
    by_audience = {
        audience: [p for p in all_pages if p.audience == audience]
        for audience in ("public", "staff", "admin")
    }
    assert (
        len(by_audience["public"]) >= 8
        and len(by_audience["staff"]) >= 15
        and len(by_audience["admin"]) >= 60
    )

    problems: list[str] = []
    # Anonymous visitors of staff pages go to the login page (plain HTTP: no page to render).
    anonymous = HttpClient(deployed.base_url)
    for page in all_pages:
        if page.audience == "public":
            continue
        answer = anonymous.get(page.url)
        login = "/admin/login/" if page.audience == "admin" else "/accounts/login/"
        location = urllib.parse.urlsplit(answer.get("Location") or "")
        if answer.status_code != 302 or location.path != login:
            problems.append(f"anonymous {page.url}: {answer.status_code} → {answer.get('Location')}")

    visitors = {"public": Visitor(browser, deployed.base_url), "admin": Visitor(browser, deployed.base_url)}
    visitors["admin"].login(deployed.seed["logins"]["admin"], deployed.password)
    for page in all_pages:
        visitors["public" if page.audience == "public" else "admin"].visit(page)

    # The skipped POST-only routes really refuse a GET (so no page hides in the skip list).
    for entry in url_entries():
        if entry.name in POST_ONLY:
            url = _post_only_url(entry, deployed.seed)
            visitor = visitors["admin"]
            status = visitor.context.request.get(deployed.base_url + url, max_redirects=0).status
            if status != 405:
                problems.append(f"{entry.name} is skipped as POST only, but GET {url} answers {status}")

    for visitor in visitors.values():
        problems += visitor.problems
    elapsed = time.monotonic() - started

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "pages.txt").write_text(
        "\n".join(f"{p.audience:6} {p.status} {p.url}" for p in all_pages)
        + f"\n\n{len(all_pages)} pages in {elapsed:.1f} s; deployment: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in deployed.timings.items())
        + "\nskipped: "
        + "; ".join(f"{name} ({reason})" for name, reason in {**SKIPPED_PREFIXES, **SKIPPED}.items())
        + "\nPOST only (GET answers 405): "
        + ", ".join(sorted(POST_ONLY))
        + "\n",
        encoding="utf-8",
    )
    for visitor in visitors.values():
        visitor.close()
    assert not problems, f"{len(problems)} problems on {len(all_pages)} pages:\n" + "\n".join(problems)


def _post_only_url(entry, seed: dict) -> str:
    objects = seed["objects"]
    values = {
        "pk": objects["session"] if "session" in entry.pattern else objects["request"],
        "slot_id": objects["slot"],
        "ticket_id": objects["visit"],
        "citizen_id": objects["citizen"],
        "code": seed["booking"]["code"] if entry.name.startswith("schedules:") else objects["appointment"],
        "action": "start",
    }
    return reverse(entry.name, kwargs={kwarg: values[kwarg] for kwarg in entry.kwargs})


def test_swagger_ui_renders_the_api_in_production_mode(deployed, browser):
    visitor = Visitor(browser, deployed.base_url)
    visitor.visit_raw("/api/docs/", idle=False)
    visitor.page.wait_for_selector(".opblock", timeout=20_000)
    tags = {element.get_attribute("data-tag") for element in visitor.page.query_selector_all(".opblock-tag")}
    operations = len(visitor.page.query_selector_all(".opblock"))
    visitor.close()
    assert {"auth", "sessions", "appointments", "coverage", "blank movements"} <= tags
    assert operations >= 40
    assert visitor.problems == []


def test_a_recompute_asked_on_the_dashboard_is_done_by_the_worker(deployed, browser):
    def last_run() -> int:
        with deployed.cursor() as connection, connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM registrations_coveragerun")
            return cursor.fetchone()[0]

    before = last_run()
    visitor = Visitor(browser, deployed.base_url)
    visitor.login(deployed.seed["logins"]["supervisor"], deployed.password)
    with visitor.page.expect_navigation():
        visitor.page.click("form[action$='/coverage/recompute/'] [type=submit]")
    deadline = time.monotonic() + 60
    while last_run() == before and time.monotonic() < deadline:
        time.sleep(0.5)
    visitor.close()
    assert last_run() > before, "the Celery worker did not recompute the coverage within 60 s"
    assert visitor.problems == []


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1366, 900)])
def test_screenshots_of_booking_and_dashboard(deployed, browser, width, height):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    visitor = Visitor(browser, deployed.base_url, viewport={"width": width, "height": height})
    visitor.visit_raw("/")
    visitor.page.screenshot(path=str(ARTIFACTS / f"home-{width}.png"), full_page=True)
    visitor.visit_raw(reverse("schedules:book"))
    visitor.page.screenshot(path=str(ARTIFACTS / f"booking-{width}.png"), full_page=True)
    visitor.login(deployed.seed["logins"]["supervisor"], deployed.password)
    visitor.visit_raw("/dashboard/")
    visitor.page.screenshot(path=str(ARTIFACTS / f"dashboard-{width}.png"), full_page=True)
    widest = visitor.page.evaluate("document.documentElement.scrollWidth")
    visitor.close()
    assert visitor.problems == []
    assert widest <= width  # nothing wider than the screen, on a phone too
