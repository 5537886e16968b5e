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
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
DESA_GEOJSON = DATA / "kudus_desa.geojson"
KECAMATAN_GEOJSON = DATA / "kudus_kecamatan.geojson"

VIEW_WIDTH = 1000  # the viewBox width; the height follows the kabupaten's aspect ratio
MARGIN = 10
# Two desa rings closer than this (in degrees, ~25 m; a pixel of the map is ~28 m) share a border.
BORDER_TOLERANCE = 0.00022


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


Point = tuple[float, float]


def _distance_to_segment(p: Point, a: Point, b: Point) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _kecamatan_border_segments(desa_features: list[dict]) -> list[tuple[Point, Point]]:
    """The desa edges that run along a desa of another kecamatan: the kecamatan borders, drawn once
    (from the side of the lower kecamatan code). Neighbouring desa do not share their vertices in
    the source (each ring is digitised on its own), so an edge counts as shared when its midpoint
    lies within BORDER_TOLERANCE of the other desa's ring; a grid of cells that size finds the
    candidates."""
    cell = BORDER_TOLERANCE

    def cells_of(a: Point, b: Point):
        x0, x1 = sorted((a[0], b[0]))
        y0, y1 = sorted((a[1], b[1]))
        for i in range(math.floor(x0 / cell), math.floor(x1 / cell) + 1):
            for j in range(math.floor(y0 / cell), math.floor(y1 / cell) + 1):
                yield i, j

    segments: list[tuple[str, Point, Point]] = []
    grid: dict[tuple[int, int], list[int]] = {}
    for feature in desa_features:
        kecamatan = feature["properties"]["code"][:8]
        for ring in _rings(feature["geometry"]):
            for a, b in itertools.pairwise(tuple(map(tuple, ring))):
                if a == b:
                    continue
                for key in cells_of(a, b):
                    grid.setdefault(key, []).append(len(segments))
                segments.append((kecamatan, a, b))
    border = []
    for kecamatan, a, b in segments:
        middle = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        ci, cj = math.floor(middle[0] / cell), math.floor(middle[1] / cell)
        nearby = {n for di in (-1, 0, 1) for dj in (-1, 0, 1) for n in grid.get((ci + di, cj + dj), ())}
        if any(
            segments[n][0] > kecamatan
            and _distance_to_segment(middle, segments[n][1], segments[n][2]) <= cell
            for n in nearby
        ):
            border.append((a, b))
    return border


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
    # (tests/dashboard/test_coverage_map.py checks them against those outlines).
    parts, end = [], None
    for a, b in _kecamatan_border_segments(desa_features):  # in ring order: chained where they meet
        if a != end:
            parts.append("M{:.1f},{:.1f}".format(*project(*a)))
        parts.append("L{:.1f},{:.1f}".format(*project(*b)))
        end = b
    return MapGeometry(
        width=VIEW_WIDTH,
        height=height,
        kecamatan_borders="".join(parts),
        desa={s.code: s for s in map(shape, desa_features)},
        kecamatan={s.code: s for s in map(shape, kecamatan_features)},
    )
