"""The OpenAPI generator of /api/schema/ (drf-spectacular), made to document what the API does.

Every operation gets, besides the statuses its view names, the error statuses its kind of
operation can answer, each as the one `Error` component with an example:

- 400 always (bad input, a bad Host header, a malformed Content-Length);
- 413 and 415 when it takes a body (too large, not JSON);
- 401 when it accepts credentials (a wrong or revoked token is refused even where anonymous
  access is allowed), 403 when it needs them (no role) or takes a session cookie on a write (CSRF);
- 404 when its path names an object, or it is a page-numbered list (a page past the end);
- 429 always (every endpoint is throttled), with its `Retry-After` header.

Tags follow the resource (first path segment after /api/v1/; blanks are split in two).
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import permissions
from rest_framework.pagination import PageNumberPagination

from core.api.errors import ERROR_CODES, ErrorSerializer


class TokenScheme(OpenApiAuthenticationExtension):
    """`Authorization: Token <token>` (core.api.authentication, hashed expiring knox tokens), under
    the scheme name clients already know."""

    target_class = "core.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")  # noqa: S106


_ERROR_DESCRIPTIONS = {
    400: "Bad request: invalid input (`fields` names each field) or malformed JSON.",
    401: "Not authenticated, or the token is wrong, expired or revoked.",
    403: "Authenticated, but the role may not do this (or the CSRF check of a session failed).",
    404: "Not found, or outside your kecamatan (scoped roles never learn that it exists).",
    405: "Method not allowed.",
    409: "Conflicts with the current state (e.g. the slot is full, the request is not open).",
    413: "The request body is larger than the limit (DATA_UPLOAD_MAX_MEMORY_SIZE).",
    415: "The body is not `application/json`.",
    429: "Too many requests: wait `Retry-After` seconds.",
    503: "Temporarily unavailable.",
}

_ERROR_EXAMPLES = {
    400: {"code": "invalid", "detail": "Invalid input.", "fields": {"slot": ["This field is required."]}},
    401: {"code": "not_authenticated", "detail": "Authentication credentials were not provided.",
          "fields": {}},
    403: {"code": "permission_denied", "detail": "You do not have permission to perform this action.",
          "fields": {}},
    404: {"code": "not_found", "detail": "Not found.", "fields": {}},
    405: {"code": "method_not_allowed", "detail": 'Method "PUT" not allowed.', "fields": {}},
    409: {"code": "conflict", "detail": "This conflicts with the current state.", "fields": {}},
    413: {"code": "payload_too_large", "detail": "The request body is too large.", "fields": {}},
    415: {"code": "unsupported_media_type", "detail": 'Unsupported media type "text/plain" in request.',
          "fields": {}},
    429: {"code": "throttled", "detail": "Too many requests. Try again in 42 seconds.", "fields": {}},
    503: {"code": "unavailable", "detail": "Service temporarily unavailable.", "fields": {}},
}  # fmt: skip

RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before the next request.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }
}

# Path prefix (after /api/v1/) → tag. The order and descriptions are SPECTACULAR_SETTINGS["TAGS"].
_TAGS = {
    "auth": "auth",
    "regions": "regions",
    "citizens": "citizens",
    "sessions": "sessions",
    "series": "series",
    "appointments": "appointments",
    "service-requests": "service requests",
    "blanks/locations": "blank locations",
    "blanks/movements": "blank movements",
    "coverage": "coverage",
}


def tag_for_path(path: str) -> str:
    rest = path.removeprefix("/api/v1/")
    for prefix in sorted(_TAGS, key=len, reverse=True):
        if rest == prefix or rest.startswith(prefix + "/"):
            return _TAGS[prefix]
    return rest.split("/", 1)[0]


class AutoSchema(SpectacularAutoSchema):
    def get_tags(self) -> list[str]:
        return [tag_for_path(self.path)]

    def _takes_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None

    def _default_error_statuses(self) -> set[int]:
        statuses = {400, 429}
        if self._takes_body():
            statuses |= {413, 415}
        auth = self.get_auth()
        schemes = {name for requirement in auth for name in requirement}
        if schemes:
            statuses.add(401)
        if auth and {} not in auth:
            statuses |= {401, 403}
        elif "cookieAuth" in schemes and self.method not in permissions.SAFE_METHODS:
            statuses.add(403)
        names_an_object = "{" in self.path
        page_numbered = self._is_list_view() and isinstance(self._get_paginator(), PageNumberPagination)
        if names_an_object or page_numbered:
            statuses.add(404)
        return statuses

    def _error_response(self, status: int) -> dict:
        component = self.resolve_serializer(ErrorSerializer, "response")
        response = self._get_response_for_code(ErrorSerializer, str(status))
        response["content"] = {"application/json": {"schema": component.ref}}
        return response

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status in sorted(self._default_error_statuses()):
            responses.setdefault(str(status), self._error_response(status))
        for code, response in responses.items():
            status = int(code)
            if status < 400:
                continue
            codes = ", ".join(f"`{c}`" for c in ERROR_CODES.get(status, ()))
            if not response.get("description"):
                response["description"] = _ERROR_DESCRIPTIONS.get(status, "Error.") + (
                    f" Codes: {codes}." if codes else ""
                )
            for media in response.get("content", {}).values():
                if not media.get("examples") and status in _ERROR_EXAMPLES:
                    media["examples"] = {_ERROR_EXAMPLES[status]["code"]: {"value": _ERROR_EXAMPLES[status]}}
            if status == 429:
                response.setdefault("headers", {}).update(RETRY_AFTER_HEADER)
        return dict(sorted(responses.items()))
