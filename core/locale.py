"""Bahasa Indonesia first on the pages; English when the visitor picks it with the switch.

Browsers in Kudus often send `Accept-Language: en-US` (a phone set up in English), but the office's
pages must open in Indonesian: for page URLs the header is ignored and only the language cookie
(set by the switch) or LANGUAGE_CODE decide. API clients keep Accept-Language negotiation.
"""

from __future__ import annotations

from django.middleware.locale import LocaleMiddleware


class IndonesianFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        if not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)
