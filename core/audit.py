"""The audit trail: who changed what, who saw or exported personal data, when and why."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from core.client_address import client_address
from core.logmask import mask_personal_data
from core.models import AuditEvent
from core.throttling import throttle_cache

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_AUDITED_PREFIXES = ("/dashboard/", "/api/", "/admin/")
_NOT_CHANGES = ("/api/v1/auth/token/",)  # obtaining a token changes no data
_REFUSALS = frozenset({403, 404})


def client_ip(request: HttpRequest | None) -> str | None:
    """The client address as login lockouts see it (TRUSTED_PROXY_COUNT, core.client_address)."""
    if request is None:
        return None
    return client_address(request)


def audit_record(
    *,
    actor,
    kind: str,
    action: str,
    target: str = "",
    reason: str = "",
    request: HttpRequest | None = None,
    status_code: int | None = None,
) -> AuditEvent:
    """Append one event. `target` names the object (e.g. "citizen 42"), never personal data itself."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        kind=kind,
        action=action[:200],
        target=target[:200],
        reason=reason[:300],
        status_code=status_code,
        ip_address=client_ip(request),
    )


def targets_of(kind: str, ids: list) -> str:
    """ "citizen 4, 9, 12 (+47 more)": which records a list revealed, within the target column."""
    shown: list[str] = []
    for index, pk in enumerate(ids):
        text = f"{kind} {', '.join([*shown, str(pk)])}"
        rest = len(ids) - index - 1
        if len(text) + len(f" (+{rest} more)") > 200:
            return f"{kind} {', '.join(shown)} (+{len(ids) - index} more)"
        shown.append(str(pk))
    return f"{kind} {', '.join(shown)}"


def audit_list_reveal(*, request, what: str, citizen_ids: list) -> None:
    """Full NIKs shown in a list are a reveal too: log whose (ids only), by whom, when.

    Callers show full NIKs only to users who may see them; nothing is logged for an empty list.
    """
    if citizen_ids:
        audit_record(
            actor=request.user,
            kind=AuditEvent.Kind.REVEAL,
            action=f"{what} (full NIK)",
            target=targets_of("citizen", citizen_ids),
            request=request,
        )


def _describe(request: HttpRequest) -> tuple[str, str]:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return f"{request.method} {request.path_info}"[:200], ""
    target = ", ".join(f"{key}={value}" for key, value in sorted(match.kwargs.items()))
    return f"{request.method} {match.view_name or request.path_info}", target


def audit_refusal(request: HttpRequest, status_code: int) -> bool:
    """Record that a signed-in user was refused (403/404) on a staff route: who, the method and the
    URL path (no query string, 16-digit numbers and phone numbers masked), from where. At most one
    record per user and route within AUDIT_REFUSED_INTERVAL_SECONDS (a 404 outside any route
    counts per path), so a probing client cannot flood the log. Whether it was recorded."""
    user = request.user
    try:
        match = resolve(request.path_info)
        route, view_name = match.route, match.view_name or ""
    except Resolver404:
        route, view_name = request.path_info, ""
    path = mask_personal_data(request.path)
    key = f"audit-refused:{user.pk}:{request.method}:{mask_personal_data(route)}"[:250]
    if not throttle_cache.add(key, 1, timeout=settings.AUDIT_REFUSED_INTERVAL_SECONDS):
        return False
    audit_record(
        actor=user,
        kind=AuditEvent.Kind.SECURITY,
        action=f"refused {request.method} {path}",
        target=view_name,
        request=request,
        status_code=status_code,
    )
    return True


class AuditTrailMiddleware:
    """Records every successful write by a signed-in staff user (pages, API and admin alike), and
    every refusal (403/404) of a signed-in user on those routes, rate-limited (`audit_refusal`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            request.method in _WRITE_METHODS
            and response.status_code < 400
            and request.path.startswith(_AUDITED_PREFIXES)
            and not request.path.startswith(_NOT_CHANGES)
            and user is not None
            and user.is_authenticated
        ):
            action, target = _describe(request)
            audit_record(
                actor=user,
                kind=AuditEvent.Kind.CHANGE,
                action=action,
                target=target,
                request=request,
                status_code=response.status_code,
            )
        elif (
            response.status_code in _REFUSALS
            and request.path.startswith(_AUDITED_PREFIXES)
            and user is not None
            and user.is_authenticated
        ):
            audit_refusal(request, response.status_code)
        return response
