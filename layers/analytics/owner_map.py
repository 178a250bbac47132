"""Who owns each place, for the owners map: every street segment (or assessment point, or grid cell) in view with
its current owners by role, and the required roles it lacks under the coverage rules (an unowned place is drawn red).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.sql import load
from layers.registry.assignments import today

MAX_STREETS = 20_000
MAP_LAYERS = ("streets", "assessment_points", "grid_cells")


def street_owners(session: Session, *, scope: str | None, bbox: tuple[float, float, float, float] | None,
                  with_contact: bool, limit: int = MAX_STREETS, layer: str = "streets") -> dict[str, Any]:
    if layer not in MAP_LAYERS:
        raise InvalidInput(f"layer must be one of {', '.join(MAP_LAYERS)}", field="layer")
    x0, y0, x1, y1 = bbox or (None, None, None, None)
    cap = min(limit, MAX_STREETS)
    params = {"on": today(session), "scope": scope or "", "x0": x0, "y0": y0, "x1": x1, "y1": y1,
              "limit": cap + 1,  # one more than drawn says whether the layer was cut
              "contacts": with_contact, "layer": layer}
    rows = session.execute(text(load(__file__, "owner_map")), params).mappings().all()
    truncated = len(rows) > cap
    features = []
    for r in rows[:cap]:
        props = {k: v for k, v in r.items() if k not in ("g", "exact_m")}
        primary = [o for o in props["owners"] if o["primary"]]
        props["owned"] = bool(primary)
        props["uncovered"] = bool(props["missing"])  # a role its rules require is held by nobody
        props["colour_key"] = primary[0]["holder_key"] if primary else None
        if layer == "streets":
            props["road_class"] = props["kind"]
        if not with_contact:
            for o in props["owners"]:
                o.pop("phone", None)
        features.append({"type": "Feature", "id": r["id"], "geometry": json.loads(r["g"]), "properties": props})
    # Owned: a primary owner. Covered and uncovered by the coverage rules, as the coverage report and the home page
    # count them (one definition): uncovered when a role its rules require is held by nobody; places no rule asks
    # about are neither. Lengths unrounded, as the report sums them.
    metres = {"owned": 0.0, "covered": 0.0, "uncovered": 0.0, "all": 0.0}
    counts = {"owned": 0, "covered": 0, "uncovered": 0}
    for r, f in zip(rows[:cap], features, strict=True):
        p, m = f["properties"], r["exact_m"] or 0
        metres["all"] += m
        for kind, yes in (("owned", p["owned"]), ("covered", p["required"] and not p["uncovered"]),
                          ("uncovered", p["uncovered"])):
            if yes:
                metres[kind] += m
                counts[kind] += 1
    km = {k: round(v / 1000, 2) for k, v in metres.items()}
    return {"type": "FeatureCollection", "layer": layer, "features": features, "truncated": truncated,
            "owned_km": km["owned"], "unowned_km": round((metres["all"] - metres["owned"]) / 1000, 2),
            "owned_count": counts["owned"], "unowned_count": len(features) - counts["owned"],
            "covered_km": km["covered"], "uncovered_km": km["uncovered"],
            "covered_count": counts["covered"], "uncovered_count": counts["uncovered"]}


def totals(session: Session, *, layer: str = "streets", scope: str | None = None,
           bbox: tuple[float, float, float, float] | None = None) -> dict[str, Any]:
    """The legend of the owners map over everything in the view (or the region): counts and kilometres owned,
    covered and uncovered, by the coverage rules' definition, whatever the tiles drew."""
    if layer not in MAP_LAYERS:
        raise InvalidInput(f"layer must be one of {', '.join(MAP_LAYERS)}", field="layer")
    x0, y0, x1, y1 = bbox or (None, None, None, None)
    r = session.execute(text(load(__file__, "owner_map_totals")),
                        {"on": today(session), "layer": layer, "scope": scope or "", "x0": x0, "y0": y0, "x1": x1,
                         "y1": y1}).mappings().one()
    km = lambda m: round(float(m) / 1000, 2)  # noqa: E731
    return {"layer": layer, "places": r["places"], "owned_count": r["owned_count"],
            "unowned_count": r["places"] - r["owned_count"], "covered_count": r["covered_count"],
            "uncovered_count": r["uncovered_count"], "owned_km": km(r["owned_m"]),
            "unowned_km": km(r["all_m"] - r["owned_m"]), "covered_km": km(r["covered_m"]),
            "uncovered_km": km(r["uncovered_m"])}
