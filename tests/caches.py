"""Cache settings for tests that keep throttle counters in memory."""

from __future__ import annotations


def locmem_caches(location: str = "tests") -> dict:
    """settings.CACHES with both aliases (default, throttle) on one in-memory store, so that
    `cache.clear()` empties the throttle counters too."""
    store = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": location}
    return {"default": store, "throttle": store}
