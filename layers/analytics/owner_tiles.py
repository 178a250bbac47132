"""Vector tiles of the owners map: every street segment, assessment point or grid cell with its primary owner (a
colour key and the names) and the roles its coverage rules require that nobody holds, so the whole city draws at
every zoom from tiles instead of a capped GeoJSON answer. The legend's totals never come from what was drawn:
`owner_map.totals` sums the same definition over the view or region on the server.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.mvt import BUFFER, EXTENT, tile_bounds
from gis.sql import load
from layers.registry.assignments import today

# Tile layer name → the layer whose places it draws.
LAYERS = {"owners_streets": "streets", "owners_assessment_points": "assessment_points",
          "owners_grid_cells": "grid_cells"}
FIELDS = {"id": "Number", "name": "String", "kind": "String", "colour_key": "String", "owner": "String",
          "owned": "Number", "required": "Number", "missing": "String"}
MIN_ZOOM = {"owners_streets": 8, "owners_assessment_points": 11, "owners_grid_cells": 11}
# Below ALL_FROM a street tile carries the main roads and every road a coverage rule requires (so each gap shows
# at every zoom); from ALL_FROM on, every lane too (a z12 tile holds a district: its thousands of branch lanes no rule
# asks about would be a grey carpet, not a picture).
ALL_FROM = 14
NAMES_FROM = 14
CAP = 50_000


def _sql(points: bool) -> str:
    buffer = 0 if points else BUFFER
    return load(__file__, "owner_tile").format(bounds=tile_bounds(4490, buffer), extent=EXTENT, buffer=buffer)


def owner_tile(session: Session, name: str, z: int, x: int, y: int, *, scope: str | None) -> bytes:
    if z < MIN_ZOOM[name]:
        return b""
    return places_tile(session, LAYERS[name], name, z, x, y, scope=scope)


def places_tile(session: Session, layer: str, name: str, z: int, x: int, y: int, *, scope: str | None,
                only_missing: bool = False) -> bytes:
    """The places of `layer` in the tile as MVT layer `name`; with `only_missing`, only those lacking a required
    role (the coverage map's gaps)."""
    params = {"z": z, "x": x, "y": y, "on": today(session), "layer": layer, "scope": scope or "", "cap": CAP,
              "all_from": ALL_FROM, "names_from": NAMES_FROM, "name": name,
              "only_missing": only_missing}
    return session.execute(text(_sql(layer == "assessment_points")), params).scalar() or b""
