"""Exports of dashboard lists as CSV or XLSX, streamed so a 650k-row list never sits in memory.

    export_response(rows, columns, "warga-20240202", "xlsx")

`rows` is any iterable of tuples (pass `queryset.values_list(...).iterator(chunk_size=2000)` or a
generator over it), `columns` the header labels. CSV is a `StreamingHttpResponse`: each row is
written to the client as it is read. XLSX cannot be streamed while it is built (a zip archive),
so an openpyxl write-only workbook — which keeps only the current row in memory — is written to
an anonymous temporary file, then streamed from it with `FileResponse` (the file disappears when
the response closes it).

Every cell that a spreadsheet would take for a formula (text starting with `=`, `+`, `-`, `@`, a
tab or a carriage return) is prefixed with a quote, so a resident named `=HYPERLINK(…)` stays
text (CSV/formula injection). Who exported what is written to the access log by `export_audit`;
the caller decides whether NIKs are masked (`registrations.view_full_nik`).
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils import timezone

from core.audit import audit_record
from core.models import AuditEvent
from registrations.nik import mask_nik

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXPORT_PERMISSION = "registrations.export_citizens"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Rows fetched per round trip when callers iterate a queryset (server-side cursor on PostgreSQL).
CHUNK_SIZE = 2000


def neutralize(value: str) -> str:
    """Text a spreadsheet would evaluate becomes literal text (a leading quote)."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def _plain(value) -> object:
    """A cell value as CSV and XLSX both take it: text (neutralized), number, naive local date."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        # Spreadsheets have no time zones: the WIB wall-clock time people expect.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, dt.date):
        return value
    return neutralize(str(value))


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterable[Sequence], columns: Sequence[str]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A byte-order mark: spreadsheet programs then read the file as UTF-8 (names with accents).
    yield "\ufeff" + writer.writerow([neutralize(str(c)) for c in columns])
    for row in rows:
        yield writer.writerow([_csv_cell(_plain(value)) for value in row])


def _csv_cell(value) -> object:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _xlsx_file(rows: Iterable[Sequence], columns: Sequence[str]):
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    bold = Font(bold=True)
    header = []
    for label in columns:
        cell = WriteOnlyCell(sheet, value=neutralize(str(label)))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        values = []
        for value in row:
            value = _plain(value)
            if isinstance(value, str):
                # openpyxl refuses control characters (they carry nothing a reader needs); what
                # is left is checked for formulas again.
                value = neutralize(ILLEGAL_CHARACTERS_RE.sub("", value))
            values.append(value)
        sheet.append(values)
    # Deleted when closed; FileResponse closes it once the last byte is sent.
    output = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(output)
    output.seek(0)
    return output


def export_response(
    rows_iterable: Iterable[Sequence], columns: Sequence[str], filename: str, format: str
) -> StreamingHttpResponse | FileResponse:
    """The rows as a downloadable CSV or XLSX named `filename` + the format's extension."""
    if format not in FORMATS:
        raise ValueError(f"unknown export format {format!r}")
    name = f"{filename}.{format}"
    if format == "csv":
        response = StreamingHttpResponse(
            _csv_lines(rows_iterable, columns), content_type=CONTENT_TYPES["csv"]
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    else:
        response = FileResponse(
            _xlsx_file(rows_iterable, columns),
            as_attachment=True,
            filename=name,
            content_type=CONTENT_TYPES["xlsx"],
        )
    response["Cache-Control"] = "no-store"  # personal data: never in a shared cache
    return response


def export_format(request: HttpRequest, default: str = "csv") -> str:
    """The `format` query parameter (csv or xlsx); anything else is a 400."""
    value = request.GET.get("format", default)
    if value not in FORMATS:
        raise BadRequest("format must be csv or xlsx")
    return value


def export_allowed(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(EXPORT_PERMISSION))


def export_check(request: HttpRequest) -> None:
    """Exports of personal data need `registrations.export_citizens` (403 otherwise)."""
    if not export_allowed(request.user):
        raise PermissionDenied


def describe_filters(params: dict[str, str]) -> str:
    """The filters of an export for the access log, with a searched NIK masked (never logged whole)."""
    parts = []
    for key, value in sorted(params.items()):
        if value in ("", None) or key in ("format", "page", "after", "before", "csrfmiddlewaretoken"):
            continue
        value = str(value).strip()
        if value.isascii() and value.isdigit() and len(value) >= 6:
            value = mask_nik(value) if len(value) == 16 else value[:6] + "…"
        parts.append(f"{key}={value}")
    return "&".join(parts) or "(none)"


def export_audit(
    request: HttpRequest, *, what: str, format: str, filters: dict[str, str], full_nik: bool
) -> AuditEvent:
    """One access-log event per export: who, which list, in which format, with which filters."""
    return audit_record(
        actor=request.user,
        kind=AuditEvent.Kind.EXPORT,
        action=f"dashboard export {what} ({format}{', full NIK' if full_nik else ''})",
        target=f"{what}: {describe_filters(filters)}",
        request=request,
        status_code=200,
    )
