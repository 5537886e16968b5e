"""Refuse oversized request bodies up front, the same way for pages and the API.

Django checks DATA_UPLOAD_MAX_MEMORY_SIZE only when a form body is parsed, and DRF's parsers read
the raw stream without that check; this middleware answers 413 from the Content-Length alone, so no
view, parser or throttle ever reads a multi-megabyte body.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from core.api.errors import error_body


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django and the WSGI server treat a malformed length as no body
        if limit is not None and length > limit:
            message = _("The request body is too large.")
            if request.path.startswith("/api/"):
                return JsonResponse(error_body("payload_too_large", message), status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
