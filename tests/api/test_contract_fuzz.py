"""Contract fuzzing: schemathesis generates requests for every operation of the live schema
(/api/schema/, served by the WSGI app in process) and checks each response: never a 5xx, a
documented status code, the documented content type, a body matching the schema (errors included)
and the documented headers (Retry-After on 429).

It runs twice: as a staff user with a token (admin role: every operation is reachable) and as an
anonymous client. Valid data (positive mode) and invalid data (negative mode: it must never cause
a 5xx or an undocumented answer; lenient parsing, e.g. an empty filter meaning "no filter", is
allowed) are both sent; a
bounded, derandomized number of examples per operation keeps the run short and repeatable. The
throttle rates are raised for the run (the fuzzer would otherwise throttle itself into 429s), and
revoking the staff token is undone after each request (the fuzzer must not lock itself out).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.roles import staff_create
from tests.helpers import api_token, api_token_exists

pytestmark = pytest.mark.django_db

CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Examples per operation and mode. Derandomized: every run sends the same requests. A deeper
# search: KUDUS_FUZZ_EXAMPLES=200 (positive; negative gets half) and KUDUS_FUZZ_SEED=<n> for other
# examples than the derandomized ones.
_POSITIVE = int(os.environ.get("KUDUS_FUZZ_EXAMPLES", "12"))
EXAMPLES = {GenerationMode.POSITIVE: _POSITIVE, GenerationMode.NEGATIVE: max(_POSITIVE // 2, 1)}
SEED = os.environ.get("KUDUS_FUZZ_SEED")
# Whole run (both modes, every operation) for one client; a safety net far above the usual time.
RUN_BUDGET_SECONDS = 150 * max(_POSITIVE // 12, 1)
FUZZ_RATES = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "100000/min")
STAFF_TOKEN = "f" * 40


@pytest.fixture
def wsgi_app():
    """The real WSGI application, minus closing the database connection around each request (as
    Django's test client does): the fuzz run lives inside the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_settings(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": FUZZ_RATES}
    settings.SMS_BACKEND = "schedules.messaging.LocmemSMSBackend"
    settings.ALLOWED_HOSTS = ["*"]
    return settings


@dataclass
class StaffToken:
    user: object
    key: str


@pytest.fixture
def staff_token(world, fuzz_settings) -> StaffToken:
    user = staff_create(username="fuzz-admin", role="admin")
    return StaffToken(user=user, key=api_token(user, STAFF_TOKEN))


def _existing_objects(world) -> dict[str, dict[str, str]]:
    """Path parameters naming real objects (Kaliwungu's), by path prefix: random ids mostly meet a
    404, these let the generated bodies reach the services."""
    mine = world.mine
    return {
        "/api/v1/appointments/": {"code": mine.appointment.code},
        "/api/v1/blanks/locations/": {"code": mine.location.code},
        "/api/v1/blanks/movements/": {"id": str(mine.movement.pk)},
        "/api/v1/citizens/": {"id": str(mine.citizen.pk)},
        "/api/v1/regions/": {"code": "33.19.01"},
        "/api/v1/series/": {"id": str(mine.series.pk)},
        "/api/v1/service-requests/": {"id": str(mine.service_request.pk)},
        "/api/v1/sessions/": {
            "id": str(mine.session.pk),
            "slot_id": str(mine.session.slots.order_by("starts_at").last().pk),
        },
    }


def _fuzz(
    operation,
    *,
    mode: GenerationMode,
    token: StaffToken | None,
    failures: list[str],
    path_parameters: dict[str, str] | None = None,
) -> int:
    sent = 0

    @hypothesis.settings(
        max_examples=EXAMPLES[mode],
        derandomize=SEED is None,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    @hypothesis.seed(int(SEED or 0))
    def run(case):
        nonlocal sent
        # Credentials are ours to set: generated Authorization headers and cookies are replaced.
        case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        case.cookies = {}
        if token is not None:
            case.headers["Authorization"] = f"Token {token.key}"
        response = case.call()
        sent += 1
        if token is not None and not api_token_exists(token.key):
            api_token(token.user, token.key)  # the fuzzer revoked it: undo
        case.validate_response(response, checks=CONFORMANCE)

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        pass  # negative mode on an operation with nothing to make invalid (no parameters, no body)
    except (Exception, BaseExceptionGroup) as exc:  # one report for all operations
        where = " on existing objects" if path_parameters else ""
        failures.append(f"--- {operation.label} [{mode.value}{where}]\n{exc}")
    return sent


def _run(app, world, token: StaffToken | None) -> tuple[list[str], int]:
    schema = schemathesis.openapi.from_wsgi("/api/schema/", app)
    existing = _existing_objects(world)
    failures: list[str] = []
    sent = 0
    deadline = time.monotonic() + RUN_BUDGET_SECONDS
    for result in schema.get_all_operations():
        operation = result.ok()
        runs = [(mode, None) for mode in EXAMPLES]
        if "{" in operation.path:
            prefix = next(p for p in existing if operation.path.startswith(p))
            names = set(re.findall(r"\{(\w+)\}", operation.path))
            runs.append((GenerationMode.POSITIVE, {k: v for k, v in existing[prefix].items() if k in names}))
        for mode, path_parameters in runs:
            if time.monotonic() > deadline:
                pytest.fail(f"the fuzz run took more than {RUN_BUDGET_SECONDS} s")
            sent += _fuzz(
                operation, mode=mode, token=token, failures=failures, path_parameters=path_parameters
            )
    return failures, sent


def test_the_api_keeps_its_contract_for_a_staff_token(wsgi_app, world, staff_token):
    failures, sent = _run(wsgi_app, world, staff_token)
    assert sent > 300
    assert not failures, "\n\n".join(failures)


def test_the_api_keeps_its_contract_for_anonymous_clients(wsgi_app, world, fuzz_settings):
    failures, sent = _run(wsgi_app, world, None)
    assert sent > 300
    assert not failures, "\n\n".join(failures)
