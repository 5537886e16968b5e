"""The API's shared parts: the one router, pagination and the one error shape.

Every error an API URL answers with is `{"code": "...", "detail": "...", "fields": {...}}`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, inline_serializer
from rest_framework import exceptions, pagination, serializers
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import exception_handler as drf_exception_handler

from kudus_capil.exceptions import ApplicationError

router = DefaultRouter()


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


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


def error_body(code: str, detail: Any, fields: dict | None = None) -> dict:
    return {"code": code, "detail": str(detail), "fields": fields or {}}


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, _flatten(exc.fields)), status=exc.status_code)
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
            fields = _flatten({k: v for k, v in detail.items() if k != "non_field_errors"})
        else:
            items = _flatten(detail if isinstance(detail, list) else [detail])
            message, fields = (items[0] if items else _("Invalid input.")), {}
        response.data = error_body("invalid", message, fields)
    else:
        response.data = error_body(code, getattr(exc, "detail", str(exc)))
    return response


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API (documented in the schema)."""

    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `slot_full`, `invalid`.")
    detail = serializers.CharField(help_text="Human-readable message in the request's language.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per-field messages for `invalid` input; empty otherwise.",
    )


ERROR_EXAMPLE = OpenApiExample(
    "Error",
    value={"code": "invalid", "detail": "Invalid input.", "fields": {"nik": ["NIK must be 16 digits."]}},
    response_only=True,
    status_codes=["400"],
)


def error_responses(*statuses: int) -> dict[int, Any]:
    return dict.fromkeys(statuses, ErrorSerializer)


__all__ = ["ERROR_EXAMPLE", "ErrorSerializer", "error_responses", "inline_serializer", "router"]
