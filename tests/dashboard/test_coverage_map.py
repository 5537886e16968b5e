"""The coverage map (desa shapes coloured by a measure's gap, scoped) and the drill-down pages
(kabupaten → kecamatan → desa → residents) whose figures add up at every level."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import zoneinfo

import pytest
from django.conf import settings
from django.utils import translation

from dashboard.coverage_map import gap_classes
from regions.geometry import (
    DESA_GEOJSON,
    KECAMATAN_GEOJSON,
    _distance_to_segment,
    _kecamatan_border_segments,
    _load,
    _rings,
    map_geometry,
)
from regions.models import Desa, Kecamatan
from registrations.coverage import coverage_recompute
from registrations.eligibility import pemula_birth_range
from tests.factories import CitizenFactory, desa

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")
EARLIER = dt.datetime(2021, 3, 1, 9, 0, tzinfo=WIB)
KALIWUNGU_A, KALIWUNGU_B = "33.19.01.2001", "33.19.01.2002"


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def jati_desa() -> Desa:
    return Desa.objects.filter(kecamatan_id="33.19.03").order_by("code").first()


def path_class(page: str, code: str) -> str:
    match = re.search(rf'<path d="[^"]*" class="([a-z0-9]+)" data-code="{re.escape(code)}"', page)
    assert match, code
    return match.group(1)


@pytest.fixture
def world(regions):
    """Kaliwungu A: 4 wajib KTP adults, none recorded. Kaliwungu B: 4 recorded, 2 printed, 1 with
    IKD. A Jati desa: 3 adults, 1 recorded and printed, and one unrecorded first-time voter (an adult)."""
    a, b, jati = desa(KALIWUNGU_A), desa(KALIWUNGU_B), jati_desa()
    for year in (1970, 1971, 1972, 1973):
        CitizenFactory(desa=a, birth_date=dt.date(year, 1, 1))
    for i, year in enumerate((1980, 1981, 1982, 1983)):
        CitizenFactory(
            desa=b,
            birth_date=dt.date(year, 1, 1),
            recorded_at=EARLIER,
            printed_at=EARLIER if i < 2 else None,
            ikd_activated_at=EARLIER if i == 0 else None,
        )
    CitizenFactory(desa=jati, birth_date=dt.date(1990, 1, 1), recorded_at=EARLIER, printed_at=EARLIER)
    CitizenFactory(desa=jati, birth_date=dt.date(1991, 1, 1))
    CitizenFactory(desa=jati, birth_date=dt.date(1992, 1, 1))
    earliest, latest = pemula_birth_range(
        previous_election=settings.PREVIOUS_ELECTION_DATE, election=settings.ELECTION_DATE
    )
    CitizenFactory(desa=jati, birth_date=earliest + (latest - earliest) / 2)  # a first-time voter
    coverage_recompute()
    return {"a": a, "b": b, "jati": jati}


def test_the_geometry_has_every_desa_and_kecamatan_inside_the_view_box(regions):
    geometry = map_geometry()
    assert set(geometry.desa) == set(Desa.objects.values_list("code", flat=True))
    assert len(geometry.desa) == 132
    assert set(geometry.kecamatan) == set(Kecamatan.objects.values_list("code", flat=True))
    for shape in [*geometry.desa.values(), *geometry.kecamatan.values()]:
        numbers = [float(n) for n in re.findall(r"-?[0-9.]+", shape.d)]
        assert numbers and min(numbers) >= 0
        assert max(numbers[0::2]) <= geometry.width and max(numbers[1::2]) <= geometry.height
        assert 0 <= shape.label_x <= geometry.width and 0 <= shape.label_y <= geometry.height


def test_gap_classes_split_the_gaps_at_their_quintiles():
    classes = gap_classes([None, 0, *range(10, 0, -1)])
    assert classes.ranges == ((1, 2), (3, 4), (5, 6), (7, 8), (9, 10))
    assert [classes.band(p) for p in (None, 0, 1, 2, 3, 6, 8.5, 10, 40)] == [
        "nodata", "g0", "g1", "g1", "g2", "g3", "g5", "g5", "g5",
    ]  # fmt: skip
    with translation.override("id"):  # Indonesian first: a decimal comma
        assert [item["label"] for item in classes.legend()][1:3] == ["1,00–2,00%", "3,00–4,00%"]


def test_small_gaps_still_get_every_colour_and_equal_gaps_one_class():
    recording = gap_classes([0.12, 0.18, 0.25, 0.31, 0.44, 0.52, 0.67, 0.7, 0.81, 0.95])
    assert len(recording.ranges) == 5 and recording.band(0.12) == "g1" and recording.band(0.95) == "g5"
    with translation.override("en"):
        assert recording.legend()[1]["label"] == "0.12–0.18%"
    equal = gap_classes([0.3] * 7 + [0.9])
    assert equal.ranges == ((0.3, 0.3), (0.9, 0.9))
    assert (equal.band(0.3), equal.band(0.9)) == ("g4", "g5")  # the highest class stays darkest
    assert gap_classes([75.0]).band(75.0) == "g5" and gap_classes([]).band(0) == "g0"


def test_the_map_colours_each_desa_by_the_chosen_measure(as_user, supervisor, world):
    client = as_user(supervisor)
    recording = text(client.get("/dashboard/map/"))
    assert recording.count('" data-tip="') == 132
    assert path_class(recording, KALIWUNGU_A) == "g5"  # 4 of 4 not recorded
    assert path_class(recording, KALIWUNGU_B) == "g0"  # all recorded
    assert "Kaliwungu" in recording and 'class="legend"' in recording
    printing = text(client.get("/dashboard/map/?measure=printing"))
    # Classes compare the desa with a gap: 50% (B) is the lowest of three printing gaps.
    assert (path_class(printing, KALIWUNGU_B), path_class(printing, KALIWUNGU_A)) == ("g3", "g5")
    ikd = text(client.get("/dashboard/map/?measure=ikd"))
    assert path_class(ikd, KALIWUNGU_B) == "g4"  # 3 of 4, below the others' 100%
    assert re.search(r"3 of 4 not yet served \(75[.,]0%\)", ikd)
    pemula = text(client.get("/dashboard/map/?measure=pemula"))
    assert path_class(pemula, world["jati"].code) == "g5"
    assert path_class(pemula, KALIWUNGU_B) == "nodata"  # no first-time voters there
    # A desa with no residents at all has no figure, not a zero gap.
    assert path_class(recording, "33.19.09.2001") == "nodata"


def test_an_unknown_measure_falls_back_to_recording(as_user, supervisor, world):
    response = as_user(supervisor).get("/dashboard/map/?measure=%3Cscript%3E")
    assert response.status_code == 200
    assert path_class(text(response), KALIWUNGU_A) == "g5"


def test_an_operator_sees_only_the_figures_of_their_kecamatan(as_user, operator, world):
    page = text(as_user(operator).get("/dashboard/map/"))
    kaliwungu_desa = Desa.objects.filter(kecamatan_id="33.19.01").count()
    assert page.count('" data-tip="') == kaliwungu_desa
    assert path_class(page, world["jati"].code) == "out"
    assert f'href="/dashboard/areas/{world["jati"].code}/"' not in page
    assert "not yet served" not in re.search(rf'data-code="{world["jati"].code}">(.*?)</path>', page).group(1)


def test_an_operator_cannot_drill_into_another_kecamatan(as_user, operator, world):
    client = as_user(operator)
    assert client.get("/dashboard/areas/33.19.03/").status_code == 404
    assert client.get(f"/dashboard/areas/{world['jati'].code}/").status_code == 404
    assert client.get("/dashboard/areas/33.19.01/").status_code == 200
    kabupaten = text(client.get("/dashboard/areas/33.19/"))
    assert 'href="/dashboard/areas/33.19.01/"' in kabupaten
    assert 'href="/dashboard/areas/33.19.03/"' not in kabupaten


def test_an_unknown_area_is_a_404(as_user, supervisor, world):
    assert as_user(supervisor).get("/dashboard/areas/33.19.99/").status_code == 404


def figures_of(page: str) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """{child code: {measure: gap}} and the total row's {measure: gap} of a drill-down page."""
    rows: dict[str, dict[str, int]] = {}
    total: dict[str, int] = {}
    body, foot = page.split("<tfoot>")
    for code, cells in re.findall(r'<tr data-code="([0-9.]+)">(.*?)</tr>', body):
        rows[code] = {m: int(g) for m, g in re.findall(r'data-measure="(\w+)" data-gap="(\d+)"', cells)}
    for m, g in re.findall(r'data-measure="(\w+)" data-gap="(\d+)"', foot):
        total[m] = int(g)
    return rows, total


