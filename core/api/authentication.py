"""The API's token authentication (settings.REST_FRAMEWORK): django-rest-knox's, hardened.

Kept apart from core.api.auth (the token views): DRF imports authentication classes while
`rest_framework.views` itself is being imported, so this module must not import any view.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions


class TokenAuthentication(KnoxTokenAuthentication):
    """`Authorization: Token <token>` against the stored digests (core/tokens.py).

    A header that is not UTF-8 is a wrong token (401), not a server error."""

    def authenticate_credentials(self, token):
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        return super().authenticate_credentials(token)
