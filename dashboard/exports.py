"""Dashboard side of the list exports: the `format` parameter, the export permission and the
access-log event. The writer itself (CSV/XLSX, streamed, formula-neutralised) is
`core.exports.export_response`, shared with the API.

Who exported what is written to the access log by `export_audit`; the caller decides whether NIKs
are masked (`registrations.view_full_nik`).
"""

from __future__ import annotations

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest

from core.audit import audit_record
from core.exports import FORMATS
from core.models import AuditEvent
from registrations.nik import mask_nik

EXPORT_PERMISSION = "registrations.export_citizens"


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
