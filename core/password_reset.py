"""Password reset by e-mail (Django's pages under /accounts/), only where an e-mail can arrive.

In production mode with a backend that delivers nothing (console, locmem, dummy, file: the
default is console), the four reset pages show one translated page saying to ask an
administrator, and nothing is sent or changed. Otherwise the request form is limited per client
address (PASSWORD_RESET_PER_ADDRESS per hour: a 429 page with the minutes left) and per account
(PASSWORD_RESET_PER_ACCOUNT per hour for one e-mail address: past it the form answers as usual,
"sent", and sends nothing, so the answer tells nobody whether the address is known). Counters
live in the throttle cache; the e-mail address is only kept there as a keyed hash.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext

from core.client_address import client_address
from core.throttling import throttle_cache

RESET_VIEWS = frozenset(
    {"password_reset", "password_reset_done", "password_reset_confirm", "password_reset_complete"}
)
NON_DELIVERING_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
    }
)
UNAVAILABLE_TEMPLATE = "registration/password_reset_unavailable.html"
THROTTLED_TEMPLATE = "registration/password_reset_throttled.html"
WINDOW_SECONDS = 60 * 60


def password_reset_available() -> bool:
    """Whether a reset e-mail can reach anyone: a delivering backend, or development mode."""
    return settings.DEBUG or settings.EMAIL_BACKEND not in NON_DELIVERING_BACKENDS


def _hit(key: str, limit: int) -> int | None:
    """Count one use in a fixed hour window; the seconds left in it when `limit` is passed."""
    now = time.time()
    count_key, since_key = f"{key}:count", f"{key}:since"
    since = throttle_cache.get(since_key)
    if since is None or since + WINDOW_SECONDS <= now:
        since = now
        throttle_cache.set_many({since_key: now, count_key: 0}, timeout=WINDOW_SECONDS)
    try:
        count = throttle_cache.incr(count_key)
    except ValueError:
        throttle_cache.set(count_key, 1, timeout=WINDOW_SECONDS)
        count = 1
    if count > limit:
        return max(1, math.ceil(since + WINDOW_SECONDS - now))
    return None


def _account_key(email: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), email.strip().lower().encode(), hashlib.sha256)
    return f"password-reset:account:{digest.hexdigest()[:32]}"


class PasswordResetGuardMiddleware:
    """Disables the reset pages without a delivering mail backend; limits the request form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.view_name not in RESET_VIEWS:
            return None
        if not password_reset_available():
            return render(request, UNAVAILABLE_TEMPLATE)
        if match.view_name != "password_reset" or request.method != "POST":
            return None
        seconds = _hit(
            f"password-reset:address:{client_address(request)}", settings.PASSWORD_RESET_PER_ADDRESS
        )
        if seconds is not None:
            minutes = max(1, math.ceil(seconds / 60))
            message = ngettext(
                "Too many password reset requests from your address. Try again in %(minutes)s minute.",
                "Too many password reset requests from your address. Try again in %(minutes)s minutes.",
                minutes,
            ) % {"minutes": minutes}
            context = {"message": message}
            response = render(request, THROTTLED_TEMPLATE, context, status=429)
            response["Retry-After"] = str(seconds)
            return response
        email = request.POST.get("email", "")
        limit = settings.PASSWORD_RESET_PER_ACCOUNT
        if isinstance(email, str) and email.strip() and _hit(_account_key(email[:254]), limit) is not None:
            return redirect("password_reset_done")  # the usual answer; nothing is sent
        return None
