"""Rate limits of the public booking: per client address for anonymous clients, per user for staff.

The same DRF throttle machinery (and the same "throttle" cache, shared by all web workers) serves the
API and the HTML form, so a client cannot double its budget by switching between them.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from core.throttling import AnonScopedThrottle, UserScopedThrottle, throttle_cache


class BookingAnonThrottle(AnonScopedThrottle):
    """Booking and changing bookings through the API, per client address."""

    scope = "booking_anon"


class BookingUserThrottle(UserScopedThrottle):
    """Staff booking walk-ins through the API, per user: a far higher rate."""

    scope = "booking_user"


class LookupAnonThrottle(AnonScopedThrottle):
    """Reading a booking with its token (guessing codes and tokens is slowed down)."""

    scope = "lookup_anon"


class BookingFormThrottle(SimpleRateThrottle):
    """POSTs of the public HTML form (book, cancel, move), per client address."""

    scope = "booking_form"
    cache = throttle_cache

    def get_rate(self):
        return settings.THROTTLE_BOOKING_FORM

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def form_post_allowed(request) -> tuple[bool, int | None]:
    """(allowed, seconds to wait) for a POST of the public form."""
    throttle = BookingFormThrottle()
    if throttle.allow_request(request, None):
        return True, None
    wait = throttle.wait()
    return False, int(wait) + 1 if wait is not None else None
