"""API tokens: `POST /api/v1/auth/token/` obtains one for a staff account; the caller revokes its
own with `POST /api/v1/auth/token/revoke/` (or `DELETE /api/v1/auth/token/`); admins revoke any
in the admin (Auth Token → Tokens). One token per user: obtaining again returns the same token
until it is revoked."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import ApplicationError
from core.login import PASSWORD_MAX_LENGTH, USERNAME_MAX_LENGTH
from core.throttling import LoginThrottle

MSG_BAD_CREDENTIALS = _("Unable to log in with the credentials given.")
MSG_LOCKED_OUT = _("Too many failed logins: this account is locked for a while from your address.")


class LockedOutError(ApplicationError):
    code = "locked_out"
    status_code = 429
    default_message = MSG_LOCKED_OUT

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(int(settings.AXES_COOLOFF_TIME.total_seconds()))}


class TokenObtainSerializer(AuthTokenSerializer):
    # Length limits before authenticate() (and django-axes' varchar(255) log) ever see the values.
    username = serializers.CharField(label=_("Username"), write_only=True, max_length=USERNAME_MAX_LENGTH)
    password = serializers.CharField(
        label=_("Password"), style={"input_type": "password"}, trim_whitespace=False, write_only=True,
        max_length=PASSWORD_MAX_LENGTH,
    )  # fmt: skip
    token = serializers.CharField(label=_("Token"), read_only=True)


TokenResponseSerializer = inline_serializer("TokenResponse", {"token": serializers.CharField()})

_TOKEN_EXAMPLES = [
    OpenApiExample(
        "Credentials", value={"username": "operator.kaliwungu", "password": "••••••••••"}, request_only=True
    ),
    OpenApiExample("Token", value={"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}, response_only=True),
]


def _revoke(request) -> Response:
    # Deleting the row is the revocation: the next request with it gets 401 authentication_failed.
    Token.objects.filter(user=request.user).delete()
    return Response(status=status.HTTP_204_NO_CONTENT)


class TokenView(APIView):
    """Obtain (POST, anonymous) or revoke (DELETE, the token's owner) the caller's API token."""

    throttle_classes = [LoginThrottle]

    def get_authenticators(self):
        # Obtaining takes credentials in the body only; a stale Authorization header must not
        # turn a fresh login into a 401.
        if self.request is not None and self.request.method == "POST":
            return []
        return super().get_authenticators()

    def get_permissions(self):
        if self.request is not None and self.request.method == "POST":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    def get_throttles(self):
        if self.request is not None and self.request.method == "POST":
            return super().get_throttles()
        return [throttle() for throttle in self.settings.DEFAULT_THROTTLE_CLASSES]

    @extend_schema(
        operation_id="auth_token_create",
        summary="Obtain an API token (staff accounts)",
        description="Send it as `Authorization: Token <token>`. Five failed attempts for a username "
        "from one address lock it out for a while (429 `locked_out`).",
        request=TokenObtainSerializer,
        responses={200: TokenResponseSerializer},
        examples=_TOKEN_EXAMPLES,
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        form = TokenObtainSerializer(data=request.data, context={"request": request})
        if not form.is_valid():
            if getattr(request, "axes_locked_out", False):
                raise LockedOutError()
            if "non_field_errors" in form.errors:
                raise serializers.ValidationError({"non_field_errors": [MSG_BAD_CREDENTIALS]})
            form.is_valid(raise_exception=True)
        user = form.validated_data["user"]
        if not user.is_staff:
            raise serializers.ValidationError({"non_field_errors": [MSG_BAD_CREDENTIALS]})
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(
        operation_id="auth_token_destroy",
        summary="Revoke your API token",
        description="The token (or the session's user's token) stops working at once.",
        request=None,
        responses={204: OpenApiResponse(description="Revoked (also when there was none).")},
    )
    def delete(self, request, *args, **kwargs):
        return _revoke(request)


class TokenRevokeView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="auth_token_revoke",
        summary="Revoke your API token",
        description="Same as `DELETE /api/v1/auth/token/`, for clients that cannot send DELETE.",
        request=None,
        responses={204: OpenApiResponse(description="Revoked (also when there was none).")},
    )
    def post(self, request, *args, **kwargs):
        return _revoke(request)
