"""A logging filter that masks NIK/KK-like digit runs and phone numbers.

The code never logs personal data on purpose; this filter is the second line of defence for the
message text and arguments of every record that reaches a handler, and for the text of its
exception (a database error quotes the offending row: "Key (nik)=(3319…) already exists").
"""

from __future__ import annotations

import logging
import re

from django.utils.log import AdminEmailHandler

_SIXTEEN_DIGITS = re.compile(r"(?<!\d)(\d{4})\d{8}(\d{4})(?!\d)")
_PHONE = re.compile(r"(?<![\d])(\+62|62|0)8\d{7,11}(?!\d)")


def mask_personal_data(text: str) -> str:
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
    POST fields (kudus_capil.errors.PersonalDataReporterFilter)."""

    def send_mail(self, subject, message, *args, **kwargs):
        if kwargs.get("html_message"):
            kwargs["html_message"] = mask_personal_data(kwargs["html_message"])
        super().send_mail(mask_personal_data(subject), mask_personal_data(message), *args, **kwargs)
