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
    exact = [r["exact_m"] or 0 for r in rows[:cap]]
    owned_m = sum(m for m, f in zip(exact, features, strict=True) if f["properties"]["owned"])
    owned = sum(1 for f in features if f["properties"]["owned"])
    # What the coverage rules require, as the coverage report and the home page count it (one definition): a
    # place is uncovered when a role its rules require is held by nobody; places no rule asks about do not count.
    uncovered = [f["properties"]["uncovered"] for f in features]
    required = [f["properties"]["required"] for f in features]
    return {"type": "FeatureCollection", "layer": layer, "features": features, "truncated": truncated,
            "owned_km": round(owned_m / 1000, 2), "unowned_km": round((sum(exact) - owned_m) / 1000, 2),
            "owned_count": owned, "unowned_count": len(features) - owned,
            "covered_km": round(sum(m for m, q, u in zip(exact, required, uncovered, strict=True) if q and not u)
                                / 1000, 2),
            "uncovered_km": round(sum(m for m, u in zip(exact, uncovered, strict=True) if u) / 1000, 2),
            "covered_count": sum(1 for q, u in zip(required, uncovered, strict=True) if q and not u),
            "uncovered_count": sum(uncovered)}
