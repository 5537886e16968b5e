"""Staff accounts and their roles, for admins."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.access import user_roles
from core.roles import StaffProvisioningError, staff_create
from dashboard.access import admin_required
from dashboard.forms import StaffForm


@admin_required
def staff_list(request):
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = staff_create(
                username=data["username"],
                role=data["role"],
                kecamatan_codes=[k.code for k in data["kecamatan"]],
                password=data["password"],
                email=data["email"],
            )
        except StaffProvisioningError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_error("password", exc)
        else:
            messages.success(request, _("Staff account %(username)s saved.") % {"username": user.username})
            return redirect("dashboard:staff")
    users = (
        get_user_model()
        .objects.filter(is_staff=True)
        .prefetch_related("groups", "staff_assignment__kecamatan")
        .order_by("username")
    )
    rows = [
        {"user": user, "roles": sorted(user_roles(user)), "kecamatan": _assigned_kecamatan_names(user)}
        for user in users
    ]
    return render(request, "dashboard/staff.html", {"form": form, "rows": rows})


def _assigned_kecamatan_names(user) -> list[str]:
    try:
        assignment = user.staff_assignment
    except ObjectDoesNotExist:
        return []
    return [kecamatan.name for kecamatan in assignment.kecamatan.all()]
