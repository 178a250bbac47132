""""My" places for the field app: what the person linked to an account holds today (with their unit's places),
drawn on the phone by whether a patrol passed them today."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.sql import load
from layers.registry.assignments import today


def my_places(session: Session, person_id: int | None) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the person's current places (empty without a person), with counts."""
    features: list[dict[str, Any]] = []
    if person_id is not None:
        rows = session.execute(text(load(__file__, "my_places")),
                               {"on": today(session), "pid": person_id}).mappings()
        for r in rows:
            props = {k: v for k, v in r.items() if k != "g"}
            features.append({"type": "Feature", "id": f"{r['layer']}:{r['id']}", "geometry": json.loads(r["g"]),
                             "properties": props})
    done = sum(1 for f in features if f["properties"]["patrolled_today"])
    return {"type": "FeatureCollection", "person_id": person_id, "features": features,
            "patrolled_today": done, "total": len(features)}
