"""A logging filter that masks NIK/KK-like digit runs and phone numbers.

The code never logs personal data on purpose; this filter is the second line of defence for the
message text and arguments of every record that reaches a handler, and for the text of its
exception (a database error quotes the offending row: "Key (nik)=(3319…) already exists").
"""

from __future__ import annotations

import logging
import re

from django.utils.log import AdminEmailHandler
from django.views.debug import SafeExceptionReporterFilter

from core.url_secrets import mask_url_secrets

_SIXTEEN_DIGITS = re.compile(r"(?<!\d)(\d{4})\d{8}(\d{4})(?!\d)")
_PHONE = re.compile(r"(?<![\d])(\+62|62|0)8\d{7,11}(?!\d)")


def mask_personal_data(text: str) -> str:
    text = mask_url_secrets(text)  # a 404 of a manage link logs its path
    text = _SIXTEEN_DIGITS.sub(r"\1********\2", text)
    return _PHONE.sub("[phone]", text)


class MaskPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not this filter's business
            return True
        masked = mask_personal_data(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            # Formatters reuse a cached exc_text: cache the masked traceback for every handler.
            record.exc_text = mask_personal_data(_FORMATTER.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        return True


_FORMATTER = logging.Formatter()


class MaskedAdminEmailHandler(AdminEmailHandler):
    """The ADMINS error e-mail with NIK-like digit runs and phone numbers masked in its whole text
    (exception message, GET parameters, URLs), on top of the reporter filter that blanks personal
    POST fields (core.logmask.PersonalDataReporterFilter)."""

    def send_mail(self, subject, message, *args, **kwargs):
        if kwargs.get("html_message"):
            kwargs["html_message"] = mask_personal_data(kwargs["html_message"])
        super().send_mail(mask_personal_data(subject), mask_personal_data(message), *args, **kwargs)


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
