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
        # One statement per kind in sql/gaps_<kind>.sql; ownership reads the coverage status head.
        sql = status_sql(load(__file__, "gaps_ownership")) if kind == "ownership" else load(__file__, f"gaps_{kind}")
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
