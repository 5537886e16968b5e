"""Identifying a citizen on the public side: NIK + KK number, with a per-NIK limit on failures.

Every public flow calls `citizen_identify_public`; until the NIK and the KK number match a living
resident the answer is one IdentityMismatchError, whatever went wrong. Failed checks are counted per
NIK in the default cache, under an HMAC of the NIK (never the NIK itself): after
PUBLIC_IDENTITY_MAX_FAILURES within PUBLIC_IDENTITY_LOCK_SECONDS the NIK's public flows answer the
same error, even with the right KK, until the window passes. The lock is written to the access log
(AuditEvent, kind `security`) with the key's prefix and the client address, not the NIK.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache

from core.audit import audit_record
from core.models import AuditEvent
from registrations.exceptions import IdentityMismatchError
from registrations.models import Citizen
from registrations.selectors import citizen_identify

_KEY_PREFIX = "identity-fail:"


def identity_failure_key(nik: str) -> str:
    """The cache key counting failed checks of `nik`: a keyed hash, so the cache holds no NIK."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"identity:{nik}".encode(), hashlib.sha256)
    return _KEY_PREFIX + digest.hexdigest()[:32]


def identity_audit_target(nik: str) -> str:
    """How the access log names the failed identity checks of `nik` (the key's prefix, no NIK)."""
    return f"nik key {identity_failure_key(nik)[len(_KEY_PREFIX) :][:12]}"


def _failures(key: str) -> int:
    return int(cache.get(key) or 0)


def _count_failure(key: str) -> int:
    # add() then incr(): atomic on Redis; on the database cache two concurrent failures may count
    # once, which only delays the lock by one attempt.
    cache.add(key, 0, timeout=settings.PUBLIC_IDENTITY_LOCK_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.PUBLIC_IDENTITY_LOCK_SECONDS)
        return 1


def citizen_identify_public(*, nik: str, kk: str, request=None) -> Citizen:
    """The living resident with this NIK and KK number. Raises IdentityMismatchError (one message)
    when they do not match, or when the NIK is locked after too many failed checks."""
    key = identity_failure_key(nik)
    locked = _failures(key) >= settings.PUBLIC_IDENTITY_MAX_FAILURES
    # The lookup runs even for a locked NIK: the same database work, whatever the answer.
    citizen = citizen_identify(nik=nik, kk=kk)
    if locked:
        raise IdentityMismatchError()
    if citizen is None:
        if _count_failure(key) == settings.PUBLIC_IDENTITY_MAX_FAILURES:
            audit_record(
                actor=None,
                kind=AuditEvent.Kind.SECURITY,
                action="public identity check locked",
                target=identity_audit_target(nik),
                reason=f"{settings.PUBLIC_IDENTITY_MAX_FAILURES} failed NIK + KK checks",
                request=request,
            )
        raise IdentityMismatchError()
    return citizen