def test_the_figures_add_up_from_kabupaten_to_the_residents(as_user, supervisor, world):
    client = as_user(supervisor)
    kab_rows, kab_total = figures_of(text(client.get("/dashboard/areas/33.19/")))
    assert kab_total == {"recording": 7, "printing": 9, "ikd": 11, "pemula": 1}
    assert {m: sum(r[m] for r in kab_rows.values()) for m in kab_total} == kab_total
    for kec_code, kec_figures in kab_rows.items():
        desa_rows, kec_total = figures_of(text(client.get(f"/dashboard/areas/{kec_code}/")))
        assert kec_total == kec_figures
        assert {m: sum(r[m] for r in desa_rows.values()) for m in kec_total} == kec_total
        for desa_code, desa_figures in desa_rows.items():
            if not any(desa_figures.values()):
                continue
            page = text(client.get(f"/dashboard/areas/{desa_code}/"))
            _, desa_total = figures_of(page)
            assert desa_total == desa_figures
            # The residents behind each figure: the citizens list with the same filters.
            for measure, gap in desa_figures.items():
                href = re.search(rf'href="([^"]+)" data-testid="residents-{measure}"', page).group(1)
                listed = text(client.get(href.replace("&amp;", "&")))
                assert listed.count('<td class="mono">') == gap, (desa_code, measure)


