"""Jemput-bola targets: where to go next, and their export."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone

from core.access import kecamatan_scope
from core.exports import export_response
from dashboard.access import staff_required
from dashboard.exports import export_allowed, export_audit, export_check, export_format
from dashboard.forms import TargetsFilterForm
from dashboard.targets import TARGET_EXPORT_LABELS, targets_for_planning
from regions.models import Kecamatan
from registrations.coverage import CoverageNotComputedError
from registrations.coverage_selectors import coverage_export_rows
from registrations.selectors import can_see_full_personal_data


@staff_required
def targets(request):
    """Where to send the next jemput-bola team: desa and schools by unrecorded residents."""
    scope = kecamatan_scope(request.user)
    params = None
    if request.GET:
        params = request.GET.copy()  # a filter left out shows its default, not the first choice
        for name in ("limit", "measure"):
            params.setdefault(name, str(TargetsFilterForm.base_fields[name].initial))
    form = TargetsFilterForm(params, scope=scope)
    kecamatan, limit, measure, until = None, 20, "recording", None
    if form.is_valid():
        kecamatan = form.cleaned_data["kecamatan"].code if form.cleaned_data["kecamatan"] else None
        limit = form.cleaned_data["limit"] or 20
        measure = form.cleaned_data["measure"] or "recording"
        until = form.cleaned_data["until"]
    try:
        data = targets_for_planning(
            user=request.user, limit=limit, kecamatan=kecamatan, measure=measure, until=until
        )
    except CoverageNotComputedError:
        data = None
    areas = Kecamatan.objects.order_by("code")
    if scope is not None:
        areas = areas.filter(code__in=scope)
    return render(
        request,
        "dashboard/targets.html",
        {
            "form": form,
            "targets": data,
            "kecamatan_choices": areas,
            "may_export": export_allowed(request.user),
            "kabupaten_code": None if scope is not None else settings.KUDUS_KABUPATEN_CODE,
            "nav": "targets",
        },
    )


@staff_required
def targets_export(request):
    """The unrecorded eligible residents of an area (`?area=` kabupaten, kecamatan or desa code) as
    CSV or XLSX for field teams; NIKs masked unless the role may see them."""
    export_check(request)
    file_format = export_format(request)
    area = request.GET.get("area", "")
    full_nik = can_see_full_personal_data(request.user)
    rows = coverage_export_rows(area_code=area, user=request.user, full_nik=full_nik)  # 404 out of scope
    export_audit(
        request, what="unrecorded residents", format=file_format, filters={"area": area}, full_nik=full_nik
    )
    columns = [str(label) for label in TARGET_EXPORT_LABELS]
    filename = f"belum-rekam-{area}-{timezone.localdate():%Y%m%d}"
    return export_response(rows, columns, filename, file_format)
