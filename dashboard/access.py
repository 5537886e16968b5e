"""The dashboard's page decorators. Roles, role sets and the viewer rule are core.access; the
write services check role and kecamatan again, so a page cannot allow what the API refuses."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from core.access import ADMINS, SAFE_METHODS, has_role, is_read_only


def staff_required(view):
    """Signed-in staff only: anonymous users go to the login page, others get 403. Viewers read:
    any other method is 403 for them on every dashboard page (core.access.is_read_only, the same
    rule as the API's ReadOnlyForViewers)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        if request.method not in SAFE_METHODS and is_read_only(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def roles_required(roles: frozenset[str]):
    """Staff in one of `roles` only (others get 403). What they may see inside is still scoped by
    kecamatan by the selectors: an object outside the scope is a 404 there."""

    def decorator(view):
        @staff_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not has_role(request.user, roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


admin_required = roles_required(ADMINS)
