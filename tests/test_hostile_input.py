"""Hostile input on every public form and endpoint: a 4xx with the JSON error shape (API) or the
form again with its message (pages), never a 5xx, and nothing written. Every case runs twice: in
process (Django's test client) and through the portal as deployed (gunicorn in production mode, on
PostgreSQL: tests/deployment.py), where a database error cannot hide behind the test client.

Table-driven: ENDPOINTS says how each endpoint takes a value (a form field, a JSON field, a query
parameter, a path segment); PAYLOADS are the values; BODIES are whole hostile request bodies.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import quote, urlsplit

import pytest
from django.core.cache import cache
from django.db import connection

from tests.caches import locmem_caches
from tests.factories import hostile_world
from tests.helpers import counts

pytestmark = pytest.mark.django_db

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


def payloads(nik: str) -> list[str]:
    return [
        # SQL injection
        "' OR '1'='1",
        "1; DROP TABLE registrations_citizen; --",
        f"{nik}' --",
        "1 UNION SELECT nik FROM registrations_citizen",
        # template / format-string injection
        "{{ settings.SECRET_KEY }}",
        "{% debug %}",
        "${7*7}",
        "%(password)s %s %n",
        # HTML / JS
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "javascript:alert(1)",
        # over-long values
        "9" * 5_000,  # beyond Python's 4,300-digit int() limit
        "a" * 20_000,
        # control characters
        "abc\x00def",
        "\u202e\u200b\ufeff",
        # Unicode lookalike digits in NIKs (a real one, in other scripts)
        nik.translate(FULLWIDTH),
        nik.translate(ARABIC_INDIC),
        nik.translate(DEVANAGARI),
        nik[:-1] + "١",
        # negative, huge and odd numbers
        "-1",
        "0",
        "99999999999999999999999999",
        str(-(2**63)),
        str(2**63),
        "1e309",
        "NaN",
        "-Infinity",
        # impossible dates
        "0000-00-00",
        "2000-02-30",
        "9999-12-31",
        "１９９０-０１-０１",
    ]


# Whole bodies: (content type, body).
BODIES = [
    ("application/json", b"\xff\xfe\xfa\x00not utf-8"),
    ("application/x-www-form-urlencoded", b"nik=\xff\xfe\xfa&birth_date=\xc3\x28"),
    ("application/json", b'{"nik": '),
    ("application/json", b"[" * 100_000 + b"]" * 100_000),
    ("application/json", b'"just a string"'),
    ("application/json", b"[1, 2, 3]"),
    ("application/json", b"null"),
    ("text/plain", b"nik=1"),
    (
        "application/xml",
        b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
    ),
    ("multipart/form-data; boundary=zzz", b"--zzz\r\nContent-Disposition: form-data; name=nik\r\n\r\n1"),
    ("application/json", b'{"nik": "' + b"9" * (3 * 1024 * 1024) + b'"}'),
    ("application/x-www-form-urlencoded", b"nik=" + b"9" * (3 * 1024 * 1024)),
]


@dataclass
class Endpoint:
    """One public endpoint. `kind` is how hostile values reach it: "form" and "json" bodies with
    one field replaced, "query" parameters, or "path" (the value in the URL)."""

    name: str
    method: str
    path: str
    kind: str
    fields: list[str] = field(default_factory=list)
    api: bool = False
    # GET endpoints that simply ignore an unknown filter value may answer 200.
    ok_statuses: tuple[int, ...] = ()
    bodies: bool = False
    # Fields always sent with their valid value, never replaced (e.g. a formset's row counts).
    fixed: tuple[str, ...] = ()


@pytest.fixture(params=["in-process", "deployed"])
def via(request):
    return request.param


@pytest.fixture
def client(request, via, client):
    if via == "deployed":
        return request.getfixturevalue("deployed").client()
    client.raise_request_exception = False  # a crash is a 500 to report, not an exception here
    return client


@pytest.fixture
def world(request, via):
    if via == "in-process":
        request.getfixturevalue("regions")
        return hostile_world()
    seeded = request.getfixturevalue("deployed").seed["hostile"]  # tests/deployed/seed.py
    citizen = seeded["citizen"]
    return {
        "citizen": SimpleNamespace(
            nik=citizen["nik"], kk=citizen["kk"], birth_date=dt.date.fromisoformat(citizen["birth_date"])
        ),
        "session": SimpleNamespace(pk=seeded["session"]),
        "slot": SimpleNamespace(pk=seeded["slot"]),
        "new_slot": SimpleNamespace(pk=seeded["new_slot"]),
        "code": seeded["code"],
        "token": seeded["token"],
    }


@pytest.fixture
def snapshot(request, via):
    """Row counts of the database the requests went to (see `counts`)."""
    if via == "in-process":
        return lambda: counts(connection)
    deployed = request.getfixturevalue("deployed")

    def of_the_deployment():
        with deployed.cursor() as stage:
            return counts(stage)

    return of_the_deployment


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    # Throttle counters in memory, emptied before every request (a 429 would hide what the
    # validation does with the value).
    settings.CACHES = locmem_caches("hostile-input")
    settings.SMS_BACKEND = "schedules.messaging.LocmemSMSBackend"
    # A failed login still hashes the password once (timing safety): make that cheap here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()


def _valid(world) -> dict[str, str]:
    citizen = world["citizen"]
    return {
        "nik": citizen.nik,
        "kk": citizen.kk,
        "birth_date": citizen.birth_date.isoformat(),
        "service": "recording",
        "reason": "new",
        "slot": str(world["slot"].pk),
        "phone": "081234567890",
        "email": "warga@example.id",
        "token": world["token"],
        "username": "op1",
        "password": "kudus-Test-2024!",
        "language": "en",
        "next": "/",
        "kecamatan": "33.19.01",
        "area": "33.19",
        "cohort": "all",
        "days": "30",
        "target_date": "2024-02-14",
        # Family booking: one member row (the page's formset, the API's list).
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "1",
        "members-0-nik": citizen.nik,
        "members-0-service": "recording",
        "members-0-reason": "new",
        "members": [{"nik": citizen.nik}],
    }


# The row's fields take the hostile values; the row counts (TOTAL_FORMS: "0" is a valid single
# booking) are refused by tests/schedules/test_family_booking.py instead, with the counts that matter.
FAMILY_ROW = ("0-nik", "0-service", "0-reason")


def endpoints(world) -> list[Endpoint]:
    code, session = world["code"], world["session"]
    booking = ["nik", "kk", "birth_date", "service", "reason", "slot", "phone", "email"]
    return [
        Endpoint("booking form", "POST", "/appointments/new/", "form", booking, bodies=True),
        Endpoint("booking API", "POST", "/api/v1/appointments/", "json", booking, api=True, bodies=True),
        Endpoint("booking API (form-encoded)", "POST", "/api/v1/appointments/", "form", booking, api=True),
        Endpoint(
            "family booking form",
            "POST",
            "/appointments/new/",
            "form",
            [*booking, *(f"members-{key}" for key in FAMILY_ROW)],
            fixed=("members-TOTAL_FORMS", "members-INITIAL_FORMS"),
        ),
        Endpoint(
            "family booking API", "POST", "/api/v1/appointments/", "json", [*booking, "members"], api=True
        ),
        Endpoint(
            "waiting list form",
            "POST",
            f"/sessions/{session.pk}/waitlist/",
            "form",
            ["nik", "kk", "service", "reason", "phone", "email"],
            bodies=True,
        ),
        Endpoint("waiting list page", "GET", "/sessions/{}/waitlist/", "path"),
        Endpoint("waiting list offer", "GET", "/waitlist/{}/", "path"),
        Endpoint("waiting list offer token", "GET", "/waitlist/1/", "query", ["token"]),
        Endpoint("waiting list offer link", "GET", "/waitlist/1/{}/", "path"),
        Endpoint("waiting list leave link", "GET", "/waitlist/1/{}/leave/", "path"),
        Endpoint("manage page", "GET", f"/appointments/{code}/", "query", ["token"]),
        Endpoint("manage page code", "GET", "/appointments/{}/", "path"),
        Endpoint("calendar file", "GET", f"/appointments/{code}/calendar.ics", "query", ["token"]),
        Endpoint("cancel form", "POST", f"/appointments/{code}/cancel/", "form", ["token"], bodies=True),
        Endpoint("reschedule form", "POST", f"/appointments/{code}/reschedule/", "form", ["token", "slot"]),
        Endpoint("booking API read", "GET", f"/api/v1/appointments/{code}/", "query", ["token"], api=True),
        Endpoint("booking API code", "GET", "/api/v1/appointments/{}/", "path", api=True),
        Endpoint("cancel API", "POST", f"/api/v1/appointments/{code}/cancel/", "json", ["token"], api=True),
        Endpoint(
            "reschedule API",
            "POST",
            f"/api/v1/appointments/{code}/reschedule/",
            "json",
            ["token", "slot"],
            api=True,
            bodies=True,
        ),
        Endpoint(
            "session list", "GET", "/", "query", ["service", "kecamatan", "kind", "page"], ok_statuses=(200,)
        ),
        Endpoint(
            "session list API",
            "GET",
            "/api/v1/sessions/",
            "query",
            ["service", "kecamatan", "kind", "date_from", "date_to", "page", "page_size"],
            api=True,
            ok_statuses=(200,),  # DRF ignores an unusable page_size; a far or odd date is still a date
        ),
        Endpoint("session API", "GET", "/api/v1/sessions/{}/", "path", api=True),
        Endpoint("queue display", "GET", "/sessions/{}/queue/", "path"),
        Endpoint("queue display state", "GET", "/sessions/{}/queue/state/", "path"),
        Endpoint("queue API", "GET", "/api/v1/sessions/{}/queue/", "path", api=True),
        Endpoint(
            "queue of a session", "GET", f"/sessions/{session.pk}/queue/", "query", ["x"], ok_statuses=(200,)
        ),
        Endpoint(
            "regions",
            "GET",
            "/api/v1/regions/",
            "query",
            ["ordering", "page", "page_size", "search"],
            api=True,
            ok_statuses=(200,),
        ),
        Endpoint("region", "GET", "/api/v1/regions/{}/", "path", api=True),
        Endpoint(
            "token obtain",
            "POST",
            "/api/v1/auth/token/",
            "json",
            ["username", "password"],
            api=True,
            bodies=True,
        ),
        Endpoint("login form", "POST", "/accounts/login/", "form", ["username", "password"], bodies=True),
        Endpoint("coverage", "GET", "/api/v1/coverage/", "query", ["kecamatan"], api=True),
        Endpoint(
            "coverage history",
            "GET",
            "/api/v1/coverage/history/",
            "query",
            ["area", "cohort", "days"],
            api=True,
        ),
        Endpoint(
            "coverage projection",
            "GET",
            "/api/v1/coverage/projection/",
            "query",
            ["target_date", "cohort"],
            api=True,
            ok_statuses=(200,),  # a far or odd target date is still a date
        ),
        Endpoint("language switch", "POST", "/i18n/setlang/", "form", ["language", "next"]),
    ]


def send(client, endpoint: Endpoint, world, name: str | None = None, value: str | None = None, body=None):
    cache.clear()
    if body is not None:
        content_type, raw = body
        return client.generic(
            endpoint.method, endpoint.path.replace("{}", "1"), raw, content_type=content_type
        )
    if endpoint.kind == "path":
        return client.generic(endpoint.method, endpoint.path.format(quote(value, safe="")))
    valid = _valid(world)
    data = {key: valid[key] for key in (*endpoint.fixed, *endpoint.fields) if key in valid}
    data[name] = value
    if endpoint.kind == "query":
        return client.get(endpoint.path, data)
    if endpoint.kind == "json":
        return client.generic(
            endpoint.method, endpoint.path, json.dumps(data), content_type="application/json"
        )
    return client.post(endpoint.path, data)


def problem_with(endpoint: Endpoint, response, value: str | None) -> str | None:
    """Why this response is not an acceptable answer to hostile input, or None."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if status == 414:
        # URI too long: refused by the HTTP server (gunicorn's 4,094-byte request line, as any
        # proxy in front would) before the portal sees the request; only through gunicorn.
        return None
    if endpoint.name == "language switch":
        # Django's set_language: back to a page of this site, never elsewhere (open redirect).
        location = urlsplit(response.get("Location", ""))
        if status != 302 or location.scheme or location.netloc or location.path.startswith(("//", "\\")):
            return f"{status} redirect to {response.get('Location')!r}"
        return None
    body = response.content.decode(errors="replace")
    html = response.get("Content-Type", "").startswith("text/html")
    if html and value and "<" in value and value in body:
        return "markup reflected unescaped"
    if endpoint.api and 400 <= status < 500:
        try:
            shape = set(response.json())
        except ValueError:
            return f"{status} without a JSON body"
        if shape != {"code", "detail", "fields"}:
            return f"{status} with the body {body[:120]!r}"
        return None
    if 400 <= status < 500:
        return None
    if status in endpoint.ok_statuses:
        return None
    if status == 200 and endpoint.kind == "form" and not endpoint.api:
        # The form again, with its message.
        return (
            None
            if ('class="errorlist' in body or 'class="message error' in body)
            else "200 without a message"
        )
    return f"unexpected {status}"


