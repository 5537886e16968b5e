"""API permission classes (a module of their own: DRF imports them while it is initialising).

Who holds which role, and the named role sets, are core.access; these classes only ask it.
"""

from __future__ import annotations

from rest_framework import permissions

from core.access import has_role, is_read_only


class IsStaff(permissions.BasePermission):
    """The default for every API view: a signed-in staff account (anonymous → 401, others → 403).

    What a staff user may see inside a list is decided by role scoping (core.access).
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


class ReadOnlyForViewers(permissions.BasePermission):
    """Viewers read aggregates only: no writes anywhere (core.access.is_read_only)."""

    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or not is_read_only(request.user)


def role_permission(*, read: frozenset[str], write: frozenset[str]) -> type[permissions.BasePermission]:
    """A permission class: a staff account (IsStaff) whose roles include one of `read` for safe
    methods, one of `write` for the others (role sets: core.access)."""

    class RolePermission(IsStaff):
        def has_permission(self, request, view) -> bool:
            if not super().has_permission(request, view):
                return False
            allowed = read if request.method in permissions.SAFE_METHODS else write
            return has_role(request.user, allowed)

    return RolePermission


def roles_permission(roles: frozenset[str]) -> type[permissions.BasePermission]:
    """A staff account holding one of `roles`, whatever the method."""
    return role_permission(read=roles, write=roles)
