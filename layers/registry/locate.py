"""What is at a location: regions, grid cell, nearest street segment, assessment point."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import NotFound
from gis.settings import get_settings
from gis.sql import load
from layers.access.caller import Caller
from layers.registry.assignments import owners_of

# Place kinds at a spot, in the order owners are listed, with the layer their owners are assigned on.
_PLACES = (("regions", "district"), ("regions", "subdistrict"), ("regions", "community"),
           ("grid_cells", "grid_cell"), ("streets", "street"), ("assessment_points", "assessment_point"))


def _num(d: Any) -> Any:
    if d is None:
        return None
    return {
        k: (float(v) if k in ("distance_m", "length_m", "area_m2") and v is not None else v)
        for k, v in dict(d).items()
    }


def locate(
    session: Session,
    lon: float,
    lat: float,
    *,
    caller: Caller,
    point_radius_m: float = 100.0,
    with_contact: bool = False,
) -> dict[str, Any]:
    """What is at a spot. A scoped caller sees the regions above their own and those inside it, but no sibling
    街道 or 社区 and no cell, street, point or owner outside their region."""
    scope = caller.scope
    radius = get_settings().locate_street_radius_m
    params = {"lon": lon, "lat": lat, "radius": radius, "pradius": point_radius_m, "scope": scope or ""}
    regions = session.execute(text(load(__file__, "locate_regions")), params).mappings().all()
    if not regions:
        raise NotFound(f"({lon}, {lat}) is outside every region of the city", field="lon")
    # Ancestors (the outline a scoped caller works within) and regions inside the scope; never a neighbour's.
    by_level = {r["level"]: dict(r) for r in regions
                if caller.covers(r["code"]) or (scope or "").startswith(r["code"])}

    def nearest(name: str) -> Any:
        return _num(session.execute(text(load(__file__, name)), params).mappings().one_or_none())

    found = {
        "lon": lon,
        "lat": lat,
        "district": by_level.get("district"),
        "subdistrict": by_level.get("subdistrict"),
        "community": by_level.get("community"),
        "grid_cell": nearest("locate_cell"),
        "street": nearest("locate_street"),
        "assessment_point": nearest("locate_point"),
    }
    # Everyone responsible at this spot, place by place (定人、定点).
    owners = []
    for layer, key in _PLACES:
        if found[key] and found[key]["code"].startswith(scope or ""):
            for o in owners_of(session, layer, found[key]["id"], with_contact=with_contact):
                owners.append({"place": key, "place_code": found[key]["code"], **o})
    found["owners"] = owners
    return found
