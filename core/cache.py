"""The throttle cache: Redis, and the database cache while Redis does not answer.

Rate limits must hold under a rush (thousands of client addresses a minute) and must not take the
public form down when Redis is out. Counters live in Redis (no culling, atomic expiry); when a call
to Redis fails with a connection or timeout error, this call and every call for the next
`RETRY_AFTER` seconds go to the `FALLBACK` cache alias (the database cache, sized for the load in
settings) instead of failing the request. Counters do not move between the two: during an outage a
client's budget starts afresh in the database, and when Redis is back its Redis counter (if not yet
expired) counts again. That is the price of staying up, and it is bounded by the throttle window.

    CACHES["throttle"] = {
        "BACKEND": "core.cache.RedisWithFallbackCache",
        "LOCATION": "redis://...",
        "FALLBACK": "default",      # the alias used while Redis is down
        "RETRY_AFTER": 5,           # seconds before Redis is tried again after a failure
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

REDIS_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)

# Cache instances are per thread (django.core.cache.caches): the outage state is per process and
# location, so one failed call spares every thread of the worker the connect timeout.
_down_until: dict[str, float] = {}
_state_lock = threading.Lock()


def _with_fallback(name: str):
    def method(self, *args, **kwargs):
        return self._call(name, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"`{name}` on Redis, or on the fallback cache while Redis does not answer."
    return method


class RedisWithFallbackCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        if not self.key_prefix:
            # clear() deletes the keys under the prefix: without one it would empty the Redis
            # database, Celery's queues included.
            raise ImproperlyConfigured("The throttle cache on Redis needs a KEY_PREFIX.")
        self._location = server if isinstance(server, str) else ",".join(server)
        self._fallback_alias = params.get("FALLBACK", "default")
        self._retry_after = float(params.get("RETRY_AFTER", 5))

    @property
    def fallback(self):
        return caches[self._fallback_alias]

    def redis_is_skipped(self) -> bool:
        """True while a recent failure sends every call to the fallback."""
        return time.monotonic() < _down_until.get(self._location, 0.0)

    def _call(self, name: str, *args, **kwargs):
        if self.redis_is_skipped():
            return getattr(self.fallback, name)(*args, **kwargs)
        on_redis = getattr(self, f"_redis_{name}", None) or getattr(RedisCache, name).__get__(self)
        try:
            result = on_redis(*args, **kwargs)
        except REDIS_UNAVAILABLE as exc:
            with _state_lock:
                first = self._location not in _down_until
                _down_until[self._location] = time.monotonic() + self._retry_after
            if first:
                # Once per outage; keys carry client addresses, so they are not logged.
                logger.warning(
                    "Redis unavailable for the throttle cache (%s): using the %r cache",
                    type(exc).__name__,
                    self._fallback_alias,
                )
            return getattr(self.fallback, name)(*args, **kwargs)
        if self._location in _down_until:
            with _state_lock:
                _down_until.pop(self._location, None)
            logger.warning("Redis answers again: throttle counters are back on Redis")
        return result

    def _redis_clear(self) -> bool:
        # Only this cache's keys: the Redis database may also hold Celery's broker queues.
        client = self._cache.get_client(write=True)
        for batch in _batched(client.scan_iter(match=f"{self.key_prefix}:*", count=1000), 1000):
            client.delete(*batch)
        return True

    add = _with_fallback("add")
    get = _with_fallback("get")
    set = _with_fallback("set")
    touch = _with_fallback("touch")
    delete = _with_fallback("delete")
    get_many = _with_fallback("get_many")
    has_key = _with_fallback("has_key")
    incr = _with_fallback("incr")
    set_many = _with_fallback("set_many")
    delete_many = _with_fallback("delete_many")
    clear = _with_fallback("clear")


def _batched(items, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
