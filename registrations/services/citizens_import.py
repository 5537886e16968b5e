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
import re
import tempfile
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regions.models import Desa
from registrations.models import Citizen
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


# Unicode category Cc is exactly these two ranges; a regex is far faster than a per-character loop.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _has_control_characters(value: str) -> bool:
    return _CONTROL_CHARACTERS.search(value) is not None


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
    if _has_control_characters("".join(values.values())):
        name = next(name for name, value in values.items() if _has_control_characters(value))
        raise ValidationError(_("%(field)s contains control characters.") % {"field": name})
    for name, limit in _MAX_LENGTHS.items():
        if len(values[name]) > limit:
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


_STAGING = "citizen_import_staging"
_CHUNK_ROWS = 50_000


class _PostgresMerger:
    """Upsert rows in chunks: COPY a chunk into a staging table, then one INSERT … ON CONFLICT.

    Each chunk is merged on a background thread while the caller validates the next one, so
    PostgreSQL's index work (on its own core) overlaps with Python's validation. Both use the one
    connection in turn (never at once: `add` only touches a buffer), inside the caller's transaction,
    so a failed import rolls back every chunk.
    """

    def __init__(self) -> None:
        self.raw = connection.connection  # psycopg2 connection of the current atomic block
        self.created = self.updated = 0
        self.pending: Future | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="citizen-merge")
        self._new_buffer()
        with self.raw.cursor() as cursor:
            # ON COMMIT DROP does not fire inside an enclosing transaction (a savepoint): drop explicitly.
            cursor.execute(f"DROP TABLE IF EXISTS {_STAGING}")
            cursor.execute(f"CREATE TEMPORARY TABLE {_STAGING} ({', '.join(f'{c} text' for c in COLUMNS)})")

    def _new_buffer(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer)
        self.rows = 0

    def add(self, values: tuple | list) -> None:
        self.writer.writerow(values)
        self.rows += 1
        if self.rows >= _CHUNK_ROWS:
            self._flush()

    def _wait(self) -> None:
        if self.pending is not None:
            created, updated = self.pending.result()
            self.created += created
            self.updated += updated
            self.pending = None

    def _flush(self) -> None:
        self._wait()
        if self.rows:
            buffer, self.buffer = self.buffer, None
            buffer.seek(0)
            self.pending = self.executor.submit(self._merge, buffer)
            self._new_buffer()

    def _merge(self, buffer: io.StringIO) -> tuple[int, int]:
        table = Citizen._meta.db_table
        updatable = [c for c in COLUMNS if c not in ("nik", "desa_code")]
        with self.raw.cursor() as cursor:
            cursor.execute(f"TRUNCATE {_STAGING}")
            cursor.copy_expert(f"COPY {_STAGING} ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)", buffer)
            # ORDER BY nik: inserting in key order keeps the unique index's pages hot.
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
                    FROM {_STAGING}
                    ORDER BY nik
                    ON CONFLICT (nik) DO UPDATE SET
                        {", ".join(f"{c} = EXCLUDED.{c}" for c in updatable)},
                        desa_id = EXCLUDED.desa_id,
                        updated_at = now()
                    RETURNING (xmax = 0) AS inserted
                )
                SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upsert
                """
            )
            return cursor.fetchone()

    def finish(self) -> tuple[int, int]:
        try:
            self._flush()
            self._wait()
        finally:
            self.close()
        with self.raw.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_STAGING}")
        return self.created, self.updated

    def close(self) -> None:
        self.executor.shutdown(wait=True)


class _GenericMerger:
    """SQLite (and any other backend): bulk_create with ON CONFLICT DO UPDATE, in batches."""

    def __init__(self, batch_size: int = 2000) -> None:
        self.batch: list[Citizen] = []
        self.batch_size = batch_size
        self.total = 0
        self.before = Citizen.objects.count()
        self.now = timezone.now()

    def add(self, values: tuple | list) -> None:
        data = dict(zip(COLUMNS, values, strict=True))
        data["desa_id"] = data.pop("desa_code")
        for name in _TIMESTAMPS:
            data[name] = dt.datetime.fromisoformat(data[name]) if data[name] else None
        self.batch.append(Citizen(**data, created_at=self.now, updated_at=self.now))
        self.total += 1
        if len(self.batch) >= self.batch_size:
            self._flush()

    def _flush(self) -> None:
        Citizen.objects.bulk_create(
            self.batch,
            update_conflicts=True,
            unique_fields=["nik"],
            update_fields=[c if c != "desa_code" else "desa" for c in COLUMNS if c != "nik"] + ["updated_at"],
        )
        self.batch.clear()

    def finish(self) -> tuple[int, int]:
        if self.batch:
            self._flush()
        created = Citizen.objects.count() - self.before
        return created, self.total - created

    def close(self) -> None:
        self.batch.clear()


def _merger() -> _PostgresMerger | _GenericMerger:
    """Call inside a transaction.atomic() block."""
    connection.ensure_connection()
    return _PostgresMerger() if connection.vendor == "postgresql" else _GenericMerger()


@transaction.atomic
def citizens_write_rows(staged: IO[str]) -> tuple[int, int]:
    """Upsert already-validated rows (CSV in COLUMNS order, no header). Returns (created, updated)."""
    staged.seek(0)
    merger = _merger()
    try:
        for values in csv.reader(staged):
            merger.add(values)
    except BaseException:
        merger.close()
        raise
    return merger.finish()


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
    with transaction.atomic():
        merger = _merger()
        try:
            result = validate_rows(iter(reader), lambda: reader.line_num, sink=merger.add, progress=progress)
        except UnicodeDecodeError as exc:
            merger.close()
            raise ImportFileError(
                _("The file is not UTF-8 text (near line %(line)s).") % {"line": reader.line_num + 1}
            ) from exc
        except BaseException:
            merger.close()
            raise
        if result.errors and not skip_invalid:
            # Chunks may already be merged: roll them back, the file is refused whole.
            merger.close()
            transaction.set_rollback(True)
            return result
        result.created, result.updated = merger.finish()
        result.written = True
    if result.errors and report_path is not None:
        with report_path.open("w", encoding="utf-8", newline="") as report:
            report_writer = csv.writer(report)
            report_writer.writerow(["line", "nik", "reason"])
            for error in result.errors:
                report_writer.writerow([error.line, error.nik, error.reason])
        result.report_path = report_path
    return result


def citizens_import_text(text: str, **kwargs) -> ImportResult:
    return citizens_import(io.StringIO(text), **kwargs)
