"""Error pages: JSON for API URLs (never an HTML page there), templates elsewhere; and the filter
that keeps personal data out of error reports."""

from __future__ import annotations

from django.views import defaults
from django.views.debug import SafeExceptionReporterFilter

from kudus_capil.api_middleware import is_api_path, json_error


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


# Request fields and local variables that hold personal data (or secrets) anywhere in the portal:
# an error report (the ADMINS e-mail) shows them as stars, whether or not the view was decorated
# with sensitive_post_parameters (the booking views are, for good measure).
PERSONAL_FIELDS = frozenset(
    {"nik", "kk", "birth_date", "phone", "email", "password", "token", "manage_token", "q", "citizen"}
)
PERSONAL_VARIABLES = PERSONAL_FIELDS | {"data", "values", "validated_data", "cleaned_data", "row", "rows"}


class PersonalDataReporterFilter(SafeExceptionReporterFilter):
    """SafeExceptionReporterFilter that also blanks the portal's personal fields everywhere."""

    def _cleanse_personal(self, request, multivaluedict):
        if not self.is_active(request):
            return multivaluedict
        cleansed = multivaluedict.copy()
        for name in PERSONAL_FIELDS:
            if name in cleansed:
                cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return self._cleanse_personal(request, super().get_post_parameters(request))

    def get_cleansed_multivaluedict(self, request, multivaluedict):
        return self._cleanse_personal(request, super().get_cleansed_multivaluedict(request, multivaluedict))

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        if self.is_active(request):
            # A staff search by NIK travels in the query string (and then in the referrer).
            for key in ("QUERY_STRING", "HTTP_REFERER", "REQUEST_URI", "RAW_URI"):
                if meta.get(key):
                    meta[key] = self.cleansed_substitute
        return meta

    def get_traceback_frame_variables(self, request, tb_frame):
        variables = super().get_traceback_frame_variables(request, tb_frame)
        if not self.is_active(request):
            return variables
        items = variables.items() if isinstance(variables, dict) else variables
        return [
            (name, self.cleansed_substitute if name in PERSONAL_VARIABLES else value) for name, value in items
        ]
