"""API permission classes (a module of their own: DRF imports them while it is initialising)."""

from __future__ import annotations

from rest_framework import permissions

from core.access import VIEWER, user_roles


class IsStaff(permissions.BasePermission):
    """The default for every API view: a signed-in staff account (anonymous → 401, others → 403).

    What a staff user may see inside a list is decided by role scoping (core.access).
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


class ReadOnlyForViewers(permissions.BasePermission):
    """Viewers read aggregates only: no writes anywhere."""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        roles = user_roles(request.user)
        return roles != {VIEWER}
