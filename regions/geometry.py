"""The boundaries of the desa and kecamatan of Kudus as SVG path strings (the coverage map).

The GeoJSON files in regions/data/ (cahyadsn/wilayah_boundaries, MIT, see data/SOURCE.md) are
projected once per process onto an SVG viewBox: an equirectangular projection with the longitude
scaled by cos(latitude) at the kabupaten's centre (Kudus spans a quarter of a degree, so this is
exact to well under a pixel), y growing southwards. The result is cached: the map page only joins
figures to ready-made path strings.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
DESA_GEOJSON = DATA / "kudus_desa.geojson"
KECAMATAN_GEOJSON = DATA / "kudus_kecamatan.geojson"

VIEW_WIDTH = 1000  # the viewBox width; the height follows the kabupaten's aspect ratio
MARGIN = 10


@dataclass(frozen=True)
class Shape:
    code: str
    name: str
    d: str  # the SVG path data
    label_x: float
    label_y: float


@dataclass(frozen=True)
class MapGeometry:
    width: int
    height: int
    desa: dict[str, Shape]
    kecamatan: dict[str, Shape]
    kecamatan_borders: str  # the desa edges shared by two kecamatan

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def _rings(geometry: dict) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    if geometry["type"] == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    raise ValueError(f"unsupported geometry type {geometry['type']!r}")


def _load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)["features"]


@cache
def map_geometry() -> MapGeometry:
    """The projected desa and kecamatan shapes (computed once per process)."""
    desa_features = _load(DESA_GEOJSON)
    kecamatan_features = _load(KECAMATAN_GEOJSON)
    points = [pt for f in desa_features + kecamatan_features for ring in _rings(f["geometry"]) for pt in ring]
    min_lon = min(p[0] for p in points)
    max_lon = max(p[0] for p in points)
    min_lat = min(p[1] for p in points)
    max_lat = max(p[1] for p in points)
    kx = math.cos(math.radians((min_lat + max_lat) / 2))
    scale = (VIEW_WIDTH - 2 * MARGIN) / ((max_lon - min_lon) * kx)
    height = math.ceil((max_lat - min_lat) * scale + 2 * MARGIN)

    def project(lon: float, lat: float) -> tuple[float, float]:
        return (MARGIN + (lon - min_lon) * kx * scale, MARGIN + (max_lat - lat) * scale)

    def shape(feature: dict) -> Shape:
        parts = []
        for ring in _rings(feature["geometry"]):
            coords = [project(lon, lat) for lon, lat in ring]
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in coords) + "Z")
        props = feature["properties"]
        label_x, label_y = project(*props["label_point"])
        return Shape(
            code=props["code"],
            name=props["name"],
            d="".join(parts),
            label_x=round(label_x, 1),
            label_y=round(label_y, 1),
        )

    # The kecamatan outlines of the source are coarse: their borders are drawn from the desa edges
    # instead.
    edges: dict[str, Counter] = {}
    for feature in desa_features:
        counter = edges.setdefault(feature["properties"]["code"][:8], Counter())
        for ring in _rings(feature["geometry"]):
            for a, b in itertools.pairwise(ring):
                counter[tuple(sorted((tuple(a), tuple(b))))] += 1
    # Kept: edges shared with a desa of another kecamatan (an exact vertex match in the source);
    # edges no other desa shares are left out, as unmatched interior ones would draw as stray lines.
    seen_in = Counter(edge for counter in edges.values() for edge in counter)
    border = set()
    for counter in edges.values():
        border.update(edge for edge, n in counter.items() if n == 1 and seen_in[edge] > 1)
    parts = []
    for a, b in sorted(border):
        (x1, y1), (x2, y2) = project(*a), project(*b)
        parts.append(f"M{x1:.1f},{y1:.1f}L{x2:.1f},{y2:.1f}")
    return MapGeometry(
        width=VIEW_WIDTH,
        height=height,
        kecamatan_borders="".join(parts),
        desa={s.code: s for s in map(shape, desa_features)},
        kecamatan={s.code: s for s in map(shape, kecamatan_features)},
    )
