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
from layers.registry.assignments import today
from layers.registry.coverage import _STATUS

KINDS = ("ownership", "patrol", "grid_gap", "grid_overlap", "service")
DEFAULT_PATROL_DAYS = 7  # places nobody owns are still expected to be walked weekly
MIN_AREA_M2 = 50.0  # slivers below this are digitising noise, not gaps
SERVICE_METHOD = "straight_line"


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
) -> dict[str, Any]:
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
    params.update(zip(("x0", "y0", "x1", "y1"), bbox or (None, None, None, None), strict=True))
    features: list[dict[str, Any]] = []
    truncated: list[str] = []
    for kind in kinds:
        sql = {"ownership": _OWNERSHIP, "patrol": _PATROL, "grid_gap": _GRID_GAP, "grid_overlap": _GRID_OVERLAP,
               "service": _SERVICE}[kind]
        rows = session.execute(text(sql), params).mappings().all()
        if len(rows) >= limit:
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
    for s in summary.values():
        s["length_m"], s["area_m2"] = round(s["length_m"], 1), round(s["area_m2"], 1)
    return {"type": "FeatureCollection", "features": features, "kinds": kinds, "summary": summary,
            "truncated": truncated,
            "service_method": SERVICE_METHOD if "service" in kinds else None}


_GEOM_OF = """(CASE s.layer WHEN 'streets' THEN (SELECT geom FROM streets WHERE id = s.id)
                    WHEN 'assessment_points' THEN (SELECT geom FROM assessment_points WHERE id = s.id)
                    ELSE (SELECT geom FROM grid_cells WHERE id = s.id) END)"""

# Features missing a required role, one row per feature with the roles it lacks.
_OWNERSHIP = _STATUS + f"""
SELECT s.layer, s.id, s.code, s.name, s.region_code, s.kind AS feature_kind,
       string_agg(DISTINCT s.role_family, ',') AS missing_roles,
       (SELECT string_agg(DISTINCT o.name, '/') FROM owner_roles o
        WHERE o.family = ANY(array_agg(s.role_family))) AS missing_role_names,
       max(s.length_m) AS length_m,
       (SELECT area_m2 FROM grid_cells WHERE s.layer = 'grid_cells' AND id = s.id) AS area_m2,
       ST_AsGeoJSON(max({_GEOM_OF}), 6, 0) AS g
FROM status s WHERE NOT s.covered AND s.layer IN ('streets', 'assessment_points', 'grid_cells')
  AND (CAST(:x0 AS float8) IS NULL OR {_GEOM_OF} && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490))
GROUP BY s.layer, s.id, s.code, s.name, s.region_code, s.kind
ORDER BY s.layer, s.code LIMIT :limit
"""

# Streets and points whose last inspection (patrol track or visit) is older than their owners' shortest duty.
_PATROL = """
WITH duty AS (
    SELECT a.layer, a.feature_id, min(r.patrol_every_days) AS days
    FROM assignments_on(:on) a JOIN owner_roles r ON r.code = a.role
    WHERE a.layer IN ('streets', 'assessment_points') AND r.patrol_every_days IS NOT NULL
    GROUP BY 1, 2),
places AS (
    SELECT 'streets' AS layer, id, code, name, region_code, length_m, geom FROM streets
    UNION ALL
    SELECT 'assessment_points', id, code, name, region_code, NULL, geom FROM assessment_points),
walked AS (SELECT layer, feature_id, max(at) AS at FROM patrol_hits GROUP BY 1, 2),
visited AS (SELECT point_id, max(visited_at) AS at FROM inspection_visits GROUP BY 1),
last AS (
    SELECT pl.*, coalesce(CAST(:days AS int), d.days, :default_days) AS duty_days,
           greatest(w.at, v.at) AS last_inspected
    FROM places pl LEFT JOIN duty d ON d.layer = pl.layer AND d.feature_id = pl.id
    LEFT JOIN walked w ON w.layer = pl.layer AND w.feature_id = pl.id
    LEFT JOIN visited v ON pl.layer = 'assessment_points' AND v.point_id = pl.id
    WHERE coalesce(pl.region_code, '') LIKE :scope || '%' AND (CAST(:layer AS text) IS NULL OR pl.layer = :layer)
      AND (CAST(:x0 AS float8) IS NULL OR pl.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490)))
SELECT layer, id, code, name, region_code, length_m, duty_days, last_inspected,
       floor(extract(epoch FROM now() - last_inspected) / 86400)::int AS days_since, ST_AsGeoJSON(geom, 6, 0) AS g
FROM last WHERE last_inspected IS NULL OR last_inspected < now() - make_interval(days => duty_days)
ORDER BY last_inspected NULLS FIRST, layer, code LIMIT :limit
"""

# Parts of each community that no grid cell covers, and overlaps between cells: kept current by triggers on the
# grid and the communities (migration 0009), so a request reads rows instead of unioning the city's cells.
_GRID_GAP = """
SELECT r.code AS region_code, r.name, round(p.area_m2::numeric, 1)::float AS area_m2,
       ST_AsGeoJSON(ST_Transform(p.geom_m, 4490), 6, 0) AS g
FROM grid_gap_pieces p JOIN regions r ON r.id = p.community_id
WHERE r.code LIKE :scope || '%' AND p.area_m2 >= :min_area
  AND (CAST(:x0 AS float8) IS NULL OR r.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490))
ORDER BY p.area_m2 DESC LIMIT :limit
"""

# Where two grid cells overlap (交叉: shown so it can be fixed or accepted).
_GRID_OVERLAP = """
SELECT a.code AS code, b.code AS other_code, a.region_code, round(o.area_m2::numeric, 1)::float AS area_m2,
       ST_AsGeoJSON(ST_Transform(o.geom_m, 4490), 6, 0) AS g
FROM grid_overlap_pieces o JOIN grid_cells a ON a.id = o.cell_a JOIN grid_cells b ON b.id = o.cell_b
WHERE (a.region_code LIKE :scope || '%' OR b.region_code LIKE :scope || '%') AND o.area_m2 >= :min_area
  AND (CAST(:x0 AS float8) IS NULL OR a.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490))
ORDER BY o.area_m2 DESC LIMIT :limit
"""

# Parts of each community beyond walking reach of every facility of the type (straight-line buffers).
_SERVICE = """
WITH reach AS (
    SELECT ST_Union(ST_Buffer(geom_m, :walk, 16)) AS geom FROM assessment_points WHERE point_type = :facility),
pieces AS (
    SELECT r.code, r.name, (ST_Dump(CASE WHEN reach.geom IS NULL THEN r.geom_m
                                     ELSE ST_Difference(r.geom_m, reach.geom) END)).geom AS geom
    FROM regions r, reach WHERE r.level = 'community' AND r.code LIKE :scope || '%'
      AND (CAST(:x0 AS float8) IS NULL OR r.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490)))
SELECT code AS region_code, name, :facility AS facility, :walk AS walk_m,
       round(ST_Area(geom)::numeric, 1)::float AS area_m2, ST_AsGeoJSON(ST_Transform(geom, 4490), 6, 0) AS g
FROM pieces WHERE ST_Area(geom) >= :min_area ORDER BY ST_Area(geom) DESC LIMIT :limit
"""
