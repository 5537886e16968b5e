"""The coverage map (the 132 desa coloured by a measure's gap) and the drill-down pages."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse

from dashboard.access import staff_required
from dashboard.coverage_map import coverage_drilldown, coverage_map, measure_or_default
from registrations.coverage import CoverageNotComputedError


@staff_required
def coverage_map_page(request):
    """The map of `?measure=` recording, printing, ikd or pemula (default recording); `?print=1`
    is the same page laid out for an A4 sheet (the print stylesheet does the rest)."""
    measure = measure_or_default(request.GET.get("measure"))
    try:
        data = coverage_map(user=request.user, measure=measure)
    except CoverageNotComputedError:
        data = None
    return render(
        request,
        "dashboard/coverage_map.html",
        {
            "map": data,
            "measure": measure,
            "nav": "map",
            "printable": request.GET.get("print") == "1",
            "kabupaten_code": settings.KUDUS_KABUPATEN_CODE,
        },
    )


@staff_required
def coverage_area(request, code: str):
    """One area's figures for the four measures and its children's (kabupaten → kecamatan → desa),
    the desa page leading to the residents behind each figure."""
    try:
        data = coverage_drilldown(user=request.user, code=code)
    except CoverageNotComputedError:
        data = None
    return render(
        request,
        "dashboard/coverage_area.html",
        {"area": data, "nav": "map", "citizens_url": reverse("dashboard:citizens")},
    )
