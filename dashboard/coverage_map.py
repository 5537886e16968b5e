"""The coverage map and the drill-down pages: figures of the latest coverage run joined to the
desa/kecamatan shapes (regions.geometry), scoped to the user's kecamatan.

Colours are classes of the gap (the share of the measure's residents not yet served), split at the
quintiles of the desa the user sees, for the chosen measure: the point of the map is where to go
first, and fixed bands painted the whole kabupaten one colour (recording gaps are all under 1%,
IKD gaps all over 50%). The legend gives each class's range of actual figures; no gap has a class
of its own, and the highest class is always the darkest colour.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
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
CLASSES = 5  # colour classes g1..g5 for a gap; g0 is no gap


def _pct(value: float) -> str:
    return number_format(value, decimal_pos=2 if value < 10 else 1)


@dataclass(frozen=True)
class GapClasses:
    """The classes of one measure's gaps: `ranges` are (lowest, highest) of each class in %."""

    ranges: tuple[tuple[float, float], ...]

    def band(self, gap_pct: float | None) -> str:
        """g0 (nothing left) … g5 (the highest class); `nodata` without residents."""
        if gap_pct is None:
            return "nodata"
        if gap_pct <= 0 or not self.ranges:
            return "g0"
        shift = CLASSES - len(self.ranges)  # fewer classes: the top one still darkest
        for index, (_low, high) in enumerate(self.ranges, start=1):
            if gap_pct <= high:
                return f"g{index + shift}"
        return f"g{CLASSES}"

    def legend(self) -> list[dict]:
        items = [{"band": "g0", "label": _("no gap")}]
        for low, high in self.ranges:
            label = f"{_pct(high)}%" if low == high else f"{_pct(low)}–{_pct(high)}%"
            items.append({"band": self.band(high), "label": label})
        items.append({"band": "nodata", "label": _("no residents in this measure")})
        return items


def gap_classes(gap_pcts: Iterable[float | None]) -> GapClasses:
    """Up to five classes of the positive gaps, split at their quintiles (equal values stay in
    one class)."""
    values = sorted(p for p in gap_pcts if p is not None and p > 0)
    ranges: list[tuple[float, float]] = []
    start = 0
    for k in range(1, CLASSES + 1):
        end = max(start, math.ceil(k * len(values) / CLASSES) - 1)
        if start >= len(values):
            break
        while end + 1 < len(values) and values[end + 1] == values[end]:
            end += 1  # a value never straddles two classes
        ranges.append((values[start], values[end]))
        start = end + 1
    return GapClasses(tuple(ranges))


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
    visible = {code for code in geometry.desa if scope is None or desa_parent.get(code) in scope}
    classes = gap_classes(gaps[code].gap_pct for code in visible if code in gaps)
    areas = []
    for code, shape in geometry.desa.items():
        in_scope = code in visible
        gap = gaps.get(code) if in_scope else None
        areas.append(
            MapArea(
                code=code,
                name=shape.name,
                d=shape.d,
                band=classes.band(gap.gap_pct if gap else None) if in_scope else "out",
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
        "legend": classes.legend()
        + ([{"band": "out", "label": _("outside your kecamatan")}] if scope else []),
        "run": data["run"],
        "scoped": scope is not None,
    }


# --- Drill-down ---------------------------------------------------------------------------------
def _rows(
    codes: list[str],
    names: dict[str, str],
    by_measure: dict[str, dict[str, AreaGap]],
    classes: dict[str, GapClasses],
) -> list[dict]:
    rows = []
    for code in codes:
        row = {"code": code, "name": names.get(code, code), "measures": []}
        for measure in MEASURES:
            gap = by_measure[measure].get(code)
            band = classes[measure].band(gap.gap_pct if gap else None)
            row["measures"].append({"key": measure, "gap": gap, "band": band})
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
    # The colours compare the areas listed: the children; on a desa page, the desa of its kecamatan.
    compared = (
        set(children)
        if children
        else set(Desa.objects.filter(kecamatan_id=parent_chain[-1]).values_list("code", flat=True))
    )
    classes = {
        m: gap_classes(gap.gap_pct for c, gap in by_measure[m].items() if c in compared) for m in MEASURES
    }
    own = _rows([code], names, by_measure, classes)[0]
    child_rows = _rows(children, names, by_measure, classes)
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
