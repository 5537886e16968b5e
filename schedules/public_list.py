"""The rush page's cache: the rendered public session list, per language, filter and page, shared by
every worker (the `default` cache: the database, or whatever CACHES names), for a few seconds.

- **Freshness.** Each cached fragment is stored with the *version* it was rendered under; one
  `get_many` reads both, so a hit costs one cache read. `public_list_changed()` gives the list a
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


def cached_fragment(key: str, build: Callable[[], tuple[str, bool]]) -> str:
    """The fragment cached under `key`, or `build()` — (html, cacheable) — rendered and stored."""
    seconds = cache_seconds()
    if seconds <= 0:
        return build()[0]
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    if version is None:
        version = _new_version()
        if not cache.add(VERSION_KEY, version, timeout=None):
            version = cache.get(VERSION_KEY, version)
    hit = found.get(key)
    if isinstance(hit, tuple) and len(hit) == 2 and hit[0] == version:
        return hit[1]
    html, cacheable = build()
    if cacheable:
        cache.set(key, (version, html), seconds)
    return html


def _changed(sender, **kwargs) -> None:
    public_list_changed()


def connect_signals() -> None:
    """Saving or deleting a session, a slot or a booking makes the list out of date."""
    from schedules.models import Appointment, OutreachSession, Slot

    for model in (OutreachSession, Slot, Appointment):
        uid = f"schedules.public_list.{model.__name__}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}.delete")
