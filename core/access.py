"""Who may see what: the one place that scopes data by role and kecamatan.

Roles are Django groups. Operators and field staff see only the kecamatan of their
StaffAssignment; admin, supervisor and viewer see all (viewers read aggregates only; what they may
change is decided by permissions, not here). Pages and the API both call `kecamatan_scope`, so a
record outside a user's scope is simply not in the queryset: the caller answers 404, never 403.
"""

from __future__ import annotations

from django.db.models import QuerySet

from regions.models import Kecamatan

ADMIN = "admin"
SUPERVISOR = "supervisor"
OPERATOR = "operator"
FIELD = "field"
VIEWER = "viewer"
ROLES = (ADMIN, SUPERVISOR, OPERATOR, FIELD, VIEWER)
SCOPED_ROLES = frozenset({OPERATOR, FIELD})


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


def kecamatan_scope(user) -> frozenset[str] | None:
    """The kecamatan codes `user` may see, or None for all. Anonymous users see none."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    roles = user_roles(user)
    if roles & {ADMIN, SUPERVISOR, VIEWER}:
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


def scope_queryset(queryset: QuerySet, user, kecamatan_path: str) -> QuerySet:
    """Filter `queryset` to the user's kecamatan; `kecamatan_path` leads to a kecamatan code."""
    scope = kecamatan_scope(user)
    if scope is None:
        return queryset
    return queryset.filter(**{f"{kecamatan_path}__in": scope})
