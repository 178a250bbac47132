"""Mapbox Vector Tile SQL: the tile envelope is computed once in the table's SRID so the GiST index filters rows,
geometries are clipped and quantised by ST_AsMVTGeom, and a cap bounds every tile's size.
"""

from __future__ import annotations

import math

from gis.errors import InvalidInput

EXTENT = 4096
MERC_HALF = 20037508.342789244  # half the web-mercator world's width, metres
MERC_COLUMN_W = 2 * MERC_HALF / 2**16  # a z16 tile's width
BUFFER = 64
MAX_ZOOM = 22


def valid_tile(z: int, x: int, y: int) -> bool:
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z


def check_tile(z: int, x: int, y: int) -> None:
    """A tile that does not exist is a 422 naming `z`."""
    if not valid_tile(z, x, y):
        raise InvalidInput(f"tile {z}/{x}/{y} does not exist (zoom 0–{MAX_ZOOM}, x and y below 2^z)", field="z")


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


def merc_column(merc_x: str) -> str:
    """SQL for the z16 column of web-mercator x `merc_x`: the first key of the reports' position index (migration
    0025 writes the same expression), so a tile reads only its own few columns, each from its south edge to its
    north, instead of a strip of x the height of the city."""
    return f"(floor(({merc_x} + {MERC_HALF!r}::float8) / {MERC_COLUMN_W!r}::float8)::int)"


def merc_columns(box: tuple[float, float, float, float]) -> list[int]:
    """The z16 columns a tile's `box` (tile_box) spans, as merc_column computes them: the same float arithmetic in
    the same order, and it never decreases, so every x in [west, east) falls in one of these."""
    first = math.floor((box[0] + MERC_HALF) / MERC_COLUMN_W)
    last = math.floor((math.nextafter(box[2], -math.inf) + MERC_HALF) / MERC_COLUMN_W)
    return list(range(first, last + 1))


def tile_box(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) of tile z/x/y in web-mercator metres; a tile's east is its neighbour's west, to
    the last bit, so every point falls in exactly one tile."""
    w = 2 * MERC_HALF / 2**z
    return -MERC_HALF + x * w, MERC_HALF - (y + 1) * w, -MERC_HALF + (x + 1) * w, MERC_HALF - y * w


def clustered_points_tile(layer: str, table_sql: str, columns: str, aggregates: str, where: str,
                          box: tuple[float, float, float, float], *, cells: int = 64, geom: str = "t.geom",
                          merc_x: str = "t.merc_x", merc_y: str = "t.merc_y", by_column: bool = True) -> str:
    """Points binned into cells×cells squares per tile: one point per non-empty square at the mean position, with
    `count` and the `aggregates` (SQL over the `columns` of the points in the square). Binning uses each row's
    stored web-mercator x/y (`merc_x`, `merc_y`), so no geometry is transformed per point. The tile's `box`
    (tile_box) is written into the statement as numbers: the planner then knows how many points the tile holds and
    picks the index that reads fewest (a filter's own index for a city-wide tile, the position index for a street's
    tile; from a CTE it guessed, and read a million index entries for the 600 overdue reports of a z8 tile). The
    tile's z16 columns (merc_column) let the position index read the tile only; `by_column=False` leaves them out
    when `where` is known to pick fewer rows than a tile holds (the planner, misled by correlated columns, took the
    position index for 600 overdue reports and read 800,000 entries)."""
    x0, y0, x1, y1 = (f"{v!r}::float8" for v in box)
    keys = ",".join(map(str, merc_columns(box)))
    columns_in = f"{merc_column(merc_x)} = ANY('{{{keys}}}'::int[])" if by_column else "true"
    return f"""
WITH bounds AS (SELECT ST_TileEnvelope(:z, :x, :y) AS merc),
pts AS (
    SELECT {merc_x} AS x, {merc_y} AS y, {columns}
    FROM {table_sql} t WHERE {where} AND {columns_in}
      AND {merc_x} >= {x0} AND {merc_x} < {x1} AND {merc_y} >= {y0} AND {merc_y} < {y1}),
mvt AS (
    SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(avg(x), avg(y)), 3857), (SELECT merc FROM bounds), {EXTENT}, 0, true)
               AS geom,
           count(*) AS count, {aggregates}
    FROM pts GROUP BY floor((x - {x0}) / ({x1} - {x0}) * {cells}), floor((y - {y0}) / ({y1} - {y0}) * {cells}))
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
