"""API tokens: `POST /api/v1/auth/token/` issues a new one for a staff account (hashed at rest,
expiring after API_TOKEN_TTL_HOURS: core/tokens.py); the caller revokes the token it sends with
`POST /api/v1/auth/token/revoke/` (or `DELETE /api/v1/auth/token/`); a browser session revokes all
of its user's tokens that way; admins revoke any in the admin (Knox → Auth tokens). A password
change, deactivation or role removal revokes them all (core/signals.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from knox.models import AuthToken
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import ApplicationError
from core.login import PASSWORD_MAX_LENGTH, USERNAME_MAX_LENGTH
from core.login_limits import login_blocked_for, too_many_attempts_message
from core.throttling import LoginThrottle
from core.tokens import api_token_create, api_token_revoke, api_tokens_revoke_all

MSG_BAD_CREDENTIALS = _("Unable to log in with the credentials given.")
MSG_LOCKED_OUT = _("Too many failed logins: this account is locked for a while from your address.")


class LockedOutError(ApplicationError):
    code = "locked_out"
    status_code = 429
    default_message = MSG_LOCKED_OUT

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(int(settings.AXES_COOLOFF_TIME.total_seconds()))}


class AddressLockedOutError(ApplicationError):
    """Too many failed logins from this address, over every account (core.login_limits)."""

    code = "locked_out"
    status_code = 429

    def __init__(self, seconds: int):
        super().__init__(too_many_attempts_message(seconds))
        self.seconds = seconds

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.seconds)}


class TokenObtainSerializer(serializers.Serializer):
    # Length limits before authenticate() (and django-axes' varchar(255) log) ever see the values.
    username = serializers.CharField(label=_("Username"), write_only=True, max_length=USERNAME_MAX_LENGTH)
    password = serializers.CharField(
        label=_("Password"), style={"input_type": "password"}, trim_whitespace=False, write_only=True,
        max_length=PASSWORD_MAX_LENGTH,
    )  # fmt: skip
    token = serializers.CharField(label=_("Token"), read_only=True)

    def validate(self, attrs):
        user = authenticate(
            request=self.context.get("request"), username=attrs["username"], password=attrs["password"]
        )
        if user is None:
            raise serializers.ValidationError(MSG_BAD_CREDENTIALS, code="authorization")
        attrs["user"] = user
        return attrs


TokenResponseSerializer = inline_serializer(
    "TokenResponse", {"token": serializers.CharField(), "expiry": serializers.DateTimeField()}
)

_TOKEN_EXAMPLES = [
    OpenApiExample(
        "Credentials", value={"username": "operator.kaliwungu", "password": "••••••••••"}, request_only=True
    ),
    OpenApiExample(
        "Token",
        value={
            "token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b9944b09199c62bcf9418ad84",
            "expiry": "2024-02-10T08:15:00+07:00",
        },
        response_only=True,
    ),
]


def _revoke(request) -> Response:
    # Deleting the row is the revocation: the next request with it gets 401 authentication_failed.
    if isinstance(request.auth, AuthToken):
        api_token_revoke(token=request.auth)
    else:  # a browser session: every token of its user
        api_tokens_revoke_all(user=request.user, reason="revoked by the owner", request=request)
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
        description="Send it as `Authorization: Token <token>`. Each call issues a new token, valid "
        "until `expiry` (API_TOKEN_TTL_HOURS); only its digest is stored, so it is shown this once. "
        "A password change, deactivation or role removal revokes every token of the account. "
        "Five failed attempts for a username from one address lock it out for a while, and "
        "LOGIN_FAILURES_PER_ADDRESS failed logins from one address over any accounts (token, login "
        "pages) lock that address out (429 `locked_out` with `Retry-After`).",
        request=TokenObtainSerializer,
        responses={200: TokenResponseSerializer},
        examples=_TOKEN_EXAMPLES,
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        seconds = login_blocked_for(request)
        if seconds is not None:  # one budget with the login pages; the password is not checked
            raise AddressLockedOutError(seconds)
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
        plain, token = api_token_create(user=user)
        expiry = serializers.DateTimeField().to_representation(token.expiry)
        return Response({"token": plain, "expiry": expiry})

    @extend_schema(
        operation_id="auth_token_destroy",
        summary="Revoke your API token",
        description="The token sent stops working at once; with a browser session, every token of its user.",
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
