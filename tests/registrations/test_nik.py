from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from registrations.nik import (
    NIKValidator,
    mask_nik,
    nik_parts,
    validate_kk,
    validate_nik,
    validate_nik_matches,
)

# NIK, what it encodes as (day, month, two-digit year, woman?), why it is here.
VALID = [
    ("3319011705000001", (17, 5, 0, False), "man born 17 May 2000, Kaliwungu"),
    ("3319015705000001", (17, 5, 0, True), "woman born 17 May 2000 (+40)"),
    ("3319024102080001", (1, 2, 8, True), "woman born 1 Feb 2008"),
    ("3319092902040123", (29, 2, 4, False), "man born 29 Feb 2004"),
    ("3319096902049999", (29, 2, 4, True), "woman born 29 Feb 2004, serial 9999"),
    ("3374013112990001", (31, 12, 99, False), "first issued in Semarang"),
    ("9601010101010001", (1, 1, 1, False), "Papua Barat Daya (2022 province)"),
    ("1101010101010001", (1, 1, 1, False), "Aceh"),
]

INVALID = [
    ("331901170500000", "nik_format", "15 digits"),
    ("33190117050000012", "nik_format", "17 digits"),
    ("3319O11705000001", "nik_format", "letter O"),
    ("３３１９０１１７０５０００００１", "nik_format", "fullwidth digits"),
    ("٣٣١٩٠١١٧٠٥٠٠٠٠٠١", "nik_format", "Arabic-Indic digits"),
    ("3319 11705000001", "nik_format", "space"),
    ("", "nik_format", "empty"),
    ("0019011705000001", "nik_province", "province 00"),
    ("2019011705000001", "nik_province", "province 20 does not exist"),
    ("9919011705000001", "nik_province", "province 99 does not exist"),
    ("3300011705000001", "nik_area", "kabupaten 00"),
    ("3319001705000001", "nik_area", "kecamatan 00"),
    ("3319010005000001", "nik_date", "day 00"),
    ("3319013205000001", "nik_date", "day 32"),
    ("3319014005000001", "nik_date", "day 40 (woman day 00)"),
    ("3319017205000001", "nik_date", "day 72 (woman day 32)"),
    ("3319011700000001", "nik_date", "month 00"),
    ("3319011713000001", "nik_date", "month 13"),
    ("3319013102000001", "nik_date", "31 February"),
    ("3319013104000001", "nik_date", "31 April"),
    ("3319011705000000", "nik_serial", "serial 0000"),
]


@pytest.mark.parametrize(("nik", "parts", "why"), VALID)
def test_valid_niks_pass(nik, parts, why):
    assert validate_nik(nik) is None  # no ValidationError
    NIKValidator()(nik)  # the field validator of models, forms and serializers agrees
    assert nik_parts(nik) == parts
    # The same NIK with its serial or its province broken is refused: the validator really read it.
    with pytest.raises(ValidationError) as excinfo:
        validate_nik(nik[:12] + "0000")
    assert excinfo.value.code == "nik_serial"
    with pytest.raises(ValidationError) as excinfo:
        validate_nik("00" + nik[2:])
    assert excinfo.value.code == "nik_province"


@pytest.mark.parametrize(("nik", "code", "why"), INVALID)
def test_invalid_niks_fail_with_their_reason(nik, code, why):
    with pytest.raises(ValidationError) as excinfo:
        validate_nik(nik)
    assert excinfo.value.code == code


def test_nik_must_match_birth_date_across_the_century():
    validate_nik_matches("3319011705000001", birth_date=dt.date(2000, 5, 17), sex="L")
    with pytest.raises(ValidationError) as excinfo:
        validate_nik_matches(
            "3319011705000001", birth_date=dt.date(1900, 5, 17) + dt.timedelta(days=1), sex="L"
        )
    assert excinfo.value.code == "nik_birth_date"
    validate_nik_matches("3319011705000001", birth_date=dt.date(1900, 5, 17), sex="L")


def test_nik_must_match_sex():
    with pytest.raises(ValidationError) as excinfo:
        validate_nik_matches("3319011705000001", birth_date=dt.date(2000, 5, 17), sex="P")
    assert excinfo.value.code == "nik_sex"
    with pytest.raises(ValidationError) as excinfo:
        validate_nik_matches("3319015705000001", birth_date=dt.date(2000, 5, 17), sex="L")
    assert excinfo.value.code == "nik_sex"


def test_messages_are_translated_to_indonesian():
    from django.utils import translation

    with pytest.raises(ValidationError) as excinfo:
        validate_nik("123")
    with translation.override("id"):
        assert excinfo.value.messages == ["NIK harus terdiri dari tepat 16 angka (0–9)."]
    with translation.override("en"):
        assert excinfo.value.messages == ["NIK must be exactly 16 digits (0–9)."]


@pytest.mark.parametrize(
    ("kk", "code"),
    [
        ("3319011503180001", None),
        ("331901150318000", "kk_format"),
        ("0019011503180001", "kk_province"),
        ("3319001503180001", "kk_area"),
        ("3319015503180001", "kk_date"),  # no +40 on a KK date
        ("3319011503180000", "kk_serial"),
    ],
)
def test_kk_numbers(kk, code):
    if code is None:
        assert validate_kk(kk) is None  # no ValidationError
        with pytest.raises(ValidationError) as excinfo:  # and the same KK with serial 0000 is refused
            validate_kk(kk[:12] + "0000")
        assert excinfo.value.code == "kk_serial"
        return
    with pytest.raises(ValidationError) as excinfo:
        validate_kk(kk)
    assert excinfo.value.code == code


def test_mask_keeps_area_and_serial_only():
    assert mask_nik("3319011705000001") == "3319********0001"
