"""API tokens: hashed at rest, expiring, revoked when the account changes (django-rest-knox).

Only a SHA-512 digest of each token is stored (`knox.AuthToken.digest`, with its first 15
characters as a lookup key); the plain token is shown once, in the answer that creates it. A token
expires API_TOKEN_TTL_HOURS after it is issued. Every token of a user is deleted when that user's
password changes, when the account is deactivated and when a role (group) is taken away from it
(core.signals calls `api_tokens_revoke_all`): a leaked token does not outlive the account it
belongs to.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from core.audit import audit_record
from core.models import AuditEvent


def token_ttl() -> dt.timedelta:
    return dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS)


@transaction.atomic
def api_token_create(*, user) -> tuple[str, AuthToken]:
    """Issue a new token for `user`: (the plain token, shown once; its stored row).

    The user's expired tokens are deleted on the way."""
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    instance, plain = AuthToken.objects.create(user=user, expiry=token_ttl())
    return plain, instance


def api_token_revoke(*, token: AuthToken) -> None:
    """Revoke one token (its owner logging out with it)."""
    AuthToken.objects.filter(digest=token.digest).delete()


def api_tokens_revoke_all(*, user, reason: str, request=None) -> int:
    """Delete every API token of `user`; audited (kind security) when there was one."""
    if user is None or user.pk is None:
        return 0
    deleted, _per_model = AuthToken.objects.filter(user_id=user.pk).delete()
    if deleted:
        audit_record(
            actor=None,
            kind=AuditEvent.Kind.SECURITY,
            action=f"API tokens revoked: {reason}"[:200],
            target=f"user {user.pk}",
            request=request,
        )
    return deleted
