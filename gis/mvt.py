"""Mapbox Vector Tile SQL: the tile envelope is computed once in the table's SRID so the GiST index filters rows,
geometries are clipped and quantised by ST_AsMVTGeom, and a cap bounds every tile's size.
"""

from __future__ import annotations

import math

EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22


def valid_tile(z: int, x: int, y: int) -> bool:
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z


def _bounds(srid: int, buffer: int = BUFFER) -> str:
    # Tile bounds in web mercator (for encoding) and in the table's SRID, widened by the buffer (for filtering).
    margin = f"(ST_XMax(ST_TileEnvelope(:z, :x, :y)) - ST_XMin(ST_TileEnvelope(:z, :x, :y))) * {buffer / EXTENT}"
    return (f"SELECT ST_TileEnvelope(:z, :x, :y) AS merc, "
            f"ST_Transform(ST_Expand(ST_TileEnvelope(:z, :x, :y), {margin}), {srid}) AS env")


def features_tile(layer: str, table_sql: str, columns: str, where: str, *, srid: int = 4490,
                  geom: str = "t.geom", points: bool = False) -> str:
    """One layer's tile: every feature of `table_sql` (alias t) meeting `where`, capped at :cap rows.
    Lines and polygons reach into the buffer (so strokes join across tiles); points belong to exactly one tile."""
    buffer = 0 if points else BUFFER
    inside = "ST_Intersects(ST_Transform({g}, 3857), bounds.merc) AND " if points else ""
    return f"""
WITH bounds AS ({_bounds(srid, buffer)}),
mvt AS (
    SELECT ST_AsMVTGeom(ST_Transform({geom}, 3857), bounds.merc, {EXTENT}, {buffer}, true) AS geom, {columns}
    FROM {table_sql} t, bounds
    WHERE {geom} && bounds.env AND {inside.format(g=geom)}{where}
    LIMIT :cap)
SELECT ST_AsMVT(mvt, '{layer}', {EXTENT}, 'geom') FROM mvt WHERE geom IS NOT NULL
"""


def clustered_points_tile(layer: str, table_sql: str, columns: str, aggregates: str, where: str, *,
                          cells: int = 64, srid: int = 4490, geom: str = "t.geom", merc_x: str = "t.merc_x",
                          merc_y: str = "t.merc_y") -> str:
    """Points binned into cells×cells squares per tile: one point per non-empty square at the mean position, with
    `count` and the `aggregates` (SQL over the `columns` of the points in the square). Binning uses each row's
    stored web-mercator x/y (`merc_x`, `merc_y`), so no geometry is transformed per point."""
    return f"""
WITH bounds AS ({_bounds(srid, 0)}),
b AS (SELECT merc, env, ST_XMin(merc) AS x0, ST_YMin(merc) AS y0, ST_XMax(merc) - ST_XMin(merc) AS w FROM bounds),
pts AS (
    SELECT {merc_x} AS x, {merc_y} AS y, {columns}
    FROM {table_sql} t, b WHERE {where}
      AND {merc_x} >= b.x0 AND {merc_x} < b.x0 + b.w AND {merc_y} >= b.y0 AND {merc_y} < b.y0 + b.w),
mvt AS (
    SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(avg(x), avg(y)), 3857), (SELECT merc FROM b), {EXTENT}, 0, true)
               AS geom,
           count(*) AS count, {aggregates}
    FROM pts, b GROUP BY floor((x - b.x0) / b.w * {cells}), floor((y - b.y0) / b.w * {cells}))
SELECT ST_AsMVT(mvt, '{layer}', {EXTENT}, 'geom') FROM mvt WHERE geom IS NOT NULL
"""


def clusters_tile(layer: str, rows_sql: str, columns: str) -> str:
    """A tile of ready-made clusters: `rows_sql` gives web-mercator x, y and the `columns` for tile :z/:x/:y."""
    return f"""
WITH bounds AS ({_bounds(3857, 0)}),
mvt AS (
    SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(c.x, c.y), 3857), (SELECT merc FROM bounds), {EXTENT}, 0, true)
               AS geom, {columns}
    FROM ({rows_sql}) c)
SELECT ST_AsMVT(mvt, '{layer}', {EXTENT}, 'geom') FROM mvt WHERE geom IS NOT NULL
"""


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The x, y of the web-mercator tile holding (lon, lat) at zoom z."""
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    lat_r = math.radians(lat)
    y = int((1.0 - math.log(math.tan(lat_r) + 1.0 / math.cos(lat_r)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tile_bounds(srid: int = 4490, buffer: int = BUFFER) -> str:
    """The SELECT giving `merc` (the tile in web mercator) and `env` (widened by `buffer`, in `srid`) for tile
    :z/:x/:y, for tile SQL kept in .sql files."""
    return _bounds(srid, buffer)
