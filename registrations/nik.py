"""NIK and KK number rules (see docs: `PP KK CC DDMMYY SSSS`).

`validate_nik` checks a NIK on its own; `validate_nik_matches` checks it against the citizen's birth
date and sex, which is the only way to settle the two-digit year. Both raise Django's
ValidationError with a translated message and a stable code, so forms, serializers and the bulk
import share them.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Kemendagri province codes in force (Kepmendagri 100.1.1-6117/2022), including the four Papua
# provinces created in 2022.
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15", "16", "17", "18", "19", "21",
        "31", "32", "33", "34", "35", "36",
        "51", "52", "53",
        "61", "62", "63", "64", "65",
        "71", "72", "73", "74", "75", "76",
        "81", "82",
        "91", "92", "93", "94", "95", "96",
    }
)  # fmt: skip

MESSAGES = {
    "nik_format": _("NIK must be exactly 16 digits (0–9)."),
    "nik_province": _("The first two NIK digits are not a real province code."),
    "nik_area": _("The kabupaten/kota and kecamatan parts of the NIK (digits 3–6) cannot be 00."),
    "nik_date": _("Digits 7–12 of the NIK are not a valid birth date (DDMMYY, +40 on the day for women)."),
    "nik_serial": _("The last four NIK digits cannot be 0000."),
    "nik_birth_date": _("The birth date in the NIK does not match the birth date."),
    "nik_sex": _("The NIK does not match the sex (women have 40 added to the birth day)."),
    "kk_format": _("KK number must be exactly 16 digits (0–9)."),
    "kk_province": _("The first two digits of the KK number are not a real province code."),
    "kk_area": _("The area part of the KK number (digits 3–6) cannot contain 00."),
    "kk_date": _("Digits 7–12 of the KK number are not a valid date (DDMMYY)."),
    "kk_serial": _("The last four digits of the KK number cannot be 0000."),
}


def _error(code: str) -> ValidationError:
    return ValidationError(MESSAGES[code], code=code)


def _is_ascii_digits(value: str, length: int) -> bool:
    # str.isdigit() accepts Arabic-Indic, fullwidth and other Unicode digits: only ASCII is a NIK.
    return len(value) == length and value.isascii() and value.isdigit()


def _valid_ddmm(day: int, month: int) -> bool:
    """Whether day/month exist in some year (29 Feb included: the year is ambiguous by century)."""
    try:
        dt.date(2000, month, day)
    except ValueError:
        return False
    return True


def nik_parts(nik: str) -> tuple[int, int, int, bool]:
    """(day, month, yy, is_female) encoded in a NIK already known to be well formed."""
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    is_female = day > 40
    return (day - 40 if is_female else day), month, yy, is_female


def validate_nik(value: str) -> None:
    """Check a NIK on its own: shape, area part, encoded date, serial."""
    if not isinstance(value, str) or not _is_ascii_digits(value, 16):
        raise _error("nik_format")
    if value[0:2] not in PROVINCE_CODES:
        raise _error("nik_province")
    if value[2:4] == "00" or value[4:6] == "00":
        raise _error("nik_area")
    day, month, _yy, _female = nik_parts(value)
    if not _valid_ddmm(day, month):
        raise _error("nik_date")
    if value[12:16] == "0000":
        raise _error("nik_serial")


def validate_nik_matches(nik: str, *, birth_date: dt.date, sex: str) -> None:
    """Check a well-formed NIK against the citizen's birth date and sex ("L"/"P")."""
    day, month, yy, is_female = nik_parts(nik)
    if (day, month, yy) != (birth_date.day, birth_date.month, birth_date.year % 100):
        raise _error("nik_birth_date")
    if is_female != (sex == "P"):
        raise _error("nik_sex")


def validate_kk(value: str) -> None:
    if not isinstance(value, str) or not _is_ascii_digits(value, 16):
        raise _error("kk_format")
    if value[0:2] not in PROVINCE_CODES:
        raise _error("kk_province")
    if value[2:4] == "00" or value[4:6] == "00":
        raise _error("kk_area")
    if not _valid_ddmm(int(value[6:8]), int(value[8:10])):
        raise _error("kk_date")
    if value[12:16] == "0000":
        raise _error("kk_serial")


@deconstructible
class NIKValidator:
    """Field validator form of `validate_nik` (for model fields, forms and serializers)."""

    def __call__(self, value: str) -> None:
        validate_nik(value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NIKValidator)


@deconstructible
class KKValidator:
    def __call__(self, value: str) -> None:
        validate_kk(value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KKValidator)


def encode_nik(*, area6: str, birth_date: dt.date, sex: str, serial: int) -> str:
    """Build a NIK from its parts (demo data and test factories)."""
    day = birth_date.day + (40 if sex == "P" else 0)
    return f"{area6}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"


def mask_nik(nik: str) -> str:
    """`3319********0001`: enough to tell records apart, not enough to identify a person."""
    if len(nik) != 16:
        return "*" * len(nik)
    return f"{nik[:4]}{'*' * 8}{nik[12:]}"
