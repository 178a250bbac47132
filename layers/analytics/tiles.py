"""Vector tiles of every layer and of problems. Problems are clustered below CLUSTER_BELOW_ZOOM (one point per
square of the tile with its counts), so no tile ships every report of a busy city; up to z12 the clusters of a view
with no filter but category, status (not 超期) and region come from pre-binned counts (layers/ledger/bins.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import NotFound
from gis.mvt import (
    BUFFER,
    EXTENT,
    MAX_ZOOM,
    check_tile,
    clustered_points_tile,
    clusters_tile,
    features_tile,
    tile_bounds,
    tile_box,
)
from gis.sql import load
from layers.analytics import owner_tiles
from layers.ledger import bins
from layers.ledger.filters import ProblemFilter, flag_params, open_sql, overdue_sql
from layers.spatial.catalog import LAYERS
from layers.spatial.features import scope_clause

CLUSTER_BELOW_ZOOM = 17
MAX_FEATURES = 20_000  # per tile and layer

# Attributes each layer's tiles carry (small: the popup asks the API for the rest).
FIELDS: dict[str, dict[str, str]] = {
    "regions": {"id": "Number", "code": "String", "name": "String", "level": "String"},
    "grid_cells": {"id": "Number", "code": "String", "region_code": "String"},
    "streets": {"id": "Number", "code": "String", "name": "String", "road_class": "String",
                "region_code": "String"},
    "assessment_points": {"id": "Number", "code": "String", "name": "String", "point_type": "String",
                          "region_code": "String"},
    # Below CLUSTER_BELOW_ZOOM one point per cluster (count, open, overdue); above it one per problem (id, …).
    "problems": {"id": "Number", "category_code": "String", "status": "String", "count": "Number",
                 "open": "Number", "overdue": "Number"},
}
# The offline reference basemap: streets by road class (sql/basemap_tile.sql).
FIELDS["basemap"] = {"road_class": "String"}
# The owners map's layers (layers/analytics/owner_tiles.py): each place with its owner and missing roles.
FIELDS.update({name: owner_tiles.FIELDS for name in owner_tiles.LAYERS})
TILE_LAYERS = tuple(FIELDS)
OWNER_TILE_LAYERS = tuple(owner_tiles.LAYERS)
# Below these zooms a layer's tiles are empty: a city's 50,000 street segments are not a z8 picture.
MIN_ZOOM = {"regions": 0, "grid_cells": 12, "streets": 11, "assessment_points": 10, "problems": 0, "basemap": 10,
            **owner_tiles.MIN_ZOOM}


def _check_layer(layer: str) -> None:
    if layer not in FIELDS:
        raise NotFound(f"no tile layer {layer!r}; layers are {', '.join(TILE_LAYERS)}", field="layer")


def _check(layer: str, z: int, x: int, y: int) -> None:
    _check_layer(layer)
    check_tile(z, x, y)


def tile(session: Session, layer: str, z: int, x: int, y: int, *, scope: str | None = None,
         filters: ProblemFilter | None = None) -> bytes:
    _check(layer, z, x, y)
    if z < MIN_ZOOM[layer]:
        return b""
    if layer in owner_tiles.LAYERS:
        return owner_tiles.owner_tile(session, layer, z, x, y, scope=scope)
    if layer == "basemap":
        sql = load(__file__, "basemap_tile").format(bounds=tile_bounds(4490, BUFFER), extent=EXTENT, buffer=BUFFER)
        found = session.execute(text(sql), {"z": z, "x": x, "y": y, "scope": scope or "", "cap": MAX_FEATURES})
        return found.scalar() or b""
    params: dict[str, Any] = {"z": z, "x": x, "y": y, "cap": MAX_FEATURES, "scope": scope}
    if layer == "problems":
        filters = filters or ProblemFilter(scope=scope)
        where, extra = filters.sql(session, alias="t")
        params.update(extra)
        params.update(flag_params(session))
        flags = f"{open_sql('t')} AS open, {overdue_sql('t')} AS overdue"
        pre = bins.tile_sql(session, z, filters) if z < CLUSTER_BELOW_ZOOM else None
        # One core per tile: a map asks for a dozen at once, and starting parallel workers for a tile's small
        # aggregates cost more than they saved (z8 from bins 16 → 2 ms, z11 30 → 13 ms; bench/RESULTS.md).
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        if pre is not None:
            sql = clusters_tile("problems", pre[0], "count, open, overdue")
            params.update(pre[1])
        elif z < CLUSTER_BELOW_ZOOM:
            sql = clustered_points_tile(
                "problems", "problems", flags,
                "count(*) FILTER (WHERE open) AS open, count(*) FILTER (WHERE overdue) AS overdue", where,
                tile_box(z, x, y), by_column=filters.status != "overdue")  # 超期: the few, by their own index
        else:
            sql = f"SELECT t.*, {flags} FROM problems t"
            sql = features_tile("problems", f"({sql})", "t.id, t.category_code, t.status, t.open::int AS open, "
                                "t.overdue::int AS overdue, 1 AS count", where, points=True)
    else:
        spec = LAYERS[layer]
        cols = ", ".join(f"t.{c}" for c in FIELDS[layer])
        sql = features_tile(layer, spec.table, cols, scope_clause(spec, scope), points=spec.family == "point")
    return session.execute(text(sql), params).scalar() or b""


def tilejson(session: Session, layer: str, base_url: str, query: str = "") -> dict[str, Any]:
    _check_layer(layer)
    box = session.execute(text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                               "(SELECT ST_Extent(geom) AS e FROM regions WHERE level = 'district') q")).one()
    bounds = [round(v, 6) for v in box] if box[0] is not None else [-180, -85.05, 180, 85.05]
    if layer in owner_tiles.LAYERS:
        title = LAYERS[owner_tiles.LAYERS[layer]].title + "责任人"
    else:
        title = {"problems": "问题", "basemap": "道路底图"}.get(layer) or LAYERS[layer].title
    return {
        "tilejson": "3.0.0",
        "name": layer,
        "description": title,
        "scheme": "xyz",
        "tiles": [f"{base_url}tiles/{layer}/{{z}}/{{x}}/{{y}}.mvt{('?' + query) if query else ''}"],
        "minzoom": MIN_ZOOM[layer],
        "maxzoom": MAX_ZOOM,
        "bounds": bounds,
        "center": [round((bounds[0] + bounds[2]) / 2, 6), round((bounds[1] + bounds[3]) / 2, 6), 13],
        "vector_layers": [{"id": layer, "description": title, "fields": FIELDS[layer]}],
    }
