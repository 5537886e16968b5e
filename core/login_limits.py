"""One budget of failed logins per client address, shared by every way in.

django-axes locks one username from one address after AXES_FAILURE_LIMIT failures; that does not
stop one address from trying a few passwords on each of many accounts. Here every failed
authentication from an address — the staff login page, the admin login page and the API token
endpoint alike (Django's `user_login_failed` signal, core/signals.py) — counts against one budget:
after LOGIN_FAILURES_PER_ADDRESS failures within LOGIN_FAILURE_WINDOW_MINUTES, those three refuse
further attempts from that address until the window (counted from its first failure) is over,
without checking the password (HTTP 429, the minutes left: LoginThrottleMiddleware for the two
pages, core.api.auth for the token). The moment an address is locked is
audited (AuditEvent kind security) with the username attempted masked, never the password.

The counters live in the throttle cache (core/throttling.py: Redis, or the database cache), shared
by every web worker.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext

from core.audit import audit_record
from core.client_address import client_address
from core.logmask import mask_personal_data
from core.models import AuditEvent
from core.throttling import throttle_cache

LOCKED_TEMPLATE = "registration/login_throttled.html"


def _window_seconds() -> int:
    return settings.LOGIN_FAILURE_WINDOW_MINUTES * 60


def _keys(address: str) -> tuple[str, str]:
    return f"login-failures:{address}:count", f"login-failures:{address}:since"


def mask_username(username: object) -> str:
    """The first two characters of what was typed, then stars: enough to tell attempts apart."""
    text = mask_personal_data(str(username or ""))[:150]
    return f"{text[:2]}***" if text else "(none)"


def login_failure_record(*, request: HttpRequest | None, username: object = "") -> None:
    """Count one failed authentication against the client address (signal receiver's work)."""
    if request is None:
        return
    address = client_address(request)
    if not address:
        return
    count_key, since_key = _keys(address)
    window = _window_seconds()
    now = time.time()
    since = throttle_cache.get(since_key)
    if since is None or since + window <= now:  # the first failure of a new window
        throttle_cache.set_many({since_key: now, count_key: 0}, timeout=window)
    try:
        count = throttle_cache.incr(count_key)
    except ValueError:  # evicted meanwhile: count from here
        throttle_cache.set(count_key, 1, timeout=window)
        count = 1
    if count == settings.LOGIN_FAILURES_PER_ADDRESS:
        audit_record(
            actor=None,
            kind=AuditEvent.Kind.SECURITY,
            action="logins from this address refused: too many failed attempts",
            target=f"last username tried {mask_username(username)}",
            request=request,
            status_code=429,
        )


def login_blocked_for(request: HttpRequest) -> int | None:
    """Seconds until the address may try again, or None when it may now."""
    address = client_address(request)
    if not address:
        return None
    count_key, since_key = _keys(address)
    found = throttle_cache.get_many([count_key, since_key])
    since = found.get(since_key)
    if since is None or found.get(count_key, 0) < settings.LOGIN_FAILURES_PER_ADDRESS:
        return None
    left = since + _window_seconds() - time.time()
    return math.ceil(left) if left > 0 else None


def minutes_left(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def too_many_attempts_message(seconds: int) -> str:
    minutes = minutes_left(seconds)
    return ngettext(
        "Too many failed login attempts from your address. Try again in %(minutes)s minute.",
        "Too many failed login attempts from your address. Try again in %(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}


LOGIN_VIEWS = frozenset({"login", "admin:login"})


class LoginThrottleMiddleware:
    """A POST to the staff or the admin login page from a locked address gets the 429 page; the
    login view (and so the password check) never runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if request.method != "POST" or request.resolver_match is None:
            return None
        if request.resolver_match.view_name not in LOGIN_VIEWS:
            return None
        seconds = login_blocked_for(request)
        if seconds is None:
            return None
        response = render(
            request, LOCKED_TEMPLATE, {"message": too_many_attempts_message(seconds)}, status=429
        )
        response["Retry-After"] = str(seconds)
        return response
