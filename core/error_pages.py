"""Error pages: JSON for API URLs (never an HTML page there), templates elsewhere. (The filter that
keeps personal data out of error reports is core.logmask.PersonalDataReporterFilter.)"""

from __future__ import annotations

from django.views import defaults

from core.api.middleware import is_api_path, json_error


def bad_request(request, exception=None):
    if is_api_path(request.path_info):
        return json_error(400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if is_api_path(request.path_info):
        return json_error(403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if is_api_path(request.path_info):
        return json_error(404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api_path(request.path_info):
        return json_error(500)
    return defaults.server_error(request)
