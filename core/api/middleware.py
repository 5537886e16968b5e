"""Django-level errors of API URLs in the one JSON error shape.

DRF's exception handler covers what happens inside a view, and core.request_limits refuses
oversized bodies. This middleware, the outermost one, covers the rest for every path under /api/:
a missing trailing slash on a write (Django would redirect a POST with a 301, or fail in DEBUG),
and any error page produced below it (unknown paths, a bad Host header, CSRF, the DEBUG technical
pages), which it rewrites as JSON.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseRedirectBase
from django.middleware.common import CommonMiddleware
from django.utils.http import escape_leading_slashes
from django.utils.translation import gettext as _

from core.api.errors import error_body

API_PREFIX = "/api/"
# Headers of the original error response that still mean something on the JSON one.
_DROPPED_HEADERS = frozenset({"content-type", "content-length", "content-language", "content-disposition"})


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX)


def status_error(status: int) -> tuple[str, str]:
    """The code and message of a bare HTTP error status."""
    messages = {
        400: ("bad_request", _("Bad request.")),
        401: ("not_authenticated", _("Authentication credentials were not provided.")),
        403: ("permission_denied", _("You do not have permission.")),
        404: ("not_found", _("Not found.")),
        405: ("method_not_allowed", _("Method not allowed.")),
        406: ("not_acceptable", _("This API answers in JSON only.")),
        413: ("payload_too_large", _("The request body is too large.")),
        415: ("unsupported_media_type", _("Send the request body as application/json.")),
        429: ("throttled", _("Too many requests.")),
        503: ("unavailable", _("Service temporarily unavailable.")),
    }
    if status in messages:
        return messages[status]
    if status >= 500:
        return "server_error", _("Server error.")
    return "error", _("Request failed.")


def json_error(status: int, code: str | None = None, detail: str | None = None) -> JsonResponse:
    default_code, default_detail = status_error(status)
    response = JsonResponse(error_body(code or default_code, detail or default_detail), status=status)
    response["X-Content-Type-Options"] = "nosniff"
    return response


class HttpResponsePermanentRedirectKeepMethod(HttpResponseRedirectBase):
    status_code = 308


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._common = CommonMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api_path(request.path_info):
            return self.get_response(request)
        redirect = self._slash_redirect(request)
        if redirect is not None:
            return redirect
        return self._as_json_error(self.get_response(request))

    def _slash_redirect(self, request: HttpRequest) -> HttpResponse | None:
        # Every API URL ends with a slash. Reads get Django's usual 301; writes a 308, which keeps
        # the method and body (a 301 turns a POST into a GET, and DEBUG refuses it with a 500).
        if request.method in ("GET", "HEAD") or not self._common.should_redirect_with_slash(request):
            return None
        location = escape_leading_slashes(request.get_full_path(force_append_slash=True))
        return HttpResponsePermanentRedirectKeepMethod(location)

    @staticmethod
    def _as_json_error(response: HttpResponse) -> HttpResponse:
        if response.status_code < 400 or response.get("Content-Type", "").startswith("application/json"):
            return response
        replacement = json_error(response.status_code)
        for header, value in response.items():
            if header.lower() not in _DROPPED_HEADERS:
                replacement[header] = value
        replacement.cookies = response.cookies
        return replacement
