"""The coverage map and the drill-down pages: figures of the latest coverage run joined to the
desa/kecamatan shapes (regions.geometry), scoped to the user's kecamatan.

Colours are classes of fixed gap bands (the share of the measure's residents not yet served), so
the legend means the same thing for every measure and every day.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import Http404
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.access import kecamatan_scope
from regions.geometry import map_geometry
from regions.models import Desa, Kecamatan
from registrations.coverage_selectors import MEASURES, AreaGap, area_names, coverage_gaps
from registrations.models import CoverageSnapshot

Level = CoverageSnapshot.Level

MEASURE_LABELS = {
    "recording": gettext_lazy("Recording (wajib KTP not yet recorded)"),
    "printing": gettext_lazy("Printing (wajib KTP without a printed e-KTP)"),
    "ikd": gettext_lazy("IKD (wajib KTP without an activated IKD)"),
    "pemula": gettext_lazy("First-time voters not yet recorded"),
}
SHORT_LABELS = {
    "recording": gettext_lazy("Recording"),
    "printing": gettext_lazy("Printing"),
    "ikd": gettext_lazy("IKD"),
    "pemula": gettext_lazy("First-time voters"),
}
# Upper bounds (exclusive, in % of the measure's residents) of the gap bands g1..g5; g0 is no gap.
BANDS = (5, 10, 25, 50)


def gap_band(gap_pct: float | None) -> str:
    """The colour class of a gap share: g0 (nothing left) … g5 (half or more left); `nodata`."""
    if gap_pct is None:
        return "nodata"
    if gap_pct <= 0:
        return "g0"
    for index, upper in enumerate(BANDS, start=1):
        if gap_pct < upper:
            return f"g{index}"
    return f"g{len(BANDS) + 1}"


def legend() -> list[dict]:
    bounds = [0, *BANDS]
    items = [{"band": "g0", "label": _("no gap")}]
    for index, lower in enumerate(bounds, start=1):
        upper = BANDS[index - 1] if index <= len(BANDS) else None
        if upper is None:
            label = _("%(low)d%% or more") % {"low": lower}
        elif lower == 0:
            label = _("under %(high)d%%") % {"high": upper}
        else:
            label = _("%(low)d–%(high)d%%") % {"low": lower, "high": upper}
        items.append({"band": f"g{index}", "label": label})
    items.append({"band": "nodata", "label": _("no residents in this measure")})
    items.append({"band": "out", "label": _("outside your kecamatan")})
    return items


def measure_or_default(value: str | None) -> str:
    return value if value in MEASURES else "recording"


def _tip(name: str, gap: AreaGap | None, measure: str) -> str:
    if gap is None or not gap.base:
        return _("%(name)s: no residents in this measure") % {"name": name}
    return _("%(name)s: %(gap)s of %(base)s not yet served (%(pct)s%%)") % {
        "name": name,
        "gap": number_format(gap.gap, force_grouping=True),
        "base": number_format(gap.base, force_grouping=True),
        "pct": number_format(gap.gap_pct, decimal_pos=1),
    }


@dataclass(frozen=True)
class MapArea:
    code: str
    name: str
    d: str
    band: str
    tip: str
    in_scope: bool
    gap: AreaGap | None


def coverage_map(*, user, measure: str) -> dict:
    """The map of `measure`: every desa shape with its band and figure (greyed out, without a
    figure, outside the user's kecamatan), the kecamatan outlines and labels, the legend."""
    measure = measure_or_default(measure)
    geometry = map_geometry()
    data = coverage_gaps(measure=measure, levels=(Level.DESA,))
    gaps = data["areas"]
    scope = kecamatan_scope(user)
    desa_parent = dict(Desa.objects.values_list("code", "kecamatan_id"))
    areas = []
    for code, shape in geometry.desa.items():
        in_scope = scope is None or desa_parent.get(code) in scope
        gap = gaps.get(code) if in_scope else None
        areas.append(
            MapArea(
                code=code,
                name=shape.name,
                d=shape.d,
                band=gap_band(gap.gap_pct if gap else None) if in_scope else "out",
                tip=_tip(shape.name, gap, measure) if in_scope else shape.name,
                in_scope=in_scope,
                gap=gap,
            )
        )
    kecamatan = [
        {"shape": shape, "in_scope": scope is None or code in scope}
        for code, shape in geometry.kecamatan.items()
    ]
    return {
        "measure": measure,
        "measure_label": MEASURE_LABELS[measure],
        "measures": [{"key": key, "label": SHORT_LABELS[key]} for key in MEASURES],
        "view_box": geometry.view_box,
        "kecamatan_borders": geometry.kecamatan_borders,
        "areas": areas,
        "kecamatan": kecamatan,
        "legend": legend(),
        "run": data["run"],
        "scoped": scope is not None,
    }


# --- Drill-down ---------------------------------------------------------------------------------
def _rows(codes: list[str], names: dict[str, str], by_measure: dict[str, dict[str, AreaGap]]) -> list[dict]:
    rows = []
    for code in codes:
        row = {"code": code, "name": names.get(code, code), "measures": []}
        for measure in MEASURES:
            gap = by_measure[measure].get(code)
            row["measures"].append(
                {"key": measure, "gap": gap, "band": gap_band(gap.gap_pct if gap else None)}
            )
        rows.append(row)
    return rows


def coverage_drilldown(*, user, code: str) -> dict:
    """The four measures of an area (kabupaten, kecamatan or desa) and of its children, from the
    latest run. A kecamatan or desa outside the user's kecamatan is a 404; the kabupaten page shows
    every kecamatan's figures (aggregates, as the overview does) but links only into the user's."""
    scope = kecamatan_scope(user)
    if code == settings.KUDUS_KABUPATEN_CODE:
        level, parent_chain = Level.KABUPATEN, []
        children = list(Kecamatan.objects.order_by("code").values_list("code", flat=True))
        child_level = Level.KECAMATAN
    elif (kec := Kecamatan.objects.filter(code=code).first()) is not None:
        if scope is not None and code not in scope:
            raise Http404(code)
        level, parent_chain = Level.KECAMATAN, [settings.KUDUS_KABUPATEN_CODE]
        children = list(Desa.objects.filter(kecamatan=kec).order_by("code").values_list("code", flat=True))
        child_level = Level.DESA
    elif (desa := Desa.objects.filter(code=code).first()) is not None:
        if scope is not None and desa.kecamatan_id not in scope:
            raise Http404(code)
        level, parent_chain = Level.DESA, [settings.KUDUS_KABUPATEN_CODE, desa.kecamatan_id]
        children, child_level = [], None
    else:
        raise Http404(code)
    levels = (level,) + ((child_level,) if child_level else ())
    by_measure = {}
    run = None
    for measure in MEASURES:
        data = coverage_gaps(measure=measure, levels=levels)
        by_measure[measure] = data["areas"]
        run = data["run"]
    names = area_names(desa=level != Level.KABUPATEN)
    own = _rows([code], names, by_measure)[0]
    child_rows = _rows(children, names, by_measure)
    for row in child_rows:
        row["linked"] = child_level != Level.KECAMATAN or scope is None or row["code"] in scope
    return {
        "code": code,
        "name": names.get(code, code),
        "level": level,
        "child_level": child_level,
        "breadcrumbs": [{"code": c, "name": names.get(c, c)} for c in parent_chain],
        "area": own,
        "children": child_rows,
        "run": run,
        "measures": [{"key": key, "label": SHORT_LABELS[key]} for key in MEASURES],
    }
