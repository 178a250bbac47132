"""Walking reach over the street network: from every facility of each point type asked, how far one walks along
the streets, which grid cells are outside reach and how much of each community is inside.

- A facility joins the network at its nearest edge (a polygon at its nearest side); so does a unit's centre. The
  straight way onto the street counts in the walk; farther than `CCGRID_NETWORK_ACCESS_MAX_M`: not on the network.
  Where each joins is kept in `network_access` (layers/network/build.py keeps it); a row older than its feature
  is computed again here, so an answer never uses a stale one.
- One pgRouting Dijkstra per facility type from a start node tied to all its facilities (gis/graph.py).
- Units are the grid cells (a community without cells counts whole). **Criterion: the centre.** A unit is inside
  reach when the walk from the nearest facility to its centre (ST_PointOnSurface) is within the limit: a cell
  whose own streets are reached but whose centre is farther is outside (answered as `criterion: "centroid"`).
- A limit is metres or minutes at `CCGRID_WALK_SPEED_KMH`; a living circle (`living_circles`) names the types
  and minutes at once (the 15-minute circle of GB 50180-2018).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.graph import distances
from gis.settings import get_settings
from gis.sql import load

METHOD = "network"
CRITERION = "centroid"
MIN_WALK_M, MAX_WALK_M = 50.0, 10_000.0
MAX_TYPES = 20
WORK_MEM = "64MB"
# Streets both ways; a facility type's start node only outwards (reverse_cost < 0: no way back), else a walk could
# run through another type's start node from one of its facilities to another, as if teleported.
EDGES_SQL = ("SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM network_edges {where} "
             "UNION ALL SELECT id, source, target, cost, -1::float8 FROM reach_virtual")
_TEMP = ("reach_types", "reach_area", "reach_sources", "reach_virtual", "reach_nodes", "reach_spans",
         "reach_facility_edges", "reach_pieces", "reach_units", "reach_unit_dist", "reach_streets")


@dataclass(frozen=True)
class Facility:
    point_type: str
    walk_m: float


def metres_per_minute() -> float:
    return get_settings().walk_speed_kmh * 1000 / 60


def circles(session: Session) -> list[dict[str, Any]]:
    """The living circles and their facility types, minutes and metres."""
    speed = metres_per_minute()
    rows = session.execute(text("""
        SELECT c.code, c.name, c.minutes, c.source, f.point_type, coalesce(f.minutes, c.minutes) AS type_minutes
        FROM living_circles c LEFT JOIN living_circle_facilities f ON f.circle = c.code
        ORDER BY c.sort, c.code, f.sort, f.point_type""")).mappings().all()
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        c = out.setdefault(r["code"], {"code": r["code"], "name": r["name"], "minutes": r["minutes"],
                                       "walk_m": round(r["minutes"] * speed, 1), "source": r["source"],
                                       "facilities": []})
        if r["point_type"]:
            c["facilities"].append({"facility": r["point_type"], "minutes": r["type_minutes"],
                                    "walk_m": round(r["type_minutes"] * speed, 1)})
    return list(out.values())


def resolve(
    session: Session,
    *,
    facilities: list[str] | None = None,
    preset: str | None = None,
    walk_m: float | None = None,
    walk_min: float | None = None,
    default_walk_m: float = 1000.0,
) -> list[Facility]:
    """The facility types and each one's limit: those named (or the preset's), at `walk_m`, else `walk_min` at the
    walking speed, else the preset's minutes, else `default_walk_m`."""
    names = list(dict.fromkeys(f.strip() for f in facilities or [] if f and f.strip()))
    for value, field in [*((n, "facility") for n in names), (preset or "", "preset")]:
        if len(value) > 50 or "\x00" in value:
            raise InvalidInput("must be a name of at most 50 characters", field=field)
    circle_minutes: dict[str, float] = {}
    if preset:
        circle = next((c for c in circles(session) if preset in (c["code"], c["name"])), None)
        if circle is None:
            raise InvalidInput(f"unknown living circle {preset!r}", field="preset")
        circle_minutes = {f["facility"]: f["minutes"] for f in circle["facilities"]}
        names = names or list(circle_minutes)
    if not names:
        raise InvalidInput("name the facilities: facility=<assessment point type>, e.g. 公共厕所, or a preset",
                           field="facility")
    if len(names) > MAX_TYPES:
        raise InvalidInput(f"at most {MAX_TYPES} facility types at once", field="facility")
    known = set(session.execute(text("SELECT name FROM point_types WHERE name = ANY(:n)"), {"n": names}).scalars())
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidInput(f"unknown assessment point type {unknown[0]!r}", field="facility")
    if walk_m is not None and walk_min is not None:
        raise InvalidInput("give the reach as walk_m or as walk_min, not both", field="walk_min")
    speed = metres_per_minute()
    out = []
    for name in names:
        if walk_m is not None:
            limit = walk_m
        elif walk_min is not None:
            limit = walk_min * speed
        elif name in circle_minutes:
            limit = circle_minutes[name] * speed
        else:
            limit = default_walk_m
        if not MIN_WALK_M <= limit <= MAX_WALK_M:
            field = "walk_min" if walk_min is not None else "walk_m"
            raise InvalidInput(f"a walk must be between {MIN_WALK_M:.0f} and {MAX_WALK_M:.0f} m "
                               f"(got {limit:.0f} m)", field=field)
        out.append(Facility(name, round(float(limit), 3)))
    return out


