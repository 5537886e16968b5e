"""Staff roles as Django groups with permissions, and staff provisioning.

The groups are (re)built after every `migrate` (post_migrate, once all apps' permissions exist) and
by `manage.py setup_roles`. What a role may *see* across kecamatan is decided in
registrations/access.py; what it may *do* is these permissions.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.access import ADMIN, FIELD, OPERATOR, ROLES, SUPERVISOR, VIEWER
from core.exceptions import ApplicationError
from core.models import StaffAssignment
from regions.models import Kecamatan

logger = logging.getLogger(__name__)

_VIEW = "view"
_CRUD = ("view", "add", "change")
# The population register (residents) is written by the services only (bulk import, the
# dashboard's scoped forms); in /admin/ no role but admin may add or change a resident: the admin's
# forms know no kecamatan scope (a raw desa id would create or move a resident anywhere).
_REGISTER = (_VIEW,)

# Per role: (app_label, model) → actions, plus extra "app_label.codename" permissions.
_MODEL_PERMISSIONS: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
    SUPERVISOR: {
        ("registrations", "citizen"): _REGISTER,
        ("registrations", "servicerequest"): _CRUD,
        ("registrations", "servicerequestevent"): (_VIEW,),
        ("registrations", "coveragesnapshot"): (_VIEW,),
        ("schedules", "outreachsession"): (*_CRUD, "delete"),
        ("schedules", "slot"): (*_CRUD, "delete"),
        ("schedules", "appointment"): _CRUD,
        ("schedules", "series"): _CRUD,
        ("blanks", "stocklocation"): _CRUD,
        ("blanks", "stockmovement"): ("view", "add"),
        ("blanks", "stockbalance"): (_VIEW,),
        ("blanks", "stockalert"): (_VIEW,),
    },
    OPERATOR: {
        ("registrations", "citizen"): _REGISTER,
        ("registrations", "servicerequest"): _CRUD,
        ("registrations", "servicerequestevent"): (_VIEW,),
        ("registrations", "coveragesnapshot"): (_VIEW,),
        ("schedules", "outreachsession"): _CRUD,
        ("schedules", "slot"): _CRUD,
        ("schedules", "appointment"): _CRUD,
        ("schedules", "series"): _CRUD,
        ("blanks", "stocklocation"): (_VIEW,),
        ("blanks", "stockmovement"): ("view", "add"),
        ("blanks", "stockbalance"): (_VIEW,),
    },
    FIELD: {
        ("registrations", "citizen"): (_VIEW,),
        ("registrations", "servicerequest"): ("view", "change"),
        ("registrations", "servicerequestevent"): (_VIEW,),
        ("schedules", "outreachsession"): (_VIEW,),
        ("schedules", "slot"): (_VIEW,),
        ("schedules", "appointment"): ("view", "change"),
        ("blanks", "stocklocation"): (_VIEW,),
        ("blanks", "stockbalance"): (_VIEW,),
    },
    VIEWER: {
        ("registrations", "coveragesnapshot"): (_VIEW,),
        ("schedules", "outreachsession"): (_VIEW,),
        ("blanks", "stocklocation"): (_VIEW,),
        ("blanks", "stockbalance"): (_VIEW,),
    },
}
_EXTRA_PERMISSIONS: dict[str, tuple[str, ...]] = {
    SUPERVISOR: (
        "registrations.view_full_nik",
        "registrations.export_citizens",
        "blanks.adjust_stock",
        "core.view_auditevent",
    ),
    OPERATOR: ("registrations.export_citizens",),
}


def _permissions_for(role: str) -> list[Permission]:
    if role == ADMIN:
        return list(Permission.objects.all())
    wanted: list[tuple[str, str]] = []
    for (app_label, model), actions in _MODEL_PERMISSIONS.get(role, {}).items():
        wanted += [(app_label, f"{action}_{model}") for action in actions]
    wanted += [tuple(name.split(".", 1)) for name in _EXTRA_PERMISSIONS.get(role, ())]
    found = []
    for app_label, codename in wanted:
        permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if permission is None:
            logger.debug("role %s: permission %s.%s does not exist (yet)", role, app_label, codename)
            continue
        found.append(permission)
    return found


@transaction.atomic
def roles_setup() -> dict[str, int]:
    """Create or refresh the five role groups and their permissions. Idempotent."""
    summary = {}
    for role in ROLES:
        group, _created = Group.objects.get_or_create(name=role)
        permissions = _permissions_for(role)
        group.permissions.set(permissions)
        summary[role] = len(permissions)
    return summary


def setup_roles_after_migrate(sender, **kwargs) -> None:
    roles_setup()


class StaffProvisioningError(ApplicationError):
    code = "invalid_staff"


@transaction.atomic
def staff_create(
    *,
    username: str,
    role: str,
    kecamatan_codes: list[str] | tuple[str, ...] = (),
    password: str | None = None,
    email: str = "",
):
    """Create (or update) a staff account with one role and its kecamatan assignment.

    Operators and field staff need at least one kecamatan; the others see every kecamatan.
    """
    if role not in ROLES:
        raise StaffProvisioningError(_("Unknown role %(role)s.") % {"role": role})
    kecamatan = list(Kecamatan.objects.filter(code__in=kecamatan_codes))
    unknown = sorted(set(kecamatan_codes) - {k.code for k in kecamatan})
    if unknown:
        raise StaffProvisioningError(_("Unknown kecamatan: %(codes)s.") % {"codes": ", ".join(unknown)})
    if role in (OPERATOR, FIELD) and not kecamatan:
        raise StaffProvisioningError(_("Operators and field staff need at least one kecamatan."))
    roles_setup()
    user_model = get_user_model()
    user, _created = user_model.objects.get_or_create(username=username, defaults={"email": email})
    user.is_staff = True
    user.is_superuser = role == ADMIN
    if email:
        user.email = email
    if password is not None:
        from django.contrib.auth.password_validation import validate_password

        validate_password(password, user)
        user.set_password(password)
    elif _created:
        user.set_unusable_password()
    user.save()
    user.groups.set(Group.objects.filter(name=role))
    assignment, _created_assignment = StaffAssignment.objects.get_or_create(user=user)
    assignment.kecamatan.set(kecamatan)
    return user
