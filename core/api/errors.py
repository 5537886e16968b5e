"""The API's one error shape (the router, pagination and fields are beside this module).

Every error an API URL answers with is `{"code": "...", "detail": "...", "fields": {...}}`: DRF
exceptions and ApplicationErrors through `exception_handler` here, Django-level errors (unknown
paths, bad Host, server errors) through `core.api.middleware`, oversized bodies through
`core.request_limits`. The request parser is `core.api.parsers.JSONParser`, the schema
generator `core.api.schema.AutoSchema`, the rate limits `core.throttling`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import ApplicationError

_DRF_CODES = {
    exceptions.ValidationError: "invalid",
    exceptions.ParseError: "parse_error",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.Throttled: "throttled",
}

# The codes of the API itself, by status (the schema's error descriptions; docs/api.md lists them
# with the domain codes of the apps' ApplicationErrors, and a test keeps that list complete).
ERROR_CODES: dict[int, tuple[str, ...]] = {
    400: ("invalid", "parse_error", "bad_request"),
    401: ("not_authenticated", "authentication_failed"),
    403: ("permission_denied", "csrf_failed"),
    404: ("not_found",),
    405: ("method_not_allowed",),
    406: ("not_acceptable",),
    409: ("conflict",),
    413: ("payload_too_large",),
    415: ("unsupported_media_type",),
    429: ("throttled", "locked_out"),
    500: ("server_error",),
}


def error_body(code: str, detail: Any, fields: dict | None = None) -> dict:
    return {"code": code, "detail": str(detail), "fields": fields or {}}


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(key): _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list | tuple):
        return [_flatten(item) for item in detail]
    return str(detail)


def _as_message_lists(fields: dict) -> dict[str, list[str]]:
    """`fields` as the schema promises it: each field name → a list of messages. Errors of nested
    objects and list items are flattened into `parent.child` / `items.0` keys."""
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, list | tuple) and any(isinstance(item, dict | list) for item in value):
            for index, item in enumerate(value):
                if item:
                    walk(f"{prefix}.{index}", item)
        elif isinstance(value, list | tuple):
            flat.setdefault(prefix, []).extend(str(item) for item in value)
        else:
            flat.setdefault(prefix, []).append(str(value))

    walk("", fields)
    return flat


MSG_CSRF = gettext_lazy("CSRF check failed: send the X-CSRFToken header with session authentication.")


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ApplicationError):
        response = Response(
            error_body(exc.code, exc.message, _as_message_lists(_flatten(exc.fields))), status=exc.status_code
        )
        for header, value in getattr(exc, "headers", {}).items():
            response[header] = value
        return response
    if isinstance(exc, DjangoValidationError):
        fields = _flatten(exc.message_dict) if hasattr(exc, "error_dict") else {}
        exc = exceptions.ValidationError(detail=fields or exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = next((c for cls, c in _DRF_CODES.items() if type(exc) is cls), None) or getattr(
        exc, "default_code", "error"
    )
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            non_field = detail.get("non_field_errors")
            message = _flatten(non_field[0]) if non_field else _("Invalid input.")
            fields = _as_message_lists(_flatten({k: v for k, v in detail.items() if k != "non_field_errors"}))
        else:
            items = _flatten(detail if isinstance(detail, list) else [detail])
            message, fields = (items[0] if items else _("Invalid input.")), {}
        response.data = error_body("invalid", message, fields)
    elif isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        response.data = error_body("csrf_failed", MSG_CSRF)
    elif isinstance(exc, exceptions.Throttled):
        response.data = error_body(code, _("Too many requests. Try again in %(seconds)d seconds.")
                                   % {"seconds": int(response.get("Retry-After", 1))})  # fmt: skip
    else:
        response.data = error_body(code, getattr(exc, "detail", str(exc)))
    return response


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API."""

    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `slot_full`, `invalid`.")
    detail = serializers.CharField(help_text="Human-readable message in the request's language.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per-field messages for `invalid` input (nested fields as `parent.child`); "
        "empty otherwise.",
    )


ERROR_EXAMPLE = OpenApiExample(
    "Error",
    value={"code": "invalid", "detail": "Invalid input.", "fields": {"nik": ["NIK must be 16 digits."]}},
    response_only=True,
    status_codes=["400"],
)


def error_responses(*statuses: int) -> dict[int, Any]:
    """Error statuses an operation names explicitly (409 for conflicts and the like). The schema
    generator (core.api.schema) adds the statuses every operation of its kind can answer."""
    return dict.fromkeys(statuses, ErrorSerializer)


__all__ = [
    "ERROR_CODES",
    "ERROR_EXAMPLE",
    "ErrorSerializer",
    "error_body",
    "error_responses",
    "inline_serializer",
]
