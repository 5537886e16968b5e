"""Dashboard pages. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kudus_capil.audit import audit_record, targets_of
from kudus_capil.dashboard.access import admin_required, roles_required, staff_required
from kudus_capil.dashboard.pagination import paginate_without_count
from kudus_capil.models import AuditEvent
from registrations.access import ROLES, kecamatan_scope, user_roles
from registrations.api.permissions import SERVICE_ROLES
from registrations.eligibility import is_pemula, may_print, may_record, person_of
from registrations.models import Kecamatan
from registrations.roles import StaffProvisioningError, staff_create
from registrations.selectors import (
    CitizenFilter,
    can_see_full_personal_data,
    citizen_get,
    citizens_visible_to,
)
from schedules.models import Appointment


@staff_required
def overview(request):
    return render(request, "dashboard/overview.html", {"today": timezone.localdate()})


@roles_required(SERVICE_ROLES)
def citizen_list(request):
    filterset = CitizenFilter(
        request.GET or None, queryset=citizens_visible_to(request.user), request=request
    )
    if filterset.is_bound and not filterset.is_valid():
        queryset = citizens_visible_to(request.user).none()
    else:
        queryset = filterset.qs
    scope = kecamatan_scope(request.user)
    if scope is not None:
        filterset.form.fields["kecamatan"].queryset = Kecamatan.objects.filter(code__in=scope)
    page = paginate_without_count(queryset.order_by("full_name", "id"), request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    full_data = can_see_full_personal_data(request.user)
    if full_data and page.rows:
        # Full NIKs on screen are a reveal too: whose, by whom, when.
        audit_record(
            actor=request.user,
            kind=AuditEvent.Kind.REVEAL,
            action="citizen list (full NIK)",
            target=targets_of("citizen", [citizen.pk for citizen in page.rows]),
            request=request,
        )
    return render(
        request,
        "dashboard/citizens.html",
        {"filter": filterset, "page": page, "query": query.urlencode(), "full_data": full_data},
    )


@roles_required(SERVICE_ROLES)
def citizen_detail(request, pk: int):
    citizen = citizen_get(user=request.user, pk=pk)
    full_data = can_see_full_personal_data(request.user)
    if full_data:
        # Seeing a whole record is a reveal of personal data: who, what, when (and why, if given).
        audit_record(
            actor=request.user,
            kind=AuditEvent.Kind.REVEAL,
            action="citizen detail",
            target=f"citizen {citizen.pk}",
            reason=request.GET.get("why", "")[:300],
            request=request,
        )
    today = timezone.localdate()
    person = person_of(citizen)
    context = {
        "citizen": citizen,
        "full_data": full_data,
        "today": today,
        "eligibility": {
            "may_record": may_record(person, today),
            "may_print": may_print(person, today),
            "pemula": is_pemula(
                citizen.birth_date,
                previous_election=settings.PREVIOUS_ELECTION_DATE,
                election=settings.ELECTION_DATE,
            ),
        },
        **_citizen_requests_and_bookings(citizen),
    }
    return render(request, "dashboard/citizen_detail.html", context)


CITIZEN_ROWS = 20


def _citizen_requests_and_bookings(citizen) -> dict:
    """The citizen's latest service requests and bookings (newest first), for their tables."""
    requests = citizen.service_requests.select_related("location").order_by("-submitted_at", "-id")
    bookings = (
        Appointment.objects.filter(citizen=citizen)
        .select_related("slot__session__kecamatan", "service_request")
        .order_by("-slot__starts_at", "-id")
    )
    return {
        "requests": list(requests[:CITIZEN_ROWS]),
        "bookings": list(bookings[:CITIZEN_ROWS]),
    }


class AuditFilterForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("", gettext_lazy("all")), *AuditEvent.Kind.choices],
        required=False,
        label=gettext_lazy("kind"),
    )
    actor = forms.CharField(required=False, max_length=150, label=gettext_lazy("who"))
    what = forms.CharField(
        required=False, max_length=100, label=gettext_lazy("what"), help_text=gettext_lazy("e.g. citizen 42")
    )
    date = forms.DateField(
        required=False, label=gettext_lazy("date"), widget=forms.DateInput(attrs={"type": "date"})
    )


@staff_required
def audit_log(request):
    # Admins, and supervisors (roles.py grants them kudus_capil.view_auditevent, the nav shows it).
    if not request.user.has_perm("kudus_capil.view_auditevent"):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.select_related("actor").order_by("-created_at", "-id")
    if form.is_valid():
        if form.cleaned_data["kind"]:
            events = events.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["actor"]:
            events = events.filter(actor__username__icontains=form.cleaned_data["actor"])
        if form.cleaned_data["what"]:
            what = form.cleaned_data["what"]
            events = events.filter(Q(action__icontains=what) | Q(target__icontains=what))
        if form.cleaned_data["date"]:
            events = events.filter(created_at__date=form.cleaned_data["date"])
    page = paginate_without_count(events, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "dashboard/audit.html", {"form": form, "page": page, "query": query.urlencode()})


class StaffForm(forms.Form):
    username = forms.RegexField(regex=r"^[\w.@+-]{3,150}$", label=gettext_lazy("username"))
    email = forms.EmailField(required=False, label=gettext_lazy("e-mail"))
    role = forms.ChoiceField(choices=[(role, role) for role in ROLES], label=gettext_lazy("role"))
    kecamatan = forms.ModelMultipleChoiceField(
        queryset=Kecamatan.objects.all(),
        to_field_name="code",
        required=False,
        label=gettext_lazy("kecamatan"),
        widget=forms.CheckboxSelectMultiple,
    )
    password = forms.CharField(widget=forms.PasswordInput, label=gettext_lazy("password"), strip=False)


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
