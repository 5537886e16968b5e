"""Who may see and do what: roles, the named role sets, kecamatan scope. The one place for them.

Roles are Django groups (superusers count as admin). Every permission class of the API, every
dashboard decorator and every write service asks this module; no other module spells a role set.

Scope: operators and field staff see only the kecamatan of their StaffAssignment; admin,
supervisor and viewer see all. Pages and the API both filter by `kecamatan_scope`, so a record
outside a user's scope is simply not in the queryset: the caller answers 404, never 403.

Writes: the services check the actor with `require_role` / `require_in_scope` and raise a core
ApplicationError (NotPermittedError 403, NotFoundError 404), so the API, the dashboard and the admin
give the same answer. `actor=None` means the system itself (tasks, the demo seed, management
commands): it passes every check. An anonymous user is not None: it holds no role and passes none.
"""

from __future__ import annotations

from django.db.models import QuerySet

from core.exceptions import NotFoundError, NotPermittedError
from regions.models import Kecamatan

ADMIN = "admin"
SUPERVISOR = "supervisor"
OPERATOR = "operator"
FIELD = "field"
VIEWER = "viewer"
ROLES = (ADMIN, SUPERVISOR, OPERATOR, FIELD, VIEWER)

# --- Named role sets (each defined here only) ---------------------------------------------------
# Manage staff accounts.
ADMINS = frozenset({ADMIN})
# Run the stock (adjustments after a stock-take, locations) and see every kecamatan.
MANAGERS = frozenset({ADMIN, SUPERVISOR})
# Plan outreach: create, change and cancel sessions and series, remove slots.
SESSION_MANAGERS = frozenset({ADMIN, SUPERVISOR, OPERATOR})
# Serve citizens: named residents, service requests, bookings, check-in, the queue, stock movements.
DESK_STAFF = frozenset({ADMIN, SUPERVISOR, OPERATOR, FIELD})
# Every role: read the pages and aggregates (viewers read only, see `is_read_only`).
ALL_STAFF = DESK_STAFF | {VIEWER}
# Roles limited to the kecamatan of their StaffAssignment; the others see every kecamatan.
SCOPED_ROLES = frozenset({OPERATOR, FIELD})
UNSCOPED_ROLES = frozenset({ADMIN, SUPERVISOR, VIEWER})

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def user_roles(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_kudus_roles", None)
    if cached is None:
        # groups.all() uses a prefetch when the caller made one (lists of users), else one query.
        cached = {group.name for group in user.groups.all()} & set(ROLES)
        if user.is_superuser:
            cached.add(ADMIN)
        user._kudus_roles = cached
    return cached


def has_role(user, roles: frozenset[str]) -> bool:
    """Whether `user` holds at least one of `roles`."""
    return bool(user_roles(user) & roles)


def is_read_only(user) -> bool:
    """The writer rule, for every front: writes need an explicit writer role. A viewer, and a staff
    account in no role group (e.g. one whose role was withdrawn), read what their scope allows and
    change nothing (the API's ReadOnlyForViewers and the dashboard's staff_required answer 403)."""
    return not may_write(user)


def may_write(user) -> bool:
    """Whether `user` holds a role that changes something (any role but viewer)."""
    return has_role(user, DESK_STAFF)


def kecamatan_scope(user) -> frozenset[str] | None:
    """The kecamatan codes `user` may see, or None for all. Anonymous users see none."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    roles = user_roles(user)
    if roles & UNSCOPED_ROLES:
        return None
    if roles & SCOPED_ROLES:
        cached = getattr(user, "_kudus_kecamatan", None)
        if cached is None:
            cached = frozenset(
                Kecamatan.objects.filter(staff_assignments__user=user).values_list("code", flat=True)
            )
            user._kudus_kecamatan = cached
        return cached
    return frozenset()


def in_scope(user, kecamatan_code: str | None) -> bool:
    """Whether the kecamatan `kecamatan_code` is in the user's scope (None: an object tied to no
    kecamatan, e.g. a mobile unit, is in every scope)."""
    scope = kecamatan_scope(user)
    return scope is None or kecamatan_code is None or kecamatan_code in scope


def scope_queryset(queryset: QuerySet, user, kecamatan_path: str) -> QuerySet:
    """Filter `queryset` to the user's kecamatan; `kecamatan_path` leads to a kecamatan code."""
    scope = kecamatan_scope(user)
    if scope is None:
        return queryset
    return queryset.filter(**{f"{kecamatan_path}__in": scope})


# --- Checks of the write services ---------------------------------------------------------------


def require_role(actor, roles: frozenset[str], *, error: type[NotPermittedError] = NotPermittedError) -> None:
    """Raise `error` (403) unless `actor` holds one of `roles`; `actor=None` is the system."""
    if actor is not None and not has_role(actor, roles):
        raise error()


def require_in_scope(actor, kecamatan_code: str | None, *, error: type[Exception] = NotFoundError) -> None:
    """Raise `error` (404 by default: outside the scope the object does not exist for the actor)
    unless `kecamatan_code` is in the actor's scope; `actor=None` is the system."""
    if actor is not None and not in_scope(actor, kecamatan_code):
        raise error()
