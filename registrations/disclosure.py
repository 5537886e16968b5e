"""Small counts in public coverage figures (issue 13: `unrecorded: 1` for a desa points at a person).

The public sees a count from 1 to PUBLIC_COUNT_MIN - 1 as the text "<5" (primary suppression), and
the figures of the same area it could be worked out from are withheld as null (complementary
suppression inside one area: wajib KTP = recorded + unrecorded, and every percentage of a hidden
count). Zero stays visible. Staff (any role) see exact figures. Differencing across areas (a
kecamatan's total minus its other desa) is not prevented: the public may ask for both.
"""

from __future__ import annotations

import dataclasses

from django.conf import settings

from core.access import ALL_STAFF, has_role

COUNTS = ("wajib_ktp", "recorded", "unrecorded", "printed", "ikd_activated")


def sees_exact_counts(user) -> bool:
    """Staff with a role see exact coverage counts; the public and staff without a role do not."""
    return has_role(user, ALL_STAFF)


def small_count_text() -> str:
    return f"<{settings.PUBLIC_COUNT_MIN}"


def _small(value) -> bool:
    return isinstance(value, int) and 0 < value < settings.PUBLIC_COUNT_MIN


def suppress_small_counts(figures: dict) -> dict:
    """A public copy of one area's figures (an area of the overview, a history point or a
    projection area): small counts as "<5", what would reveal them as null."""
    out = dict(figures)
    hidden: set[str] = set()
    withheld: set[str] = set()
    if _small(figures.get("wajib_ktp")):
        # The whole base is small: every count of it is too, or reveals it.
        hidden = {name for name in COUNTS if figures.get(name)}
        withheld = {name for name in COUNTS if name in figures} - hidden
    else:
        if _small(figures.get("recorded")) or _small(figures.get("unrecorded")):
            pair = {"recorded", "unrecorded"} & set(figures)
            hidden |= {name for name in pair if _small(figures[name])}
            withheld |= pair - hidden  # the other one gives it away through wajib KTP
        for name in ("printed", "ikd_activated"):
            if _small(figures.get(name)):
                hidden.add(name)
    for name in hidden:
        out[name] = small_count_text()
    for name in withheld:
        out[name] = None
    for name in hidden | withheld:
        if f"{name}_pct" in out:
            out[f"{name}_pct"] = None
    if hidden & {"wajib_ktp", "recorded", "unrecorded"} or withheld & {"wajib_ktp", "recorded", "unrecorded"}:
        # Coverage and the projection's rates are worked out from recorded / unrecorded.
        for name in ("coverage_pct", "net_daily_change", "required_daily", "projected_date"):
            if name in out:
                out[name] = None
    return out


def public_overview(overview: dict) -> dict:
    out = dict(overview)
    out["kabupaten"] = suppress_small_counts(overview["kabupaten"])
    out["kecamatan"] = [suppress_small_counts(area) for area in overview["kecamatan"]]
    out["cohorts"] = {name: suppress_small_counts(area) for name, area in overview["cohorts"].items()}
    if "desa" in overview:
        out["desa"] = [suppress_small_counts(area) for area in overview["desa"]]
    return out


def _as_dict(area) -> dict:
    return dataclasses.asdict(area) if dataclasses.is_dataclass(area) else dict(area)


def public_projection(projection: dict) -> dict:
    out = dict(projection)
    out["kabupaten"] = suppress_small_counts(_as_dict(projection["kabupaten"]))
    out["kecamatan"] = [suppress_small_counts(_as_dict(area)) for area in projection["kecamatan"]]
    return out


def public_history_points(snapshots, fields: list[str]) -> list[dict]:
    """History points (CoverageSnapshot rows) as public figures: `fields` of each, suppressed."""
    return [suppress_small_counts({name: _point_value(s, name) for name in fields}) for s in snapshots]


def _point_value(snapshot, name: str):
    return snapshot.run_id if name == "run_id" else getattr(snapshot, name)
