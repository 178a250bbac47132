"""Who owns each street, for the owners map: every segment in view with its current owners by role, and the
required roles it lacks under the coverage rules (an unowned street is drawn red).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.sql import load
from layers.registry.assignments import today

MAX_STREETS = 20_000


def street_owners(session: Session, *, scope: str | None, bbox: tuple[float, float, float, float] | None,
                  with_contact: bool, limit: int = MAX_STREETS) -> dict[str, Any]:
    x0, y0, x1, y1 = bbox or (None, None, None, None)
    cap = min(limit, MAX_STREETS)
    params = {"on": today(session), "scope": scope or "", "x0": x0, "y0": y0, "x1": x1, "y1": y1, "limit": cap,
              "contacts": with_contact}
    rows = session.execute(text(load(__file__, "owner_map")), params).mappings()
    features = []
    for r in rows:
        props = {k: v for k, v in r.items() if k != "g"}
        primary = [o for o in props["owners"] if o["primary"]]
        props["owned"] = bool(primary)
        props["colour_key"] = primary[0]["holder_key"] if primary else None
        if not with_contact:
            for o in props["owners"]:
                o.pop("phone", None)
        features.append({"type": "Feature", "id": r["id"], "geometry": json.loads(r["g"]), "properties": props})
    owned_m = sum(f["properties"]["length_m"] or 0 for f in features if f["properties"]["owned"])
    total_m = sum(f["properties"]["length_m"] or 0 for f in features)
    return {"type": "FeatureCollection", "features": features, "truncated": len(features) >= cap,
            "owned_km": round(owned_m / 1000, 2), "unowned_km": round((total_m - owned_m) / 1000, 2)}
