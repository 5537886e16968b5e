"""Bulk import of citizens from CSV: validate every row, then one set-based upsert by NIK.

On PostgreSQL the valid rows are streamed with COPY into a temporary staging table and merged with
one `INSERT … ON CONFLICT (nik) DO UPDATE`; on SQLite (the embedded default) they go through
`bulk_create(update_conflicts=True)` in batches. Either way a file with errors writes nothing unless
`skip_invalid` is set.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registrations.models import Citizen, Desa
from registrations.nik import mask_nik, validate_kk, validate_nik, validate_nik_matches

COLUMNS = (
    "nik", "kk", "full_name", "sex", "birth_place", "birth_date", "marital_status", "desa_code",
    "address", "school", "phone", "email", "recorded_at", "printed_at", "ikd_activated_at",
)  # fmt: skip
_TIMESTAMPS = ("recorded_at", "printed_at", "ikd_activated_at")
_MAX_LENGTHS = {"full_name": 150, "birth_place": 100, "address": 255, "school": 150, "email": 254}
_MARITAL = {choice.value for choice in Citizen.MaritalStatus}
_email_validator = EmailValidator()


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str
    nik: str = ""  # masked

    def __str__(self) -> str:
        return _("line %(line)s: %(reason)s") % {"line": self.line, "reason": self.reason}


@dataclass
class ImportResult:
    rows: int = 0
    valid: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False
    report_path: Path | None = None

    @property
    def invalid(self) -> int:
        return len(self.errors)


class ImportFileError(Exception):
    """The file as a whole cannot be imported (wrong header, not UTF-8 …)."""


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in value)


def _parse_timestamp(raw: str, tz: dt.tzinfo) -> dt.datetime:
    value = dt.datetime.fromisoformat(raw)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value


def clean_row(row: dict[str, str], *, desa_codes: set[str], today: dt.date, tz: dt.tzinfo) -> tuple:
    """Validate one CSV row; return its values in COLUMNS order (timestamps as ISO strings).

    Raises ValidationError with the first problem found.
    """
    values = {name: (row.get(name) or "").strip() for name in COLUMNS}
    for name, value in values.items():
        if _has_control_characters(value):
            raise ValidationError(_("%(field)s contains control characters.") % {"field": name})
        limit = _MAX_LENGTHS.get(name)
        if limit and len(value) > limit:
            raise ValidationError(
                _("%(field)s is longer than %(limit)s characters.") % {"field": name, "limit": limit}
            )
    if not values["full_name"]:
        raise ValidationError(_("full_name is required."))
    if not values["birth_place"]:
        raise ValidationError(_("birth_place is required."))
    if values["sex"] not in ("L", "P"):
        raise ValidationError(_("sex must be L or P."))
    try:
        birth_date = dt.date.fromisoformat(values["birth_date"])
    except ValueError as exc:
        raise ValidationError(_("birth_date must be a date YYYY-MM-DD.")) from exc
    if birth_date > today:
        raise ValidationError(_("birth_date is in the future."))
    validate_nik(values["nik"])
    validate_nik_matches(values["nik"], birth_date=birth_date, sex=values["sex"])
    validate_kk(values["kk"])
    if values["marital_status"] not in _MARITAL:
        raise ValidationError(
            _("marital_status must be one of %(choices)s.") % {"choices": ", ".join(sorted(_MARITAL))}
        )
    if values["desa_code"] not in desa_codes:
        raise ValidationError(_("desa_code %(code)s is not a desa of Kudus.") % {"code": values["desa_code"]})
    phone = values["phone"]
    if phone and not (phone.lstrip("+").isascii() and phone.lstrip("+").isdigit() and 8 <= len(phone) <= 16):
        raise ValidationError(_("phone must be 8–15 digits, optionally starting with +."))
    if values["email"]:
        _email_validator(values["email"])
    stamps = {}
    for name in _TIMESTAMPS:
        if values[name]:
            try:
                stamps[name] = _parse_timestamp(values[name], tz)
            except ValueError as exc:
                raise ValidationError(
                    _("%(field)s must be an ISO 8601 timestamp.") % {"field": name}
                ) from exc
            values[name] = stamps[name].isoformat()
    if ("printed_at" in stamps or "ikd_activated_at" in stamps) and "recorded_at" not in stamps:
        raise ValidationError(_("printed_at and ikd_activated_at need recorded_at."))
    return tuple(values[name] for name in COLUMNS)


def _message(exc: ValidationError) -> str:
    return "; ".join(str(message) for message in exc.messages)


def validate_rows(
    reader: Iterator[dict[str, str]],
    line_of: Callable[[], int],
    *,
    sink: Callable[[tuple], None],
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    result = ImportResult()
    desa_codes = set(Desa.objects.values_list("code", flat=True))
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    today = timezone.localdate()
    seen: set[str] = set()
    for row in reader:
        result.rows += 1
        nik = (row.get("nik") or "").strip()
        try:
            if None in row or any(value is None for value in row.values()):
                raise ValidationError(_("wrong number of columns."))
            cleaned = clean_row(row, desa_codes=desa_codes, today=today, tz=tz)
            if nik in seen:
                raise ValidationError(_("duplicate NIK in this file."))
        except ValidationError as exc:
            result.errors.append(RowError(line=line_of(), reason=_message(exc), nik=mask_nik(nik)))
        else:
            seen.add(nik)
            result.valid += 1
            sink(cleaned)
        if progress and result.rows % 10_000 == 0:
            progress(10_000)
    if progress:
        progress(result.rows % 10_000)
    return result


def _write_postgres(staged: IO[str]) -> tuple[int, int]:
    column_list = ", ".join(COLUMNS)
    with connection.cursor() as cursor:
        # ON COMMIT DROP does not fire inside an enclosing transaction (a savepoint): drop explicitly.
        cursor.execute("DROP TABLE IF EXISTS citizen_import_staging")
        cursor.execute(
            f"CREATE TEMPORARY TABLE citizen_import_staging ({', '.join(f'{c} text' for c in COLUMNS)}) "
            "ON COMMIT DROP"
        )
        cursor.copy_expert(
            f"COPY citizen_import_staging ({column_list}) FROM STDIN WITH (FORMAT csv)", staged
        )
        table = Citizen._meta.db_table
        updatable = [c for c in COLUMNS if c not in ("nik", "desa_code")]
        cursor.execute(
            f"""
            WITH upsert AS (
                INSERT INTO {table} (
                    nik, kk, full_name, sex, birth_place, birth_date, marital_status, desa_id, address,
                    school, phone, email, recorded_at, printed_at, ikd_activated_at,
                    deceased, moved_out, created_at, updated_at
                )
                SELECT nik, kk, full_name, sex, birth_place, birth_date::date, marital_status, desa_code,
                       COALESCE(address, ''), COALESCE(school, ''), COALESCE(phone, ''),
                       COALESCE(email, ''), NULLIF(recorded_at, '')::timestamptz,
                       NULLIF(printed_at, '')::timestamptz, NULLIF(ikd_activated_at, '')::timestamptz,
                       false, false, now(), now()
                FROM citizen_import_staging
                ON CONFLICT (nik) DO UPDATE SET
                    {", ".join(f"{c} = EXCLUDED.{c}" for c in updatable)},
                    desa_id = EXCLUDED.desa_id,
                    updated_at = now()
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upsert
            """
        )
        created, updated = cursor.fetchone()
        cursor.execute("DROP TABLE citizen_import_staging")
    return created, updated


def _write_generic(staged: IO[str], batch_size: int = 2000) -> tuple[int, int]:
    before = Citizen.objects.count()
    reader = csv.reader(staged)
    now = timezone.now()
    total = 0
    batch: list[Citizen] = []

    def flush() -> None:
        Citizen.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["nik"],
            update_fields=[c if c != "desa_code" else "desa" for c in COLUMNS if c != "nik"] + ["updated_at"],
        )
        batch.clear()

    for values in reader:
        data = dict(zip(COLUMNS, values, strict=True))
        data["desa_id"] = data.pop("desa_code")
        for name in _TIMESTAMPS:
            data[name] = dt.datetime.fromisoformat(data[name]) if data[name] else None
        batch.append(Citizen(**data, created_at=now, updated_at=now))
        total += 1
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    created = Citizen.objects.count() - before
    return created, total - created


@transaction.atomic
def citizens_write_rows(staged: IO[str]) -> tuple[int, int]:
    """Upsert already-validated rows (CSV in COLUMNS order, no header). Returns (created, updated)."""
    staged.seek(0)
    if connection.vendor == "postgresql":
        return _write_postgres(staged)
    return _write_generic(staged)


def citizens_write(rows: Iterable[tuple]) -> tuple[int, int]:
    """Upsert trusted rows given as tuples in COLUMNS order (demo data, tests)."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as staged:
        writer = csv.writer(staged)
        writer.writerows(rows)
        return citizens_write_rows(staged)


def citizens_import(
    source: IO[str],
    *,
    skip_invalid: bool = False,
    report_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import citizens from a CSV text stream with the COLUMNS header; upsert by NIK.

    Every row is validated. With errors, nothing is written unless `skip_invalid`, in which case the
    valid rows are written and the rejects go to `report_path` (line, masked NIK, reason).
    Raises ImportFileError when the header is wrong.
    """
    reader = csv.DictReader(source)
    try:
        header = reader.fieldnames or []
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("The file is not UTF-8 text.")) from exc
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        raise ImportFileError(
            _("Wrong header. Missing: %(missing)s. Unknown: %(unknown)s. Expected: %(expected)s")
            % {
                "missing": ", ".join(missing) or "-",
                "unknown": ", ".join(unknown) or "-",
                "expected": ",".join(COLUMNS),
            }
        )
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as staged:
        writer = csv.writer(staged)
        try:
            result = validate_rows(
                iter(reader), lambda: reader.line_num, sink=writer.writerow, progress=progress
            )
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                _("The file is not UTF-8 text (near line %(line)s).") % {"line": reader.line_num + 1}
            ) from exc
        if result.errors and not skip_invalid:
            return result
        if result.errors and report_path is not None:
            with report_path.open("w", encoding="utf-8", newline="") as report:
                report_writer = csv.writer(report)
                report_writer.writerow(["line", "nik", "reason"])
                for error in result.errors:
                    report_writer.writerow([error.line, error.nik, error.reason])
            result.report_path = report_path
        if result.valid:
            result.created, result.updated = citizens_write_rows(staged)
        result.written = True
    return result


def citizens_import_text(text: str, **kwargs) -> ImportResult:
    return citizens_import(io.StringIO(text), **kwargs)
