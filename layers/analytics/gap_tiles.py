"""Vector tiles of the coverage map's gaps that can be many (无人负责 and 未按期巡查), so a whole city draws without a
cap; the few large polygons (grid gaps and overlaps, service reach) stay GeoJSON. The legend's totals come from
`gaps.gaps(..., geometry=False)` over the whole view, never from what the tiles drew.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput, NotFound
from gis.mvt import BUFFER, EXTENT, check_tile, tile_bounds
from gis.sql import load
from layers.analytics.gaps import DEFAULT_PATROL_DAYS
from layers.analytics.owner_tiles import places_tile
from layers.registry.assignments import today

KINDS = ("ownership", "patrol")
PLACE_LAYERS = ("streets", "assessment_points", "grid_cells")
# Below these zooms the tiles are empty and the legend still counts every gap: 47,719 unpatrolled places of a
# city drawn at z11 are an orange carpet hiding the 无人负责 ones, not a picture (and cost a second of tiles).
MIN_ZOOM = {"ownership": 8, "patrol": 13}
CAP = 50_000


def gap_tile(session: Session, kind: str, z: int, x: int, y: int, *, scope: str | None, layer: str | None = None,
             inspected_within_days: int | None = None) -> bytes:
    if kind not in KINDS:
        raise NotFound(f"no gap tiles of kind {kind!r}; kinds are {', '.join(KINDS)}", field="kind")
    check_tile(z, x, y)
    if layer is not None and layer not in PLACE_LAYERS:
        raise InvalidInput(f"layer must be one of {', '.join(PLACE_LAYERS)}", field="layer")
    if z < MIN_ZOOM[kind]:
        return b""
    if kind == "ownership":
        # One MVT layer per place layer in one tile: the bytes of MVT layers concatenate into a valid tile.
        return b"".join(places_tile(session, name, f"ownership_{name}", z, x, y, scope=scope, only_missing=True)
                        for name in PLACE_LAYERS if layer in (None, name))
    if layer == "grid_cells":
        return b""  # cells are not patrolled
    sql = load(__file__, "gaps_patrol_tile").format(bounds=tile_bounds(4490, BUFFER), extent=EXTENT, buffer=BUFFER)
    params = {"z": z, "x": x, "y": y, "on": today(session), "scope": scope or "", "layer": layer, "cap": CAP,
              "days": inspected_within_days, "default_days": DEFAULT_PATROL_DAYS}
    return session.execute(text(sql), params).scalar() or b""
