"""The rush page's cache: the rendered public session list, per language, filter and page, shared by
every worker (the `default` cache: the database, or whatever CACHES names), for a few seconds.

- **Freshness.** Each cached fragment is stored with the *version* it was rendered under, and used
  only while that version is the current one. `public_list_changed()` gives the list a
  new random version after the transaction that changed sessions or places commits: every
  fragment is then stale at once, in every worker. It is called by signals (a session, slot or
  booking saved or deleted, see `connect_signals`) and must be called by any write that changes
  places with a bulk `UPDATE` and saves none of these rows. `SCHEDULES_PUBLIC_LIST_CACHE_SECONDS`
  (default 15) bounds the staleness of anything else, chiefly time itself: a slot whose booking
  cut-off passes drops out of the list at most that long after.
- **Nothing depends on it.** The booking re-checks capacity in the database (one conditional
  `UPDATE`); a stale "3 places left" costs a citizen a "place taken" answer, never an overbooking.
- **Bounded.** Keys are built from the *cleaned* filters (the form's choices) and a page number that
  exists, never from raw query strings, so a client cannot fill the cache; a lost version key (the
  database cache culls past `CACHE_MAX_ENTRIES`) becomes a new random version, never an old one.
- The throttle counters live in their own cache alias (`throttle`) and are not touched here.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

KEY_PREFIX = "schedules:public-list"
VERSION_KEY = f"{KEY_PREFIX}:version"


def _new_version() -> str:
    return secrets.token_hex(8)


def _bump() -> None:
    cache.set(VERSION_KEY, _new_version(), timeout=None)


def public_list_changed() -> None:
    """The public list is out of date once the current transaction commits (at once outside one)."""
    if cache_seconds() > 0:
        transaction.on_commit(_bump)


def cache_seconds() -> int:
    return int(getattr(settings, "SCHEDULES_PUBLIC_LIST_CACHE_SECONDS", 0))


def fragment_key(*, language: str, day, page: int, **filters: str) -> str:
    parts = [language, day.isoformat(), str(page)]
    parts += [f"{name}={filters[name] or ''}" for name in sorted(filters)]
    return f"{KEY_PREFIX}:" + ":".join(parts)


# Each worker also keeps the fragments it served last (the shared copy is ~50 kB that the database
# cache would otherwise send and decode on every request); they are used only while their version is
# the shared current one, so an invalidation reaches every worker at its next request.
LOCAL_ENTRIES = 64
_local: OrderedDict[str, tuple[str, str, float]] = OrderedDict()
_local_lock = threading.Lock()


def _local_get(key: str, version: str) -> str | None:
    with _local_lock:
        entry = _local.get(key)
        if entry is None or entry[0] != version or entry[2] <= time.time():
            return None
        _local.move_to_end(key)
        return entry[1]


def _local_put(key: str, version: str, html: str, until: float) -> None:
    with _local_lock:
        _local[key] = (version, html, until)
        _local.move_to_end(key)
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)


def _current_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = _new_version()
        if not cache.add(VERSION_KEY, version, timeout=None):
            version = cache.get(VERSION_KEY, version)
    return version


def cached_fragment(key: str, build: Callable[[], tuple[str, bool]]) -> str:
    """The fragment cached under `key`, or `build()` — (html, cacheable) — rendered and stored.
    A hit costs one read of the (small) version key, plus the shared copy when this worker has none."""
    seconds = cache_seconds()
    if seconds <= 0:
        return build()[0]
    version = _current_version()
    html = _local_get(key, version)
    if html is not None:
        return html
    shared = cache.get(key)
    if isinstance(shared, tuple) and len(shared) == 3 and shared[0] == version and shared[2] > time.time():
        _local_put(key, *shared)
        return shared[1]
    html, cacheable = build()
    if cacheable:
        until = time.time() + seconds
        cache.set(key, (version, html, until), seconds)
        _local_put(key, version, html, until)
    return html


# A booking saved with only these fields changed (reminder or confirmation sent, contacts erased)
# changes no place: the list stays as it is.
_APPOINTMENT_FIELDS_SHOWN = frozenset({"status", "slot", "slot_id"})


def _changed(sender, update_fields=None, **kwargs) -> None:
    if (
        sender.__name__ == "Appointment"
        and update_fields is not None
        and not _APPOINTMENT_FIELDS_SHOWN & set(update_fields)
    ):
        return
    public_list_changed()


def connect_signals() -> None:
    """Saving or deleting a session, a slot or a booking makes the list out of date."""
    from schedules.models import Appointment, OutreachSession, Slot

    for model in (OutreachSession, Slot, Appointment):
        uid = f"schedules.public_list.{model.__name__}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}.delete")
