from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from core.access import ADMIN, VIEWER, user_roles

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def staff_required(view):
    """Signed-in staff only: anonymous users go to the login page, others get 403. Viewers read:
    any other method is 403 for them on every dashboard page (like the API's ReadOnlyForViewers)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        if request.method not in SAFE_METHODS and user_roles(request.user) == {VIEWER}:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view):
    @staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if ADMIN not in user_roles(request.user):
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
            if not user_roles(request.user) & roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def has_role(user, roles: frozenset[str]) -> bool:
    return bool(user_roles(user) & roles)
