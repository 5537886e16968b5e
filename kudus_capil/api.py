"""The API's shared parts: the one router, pagination, the WIB wall-clock time field and the one
error shape.

Every error an API URL answers with is `{"code": "...", "detail": "...", "fields": {...}}`: DRF
exceptions and ApplicationErrors through `exception_handler` here, Django-level errors (unknown
paths, bad Host, server errors) through `kudus_capil.api_middleware`, oversized bodies through
`kudus_capil.request_limits`. The request parser is `kudus_capil.parsers.JSONParser`, the schema
generator `kudus_capil.schema.AutoSchema`, the rate limits `kudus_capil.throttling`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, extend_schema_field, inline_serializer
from rest_framework import exceptions, pagination, serializers
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import exception_handler as drf_exception_handler

from kudus_capil.exceptions import ApplicationError


class Router(DefaultRouter):
    # The API root view is left out: the schema at /api/schema/ and the docs at /api/docs/ are the
    # index of the API (one less undocumented endpoint).
    include_root_view = False


router = Router()


MSG_BAD_PAGE = gettext_lazy("A page number is a whole number from 1.")
MSG_BAD_CURSOR = gettext_lazy("This cursor is not valid: use the next or previous link as given.")


class PageNumberPagination(pagination.PageNumberPagination):
    """`{count, next, previous, results}`; `?page=` and `?page_size=` (at most 500)."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_number(self, request, paginator):
        # A malformed page number is bad input (400); only a page past the end is "not found".
        number = super().get_page_number(request, paginator)
        if number in self.last_page_strings:
            return number
        try:
            value = int(number)
        except (TypeError, ValueError):
            value = 0
        if value < 1:
            raise exceptions.ValidationError({self.page_query_param: [MSG_BAD_PAGE]})
        return value

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters


class CursorPagination(pagination.CursorPagination):
    """`{next, previous, results}` (no count: counting 650k rows on every page is the cost cursor
    pagination avoids); follow `next` until it is null."""

    ordering = ("id",)
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request):
        # A cursor the client made up is bad input (400), not a missing page.
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError({self.cursor_query_param: [MSG_BAD_CURSOR]}) from exc

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


WALL_CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


@extend_schema_field(
    {
        "type": "string",
        "pattern": WALL_CLOCK_PATTERN,
        "example": "08:00:00",
        "description": "A WIB (Asia/Jakarta, UTC+07:00) wall-clock time of day, `HH:MM:SS` (`HH:MM` "
        "accepted on input), with no offset: it is sent exactly as entered and never converted.",
    }
)
class WallClockTimeField(serializers.TimeField):
    """A time of day at the place of a session: WIB wall-clock, `HH:MM[:SS]` in, `HH:MM:SS` out.

    An offset on input is refused rather than silently dropped (ISO parsing would drop it), so a
    client that meant UTC learns it at once.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%H:%M:%S")
        kwargs.setdefault("input_formats", ["%H:%M:%S", "%H:%M"])
        super().__init__(**kwargs)


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

# The codes of the API itself, by status (the schema's error descriptions; the README lists them
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
    generator (kudus_capil.schema) adds the statuses every operation of its kind can answer."""
    return dict.fromkeys(statuses, ErrorSerializer)


__all__ = [
    "ERROR_CODES",
    "ERROR_EXAMPLE",
    "CursorPagination",
    "ErrorSerializer",
    "PageNumberPagination",
    "WallClockTimeField",
    "error_body",
    "error_responses",
    "inline_serializer",
    "router",
]
