"""The audit trail and access log, for admins and supervisors."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import render

from core.models import AuditEvent
from dashboard.access import staff_required
from dashboard.forms import AuditFilterForm
from dashboard.pagination import paginate_without_count


@staff_required
def audit_log(request):
    # Admins, and supervisors (roles.py grants them core.view_auditevent, the nav shows it).
    if not request.user.has_perm("core.view_auditevent"):
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