def test_every_public_endpoint_answers_hostile_values_with_a_4xx_or_the_forms_message(
    client, world, snapshot
):
    before = snapshot()
    problems = []
    cases = 0
    for endpoint in endpoints(world):
        names = endpoint.fields or [None]
        for name in names:
            for value in payloads(world["citizen"].nik):
                response = send(client, endpoint, world, name, value)
                cases += 1
                problem = problem_with(endpoint, response, value)
                if problem:
                    problems.append(f"{endpoint.name} [{name}={value[:40]!r}]: {problem}")
    assert not problems, "\n".join(problems)
    assert snapshot() == before
    assert cases > 1000


def test_every_public_endpoint_refuses_hostile_bodies_without_writing(client, world, snapshot):
    before = snapshot()
    problems = []
    for endpoint in (e for e in endpoints(world) if e.bodies):
        for body in BODIES:
            response = send(client, endpoint, world, body=body)
            problem = problem_with(endpoint, response, None)
            if problem:
                problems.append(f"{endpoint.name} [{body[0]} {body[1][:30]!r}…]: {problem}")
    assert not problems, "\n".join(problems)
    assert snapshot() == before


def test_bodies_over_the_upload_limit_are_refused_before_any_view_reads_them(client, world, settings):
    big = b'{"nik": "' + b"9" * (3 * 1024 * 1024) + b'"}'
    for path in ("/api/v1/appointments/", "/api/v1/auth/token/", "/appointments/new/"):
        response = client.generic("POST", path, big, content_type="application/json")
        assert response.status_code == 413, path
    body = client.generic("POST", "/api/v1/appointments/", big, content_type="application/json").json()
    assert body["code"] == "payload_too_large"


def test_valid_input_still_books_so_the_table_above_can_fail(client, world, snapshot):
    before = snapshot()
    data = _valid(world)
    response = client.post(
        "/appointments/new/", {k: data[k] for k in ("nik", "kk", "service", "reason", "slot")}
    )
    assert response.status_code == 303
    assert snapshot()["active bookings"] == before["active bookings"] + 1
