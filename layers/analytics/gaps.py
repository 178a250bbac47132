"""Coverage gaps drawn as geometry: where nobody owns, nobody patrolled, no grid cell covers, or a facility is out
of walking reach. Each gap is a GeoJSON feature with its `kind` and its size (metres of street, m² of area).

Kinds:
- ownership: a feature missing a role its coverage rule requires (streets, assessment points, grid cells);
- patrol: a street or point not inspected within its owners' patrol duty (or `inspected_within_days`);
- grid_gap / grid_overlap: parts of a community no grid cell covers, and overlaps between cells;
- service: parts of a community farther than `walk_m` from every facility of a type. Distances are straight-line
  buffers (pgRouting is not part of this deployment); the answer says so in `service_method`.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.sql import load
from layers.registry.assignments import today
from layers.registry.coverage import status_sql

KINDS = ("ownership", "patrol", "grid_gap", "grid_overlap", "service")
DEFAULT_PATROL_DAYS = 7  # places nobody owns are still expected to be walked weekly
MIN_AREA_M2 = 50.0  # slivers below this are digitising noise, not gaps
SERVICE_METHOD = "straight_line"


# The legend's sums: every gap a kind's statement finds (LIMIT NULL is no limit); the geometry column is never
# computed, as nothing outside reads it.
_MEASURES = {"ownership": ("length_m", "area_m2"), "patrol": ("length_m",), "grid_gap": ("area_m2",),
             "grid_overlap": ("area_m2",), "service": ("area_m2",)}


def _totals_sql(kind: str, sql: str) -> str:
    sums = "".join(f", coalesce(sum({m}), 0) AS {m}" if m in _MEASURES[kind] else f", 0 AS {m}"
                   for m in ("length_m", "area_m2"))
    return f"SELECT count(*) AS count{sums} FROM ({sql}) q"


def _covers_scope(session: Session, bbox: tuple[float, float, float, float], scope: str | None) -> bool:
    """Whether the box holds every region of the scope (a view of the whole city or 街道)."""
    return bool(session.execute(text(
        "SELECT ST_Extent(geom) @ ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490) FROM regions "
        "WHERE code LIKE :scope || '%'"), dict(zip(("x0", "y0", "x1", "y1"), bbox, strict=True), scope=scope or ""))
        .scalar())


def gaps(
    session: Session,
    *,
    kinds: list[str] | None = None,
    scope: str | None = None,
    layer: str | None = None,
    inspected_within_days: int | None = None,
    facility: str | None = None,
    walk_m: float = 1000.0,
    bbox: tuple[float, float, float, float] | None = None,
    min_area_m2: float = MIN_AREA_M2,
    limit: int = 20_000,
    geometry: bool = True,
) -> dict[str, Any]:
    """Gaps of each kind as GeoJSON (cut at `limit` per kind, listed in `truncated`); `summary` counts every gap in
    the view or region, cut or not. Without `geometry`, the summary alone (the coverage map draws the many-gap
    kinds from tiles and asks only for its legend)."""
    kinds = kinds or [k for k in KINDS if k != "service" or facility]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise InvalidInput(f"unknown gap kind {sorted(unknown)[0]!r}; kinds are {', '.join(KINDS)}", field="kind")
    if "service" in kinds and not facility:
        raise InvalidInput("service gaps need facility=<assessment point type>, e.g. 公共厕所", field="facility")
    if facility and not session.execute(text("SELECT 1 FROM point_types WHERE name = :f"), {"f": facility}).scalar():
        raise InvalidInput(f"unknown assessment point type {facility!r}", field="facility")
    if not 50 <= walk_m <= 10_000:
        raise InvalidInput("walk_m must be between 50 and 10000", field="walk_m")
    if inspected_within_days is not None and not 1 <= inspected_within_days <= 3650:
        raise InvalidInput("inspected_within_days must be between 1 and 3650", field="inspected_within_days")
    params = {"scope": scope or "", "on": today(session), "layer": layer, "family": None, "days":
              inspected_within_days, "default_days": DEFAULT_PATROL_DAYS, "facility": facility, "walk": walk_m,
              "min_area": min_area_m2, "limit": limit}
    if bbox and _covers_scope(session, bbox, scope):
        bbox = None  # the same answer without a box test per place (the city's view: ~0.3 s less)
    params.update(zip(("x0", "y0", "x1", "y1"), bbox or (None, None, None, None), strict=True))
    features: list[dict[str, Any]] = []
    truncated: list[str] = []
    totals: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        # One statement per kind in sql/gaps_<kind>.sql; ownership reads the coverage status head.
        sql = status_sql(load(__file__, "gaps_ownership")) if kind == "ownership" else load(__file__, f"gaps_{kind}")
        rows = session.execute(text(sql), params).mappings().all() if geometry else []
        if len(rows) >= limit or not geometry:
            # The legend counts what the rules find, not what was drawn: the same statement, every row.
            totals[kind] = dict(session.execute(text(_totals_sql(kind, sql)), {**params, "limit": None})
                                .mappings().one())
            if geometry:
                truncated.append(kind)  # the largest (or stalest) first; ask for a smaller region for the rest
        for r in rows:
            props = {k: v for k, v in r.items() if k != "g"}
            props["kind"] = kind
            for k, v in props.items():
                if hasattr(v, "isoformat"):
                    props[k] = v.isoformat()
            features.append({"type": "Feature", "geometry": json.loads(r["g"]), "properties": props})
    summary: dict[str, dict[str, float]] = {}
    for f in features:
        p = f["properties"]
        s = summary.setdefault(p["kind"], {"count": 0, "length_m": 0.0, "area_m2": 0.0})
        s["count"] += 1
        s["length_m"] += p.get("length_m") or 0.0
        s["area_m2"] += p.get("area_m2") or 0.0
    summary.update({k: {key: float(v or 0) for key, v in t.items()} for k, t in totals.items() if t["count"]})
    for s in summary.values():
        s["count"] = int(s["count"])
        s["length_m"], s["area_m2"] = round(s["length_m"], 1), round(s["area_m2"], 1)
    return {"type": "FeatureCollection", "features": features, "kinds": kinds, "summary": summary,
            "truncated": truncated,
            "service_method": SERVICE_METHOD if "service" in kinds else None}
