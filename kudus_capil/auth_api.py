"""`POST /api/v1/auth/token/`: a DRF token for a staff account (revocable in admin)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle

from kudus_capil.api import error_responses
from kudus_capil.login import PASSWORD_MAX_LENGTH, USERNAME_MAX_LENGTH


class LoginThrottle(AnonRateThrottle):
    scope = "login"


class TokenRequestSerializer(AuthTokenSerializer):
    # Length limits before authenticate() (and django-axes' varchar(255) log) ever see the values.
    username = serializers.CharField(label="Username", write_only=True, max_length=USERNAME_MAX_LENGTH)
    password = serializers.CharField(
        label="Password", style={"input_type": "password"}, trim_whitespace=False, write_only=True,
        max_length=PASSWORD_MAX_LENGTH,
    )  # fmt: skip


class TokenView(ObtainAuthToken):
    serializer_class = TokenRequestSerializer
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES  # ObtainAuthToken names DRF's own
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes = [LoginThrottle]

    @extend_schema(
        summary="Obtain an API token",
        request=inline_serializer(
            "TokenRequest", {"username": serializers.CharField(), "password": serializers.CharField()}
        ),
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            **error_responses(400, 429),
        },
        examples=[
            OpenApiExample(
                "Token", value={"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}, response_only=True
            )
        ],
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        if not user.is_staff:
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to log in with provided credentials."]}
            )
        return super().post(request, *args, **kwargs)
