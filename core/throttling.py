"""Rate limits of the API, read from settings (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]).

Counters live in the "throttle" cache (settings.CACHES): Redis when REDIS_URL is set, the database
cache while Redis does not answer or when there is none; shared by every web worker. DRF's
throttles copy the rates once at import; these read them on every request, so a changed setting
(an override in tests, e.g. the fuzz run) applies at once.
"""

from __future__ import annotations

from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.utils.connection import ConnectionProxy
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

# Resolved per thread and per use, like `django.core.cache.cache`, so settings overrides apply.
throttle_cache = ConnectionProxy(caches, "throttle")


class SettingsRate:
    cache = throttle_cache

    def get_rate(self):
        scope = getattr(self, "scope", None)
        if not scope:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a `scope`.")
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[scope]
        except KeyError as exc:
            raise ImproperlyConfigured(f"No throttle rate set for scope {scope!r}.") from exc


class AnonThrottle(SettingsRate, AnonRateThrottle):
    """Anonymous clients, per client address (scope `anon`)."""


class UserThrottle(SettingsRate, UserRateThrottle):
    """Signed-in clients (token or session), per user (scope `user`)."""


class AnonScopedThrottle(SettingsRate, SimpleRateThrottle):
    """Anonymous clients per client address, in a scope of its own; signed-in users pass."""

    def get_cache_key(self, request, view):
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class UserScopedThrottle(SettingsRate, SimpleRateThrottle):
    """Signed-in users per user, in a scope of its own; anonymous clients pass."""

    def get_cache_key(self, request, view):
        if getattr(request, "user", None) is None or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class LoginThrottle(AnonScopedThrottle):
    """Token requests, per client address (scope `login`)."""

    scope = "login"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
