"""Role permissions of the API (roles are Django groups, see registrations/access.py)."""

from __future__ import annotations

from rest_framework import permissions

from core.access import ADMIN, FIELD, OPERATOR, SUPERVISOR, VIEWER, user_roles
from core.api.permissions import IsStaff

SERVICE_ROLES = frozenset({ADMIN, SUPERVISOR, OPERATOR, FIELD})
ALL_ROLES = SERVICE_ROLES | {VIEWER}
MANAGER_ROLES = frozenset({ADMIN, SUPERVISOR})


def role_permission(*, read: frozenset[str], write: frozenset[str]) -> type[permissions.BasePermission]:
    """A permission class: a staff account (the API default, IsStaff) whose roles include one of
    `read` for safe methods, one of `write` for the others."""

    class RolePermission(IsStaff):
        def has_permission(self, request, view) -> bool:
            if not super().has_permission(request, view):
                return False
            roles = user_roles(request.user)
            allowed = read if request.method in permissions.SAFE_METHODS else write
            return bool(roles & allowed)

    return RolePermission
