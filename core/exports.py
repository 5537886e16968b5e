"""The export writer of every list, the API's and the dashboard's: CSV or XLSX, streamed so a
650k-row list never sits in memory, and formula-neutralised.

    export_response(rows, columns, "warga-20240202", "xlsx")

`rows` is any iterable of tuples (pass `queryset.values_list(...).iterator(chunk_size=CHUNK_SIZE)`
or a generator over it), `columns` the header labels. CSV is a `StreamingHttpResponse`: each row is
written to the client as it is read, after a byte-order mark so spreadsheet programs read UTF-8
names right. XLSX cannot be streamed while it is built (a zip archive), so an openpyxl write-only
workbook — which keeps only the current row in memory — is written to an anonymous temporary file,
then streamed from it with `FileResponse` (the file disappears when the response closes it).

Every cell that a spreadsheet would take for a formula (text starting with `=`, `+`, `-`, `@`, a
tab or a carriage return) is prefixed with a quote, so a resident named `=HYPERLINK(…)` stays
text (CSV/formula injection). The writer knows no domain and writes no audit: the caller checks
the permission, decides whether NIKs are masked and records who exported what.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
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