def _near(point, segments, tolerance: float) -> bool:
    return any(_distance_to_segment(point, a, b) <= tolerance for a, b in segments)


def test_kecamatan_borders_follow_the_kecamatan_outlines_all_the_way(regions):
    """Checked against the source's own (coarse) kecamatan outlines: every drawn border segment lies
    near an outline shared by two kecamatan (no stray lines inside one), and every stretch of such a
    shared outline has a drawn border nearby (no gaps where two desa rings do not share vertices)."""
    desa_features, kecamatan_features = _load(DESA_GEOJSON), _load(KECAMATAN_GEOJSON)
    drawn = _kecamatan_border_segments(desa_features)
    outlines = {
        f["properties"]["code"]: [
            (tuple(a), tuple(b)) for ring in _rings(f["geometry"]) for a, b in itertools.pairwise(ring)
        ]
        for f in kecamatan_features
    }
    coarse = 0.004  # degrees (~450 m): how far the coarse outlines stray from the detailed desa
    shared = []  # points along the outlines where another kecamatan's outline is near
    for code, edges in outlines.items():
        others = [edge for other, more in outlines.items() if other != code for edge in more]
        for a, b in edges:
            steps = max(1, int(math.dist(a, b) / 0.002))
            for i in range(steps):
                point = (a[0] + (b[0] - a[0]) * i / steps, a[1] + (b[1] - a[1]) * i / steps)
                if _near(point, others, 0.001):  # another outline within ~110 m: a shared stretch
                    shared.append(point)
    assert len(shared) > 200
    all_outlines = [edge for edges in outlines.values() for edge in edges]
    midpoints = [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) for a, b in drawn]
    stray = [m for m in midpoints if not _near(m, all_outlines, coarse)]
    assert len(stray) <= len(midpoints) // 100, f"{len(stray)} border segments inside a kecamatan"
    gaps = [p for p in shared if not _near(p, drawn, coarse)]
    assert len(gaps) <= len(shared) // 100, (
        f"{len(gaps)} of {len(shared)} points of shared outline without a border"
    )
