"""A logging filter that masks NIK/KK-like digit runs and phone numbers.

The code never logs personal data on purpose; this filter is the second line of defence for the
message text and arguments of every record that reaches a handler.
"""

from __future__ import annotations

import logging
import re

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
        return True
