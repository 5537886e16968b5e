"""Role permissions of the API (roles are Django groups, see registrations/access.py)."""

from __future__ import annotations

from rest_framework import permissions

from registrations.access import ADMIN, FIELD, OPERATOR, SUPERVISOR, VIEWER, user_roles

SERVICE_ROLES = frozenset({ADMIN, SUPERVISOR, OPERATOR, FIELD})
ALL_ROLES = SERVICE_ROLES | {VIEWER}
MANAGER_ROLES = frozenset({ADMIN, SUPERVISOR})


def role_permission(*, read: frozenset[str], write: frozenset[str]) -> type[permissions.BasePermission]:
    """A permission class: safe methods need one of `read`, other methods one of `write`."""

    class RolePermission(permissions.BasePermission):
        def has_permission(self, request, view) -> bool:
            roles = user_roles(request.user)
            allowed = read if request.method in permissions.SAFE_METHODS else write
            return bool(roles & allowed)

    return RolePermission
