"""The school visit planner: the attendance list of a school for a visit day (printable, CSV/XLSX)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django import forms
from django.contrib import messages
from django.core.exceptions import BadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.access import DESK_STAFF, SESSION_MANAGERS
from core.exceptions import ApplicationError
from core.exports import export_response
from dashboard.access import roles_required
from dashboard.exports import export_allowed, export_audit, export_check, export_format
from dashboard.targets import plan_session_url
from registrations.school_visits import school_visit_students
from registrations.selectors import can_see_full_personal_data
from schedules.models import SessionKind
from schedules.services.school_sessions import school_session_plan

SERVICE_LABELS = {
    "recording": gettext_lazy("recording"),
    "printing": gettext_lazy("printing"),
    "ikd_activation": gettext_lazy("IKD activation"),
}
EXPORT_LABELS = (
    gettext_lazy("NIK"),
    gettext_lazy("full name"),
    gettext_lazy("sex"),
    gettext_lazy("age on the visit day"),
    gettext_lazy("birth year"),
    gettext_lazy("desa"),
    gettext_lazy("services needed"),
)


class SchoolVisitForm(forms.Form):
    school = forms.CharField(max_length=150, label=gettext_lazy("school"))
    date = forms.DateField(
        label=gettext_lazy("visit date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean_date(self):
        day = self.cleaned_data["date"]
        if not (dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31)):
            raise forms.ValidationError(gettext_lazy("Choose a date between 2000 and 2100."))
        return day


def _students(request, data=None):
    form = SchoolVisitForm(data if data is not None else (request.GET or None))
    if not form.is_valid():
        return form, None
    full_nik = can_see_full_personal_data(request.user)
    students = school_visit_students(
        user=request.user,
        school=form.cleaned_data["school"],
        visit_date=form.cleaned_data["date"],
        full_nik=full_nik,
    )
    return form, students


@roles_required(DESK_STAFF)
def school_visit(request):
    """`?school=&date=`: who to expect on the visit day, each with the services needed; `print=1`
    is the A4 attendance list with a checkbox per student and service."""
    form, students = _students(request)
    context = {
        "form": form,
        "students": students,
        "nav": "targets",
        "may_export": export_allowed(request.user),
    }
    if students is not None:
        needed = {key: sum(key in s.services for s in students) for key in SERVICE_LABELS}
        services = [key for key, n in needed.items() if n]
        context.update(
            school=form.cleaned_data["school"],
            visit_date=form.cleaned_data["date"],
            needed=[{"key": k, "label": SERVICE_LABELS[k], "n": needed[k]} for k in SERVICE_LABELS],
            year_groups=_year_groups(students),
            service_labels=SERVICE_LABELS,
            query=request.GET.urlencode(),
            plan_url=plan_session_url(
                kind=SessionKind.SCHOOL, kecamatan=None, venue=form.cleaned_data["school"], services=services
            )
            + f"&date={form.cleaned_data['date']:%Y-%m-%d}",
            printable=request.GET.get("print") == "1",
        )
    return render(request, "dashboard/school_visit.html", context)


def _year_groups(students) -> list[dict]:
    """The list as printed: by birth year (the students come ordered by it), each student with one
    flag per service column (the template's inner loop stays cheap for a school of 2,000)."""
    groups: list[dict] = []
    for student in students:
        if not groups or groups[-1]["year"] != student.birth_year:
            groups.append({"year": student.birth_year, "rows": []})
        checks = [key in student.services for key in SERVICE_LABELS]
        groups[-1]["rows"].append({"student": student, "checks": checks})
    return groups


@roles_required(SESSION_MANAGERS)
@require_POST
def school_visit_plan(request):
    """Create the school session of the list (as listed now, recomputed here): unpublished, with a
    place for every student; then its page. Errors go back to the list with the message."""
    form, students = _students(request, data=request.POST)
    if students is None:
        raise BadRequest("school and date are required")
    school, day = form.cleaned_data["school"], form.cleaned_data["date"]
    back = f"{reverse('dashboard:school-visit')}?{urlencode({'school': school, 'date': day.isoformat()})}"
    kecamatan = Counter(s.kecamatan for s in students).most_common(1)
    services = [key for key in SERVICE_LABELS if any(key in s.services for s in students)]
    try:
        session = school_session_plan(
            school=school,
            date=day,
            expected=len(students),
            services=services,
            kecamatan=kecamatan[0][0] if kecamatan else "",
            actor=request.user,
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(back)
    messages.success(
        request,
        _("School session created, not published: %(places)s places for %(count)s students.")
        % {"places": session.slot_capacity * session.slots.count(), "count": len(students)},
    )
    return redirect("dashboard:session", pk=session.pk)


@roles_required(DESK_STAFF)
def school_visit_export(request):
    export_check(request)
    file_format = export_format(request)
    form, students = _students(request)
    if students is None:
        raise BadRequest("school and date are required")
    full_nik = can_see_full_personal_data(request.user)
    export_audit(
        request, what="school visit list", format=file_format, filters=request.GET.dict(), full_nik=full_nik
    )
    rows = (
        (
            s.nik,
            s.full_name,
            s.sex,
            s.age,
            s.birth_year,
            s.desa,
            ", ".join(str(SERVICE_LABELS[k]) for k in s.services),
        )
        for s in students
    )
    name = f"kunjungan-{slugify(form.cleaned_data['school'])[:40]}-{form.cleaned_data['date']:%Y%m%d}"
    return export_response(rows, [str(label) for label in EXPORT_LABELS], name, file_format)
