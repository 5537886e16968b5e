"""Rate limits of the public booking: per client address for anonymous clients, per user for staff.

One budget per client address: the API (`BookingAnonThrottle`) and the HTML form
(`BookingFormThrottle`) count in the same scope `booking_anon` under the same cache key, so a client
cannot double its budget by switching between them. The rate is THROTTLE_BOOKING_ANON.
"""

from __future__ import annotations

from core.throttling import AnonScopedThrottle, UserScopedThrottle


class BookingAnonThrottle(AnonScopedThrottle):
    """Booking and changing bookings through the API, per client address."""

    scope = "booking_anon"


class BookingUserThrottle(UserScopedThrottle):
    """Staff booking walk-ins through the API, per user: a far higher rate."""

    scope = "booking_user"


class LookupAnonThrottle(AnonScopedThrottle):
    """Reading a booking with its token (guessing codes and tokens is slowed down)."""

    scope = "lookup_anon"


class BookingFormThrottle(BookingAnonThrottle):
    """POSTs of the public HTML forms (book, cancel, move, find my booking), per client address, in
    the API's budget (same scope, same key). Counted for everyone: the form has no staff rules."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def form_post_allowed(request) -> tuple[bool, int | None]:
    """(allowed, seconds to wait) for a POST of the public form."""
    throttle = BookingFormThrottle()
    if throttle.allow_request(request, None):
        return True, None
    wait = throttle.wait()
    return False, int(wait) + 1 if wait is not None else None