def analyse(
    session: Session,
    facilities: list[Facility],
    *,
    scope: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    geometry: bool = True,
    limit: int = 20_000,
    together: set[str] | None = None,
) -> dict[str, Any]:
    """Reach from each facility type at its limit, over the units of `scope` (a region code prefix) in `bbox`.
    Answers per facility type, per community (and for the types in `together`, all of them when None, at once:
    `facility` None), and (with `geometry`) the units outside reach and the reached stretches of street in view as
    GeoJSON features, each list cut at `limit` (named in `truncated`)."""
    settings = get_settings()
    # Hash joins over (type × edge) rows, a few hundred thousand for a whole city, want more than the 4 MB default.
    session.execute(text("SELECT set_config('work_mem', :m, true)"), {"m": WORK_MEM})
    for t in _TEMP:
        session.execute(text(f"DROP TABLE IF EXISTS pg_temp.{t}"))
    top = session.execute(text("SELECT coalesce(max(id), 0) FROM network_nodes")).scalar_one()
    session.execute(text("CREATE TEMP TABLE reach_types (k int PRIMARY KEY, point_type text, limit_m float8, "
                         "super bigint, together boolean) ON COMMIT DROP"))
    rows = [{"k": i, "point_type": f.point_type, "limit_m": f.walk_m,
             "together": together is None or f.point_type in together} for i, f in enumerate(facilities, start=1)]
    session.execute(text("INSERT INTO reach_types SELECT k, point_type, limit_m, :top + k, together FROM "
                         "jsonb_to_recordset(CAST(:rows AS jsonb)) "
                         "AS r(k int, point_type text, limit_m float8, together boolean)"),
                    {"top": top, "rows": json.dumps(rows)})
    longest = max(f.walk_m for f in facilities)
    params: dict[str, Any] = {"scope": scope or "", "reach": longest + settings.network_access_max_m,
                              "access_max": settings.network_access_max_m, "limit": limit}
    params.update(zip(("x0", "y0", "x1", "y1"), bbox or (None, None, None, None), strict=True))
    session.execute(text(load(__file__, "reach_area")), params)
    session.execute(text(load(__file__, "reach_sources")), params)
    session.execute(text("CREATE INDEX ON reach_sources (k, edge_id)"))
    session.execute(text(load(__file__, "reach_virtual")), params)
    bounded = session.execute(text("SELECT env IS NOT NULL FROM reach_area")).scalar()
    where = "WHERE geom_m && (SELECT env FROM reach_area)" if bounded else ""
    starts = list(session.execute(text(
        "SELECT DISTINCT source FROM reach_virtual ORDER BY 1")).scalars())
    distances(session, edges_sql=EDGES_SQL.format(where=where), starts=starts, max_cost=longest)
    # The stretches themselves only to draw them; the street shares come from the spans.
    steps = ("reach_nodes", "reach_spans", "reach_facility_edges", *(("reach_pieces",) if geometry else ()),
             "reach_units", "reach_unit_dist", "reach_streets")
    for step in steps:
        session.execute(text(load(__file__, step)), params)
        if step in ("reach_nodes", "reach_units", "reach_facility_edges"):
            session.execute(text(f"ANALYZE {step}"))  # temporary tables have no statistics until asked
    names = {i: f.point_type for i, f in enumerate(facilities, start=1)}
    rows = [dict(r) for r in session.execute(text(load(__file__, "reach_communities")), params).mappings()]
    speed = metres_per_minute()
    summary = [_facility_row(r, [c for c in rows if c["k"] == r["k"]], speed) for r in
               session.execute(text(load(__file__, "reach_facilities")), params).mappings()]
    communities = [_community_row(r, names) for r in rows]
    out: dict[str, Any] = {"method": METHOD, "criterion": CRITERION, "speed_kmh": settings.walk_speed_kmh,
                           "facilities": summary, "communities": communities, "features": [], "truncated": []}
    if geometry:
        for kind, name in (("service", "reach_unreached_features"), ("reach", "reach_street_features")):
            rows = session.execute(text(load(__file__, name)), params).mappings().all()
            if len(rows) >= limit:
                out["truncated"].append(kind)
            out["features"] += [_feature(kind, r, speed) for r in rows]
    return out


def _facility_row(r: Any, communities: list[dict[str, Any]], speed: float) -> dict[str, Any]:
    area = sum(float(c["area_m2"]) for c in communities)
    outside = area - sum(float(c["reached_area_m2"]) for c in communities)
    km, reached = float(r["street_km"]), float(r["reached_street_km"])
    return {"facility": r["facility"], "walk_m": float(r["walk_m"]), "walk_min": round(r["walk_m"] / speed, 1),
            "facilities": r["facilities"], "on_network": r["sources"],
            "units": sum(c["units"] for c in communities), "unreached": sum(c["unreached"] for c in communities),
            "area_m2": round(area, 1), "unreached_area_m2": round(outside, 1),
            "area_share": round(1 - outside / area, 4) if area else None,
            "street_km": round(km, 3), "reached_street_km": round(reached, 3),
            "street_share": round(reached / km, 4) if km else None}


def _community_row(r: Any, names: dict[int, str]) -> dict[str, Any]:
    area, inside = float(r["area_m2"] or 0), float(r["reached_area_m2"] or 0)
    km, reached = float(r["street_km"] or 0), float(r["reached_street_km"] or 0)
    return {"code": r["code"], "name": r["name"], "facility": names.get(r["k"]),  # None: every type at once
            "area_m2": round(area, 1), "reached_area_m2": round(inside, 1),
            "share": round(inside / area, 4) if area else None, "street_km": round(km, 3),
            "reached_street_km": round(reached, 3), "street_share": round(reached / km, 4) if km else None}


def _feature(kind: str, r: Any, speed: float) -> dict[str, Any]:
    props = {k: v for k, v in r.items() if k != "g"}
    props["kind"] = kind
    if kind == "service":
        props["criterion"] = CRITERION
    else:
        props["layer"] = "streets"
        props["walk_min"] = round(props["mid_m"] / speed, 1)
    return {"type": "Feature", "geometry": json.loads(r["g"]), "properties": props}
