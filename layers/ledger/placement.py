"""Routing reports to places, before they are stored: the grid cell that contains each report (and through it the
community), the nearest street segment within the category's tolerance, the assessment point within reach, and for
a report outside every cell the smallest region that contains it.

Two plans give the same answer. A few reports probe the GiST indexes one by one (~40 µs a report). A big batch
instead cuts the cells, streets and points into small square tiles and hash-joins each report with the few shapes
of its own tile: a million reports route in seconds on two cores, where a million index probes take ~20 s
(bench/RESULTS.md). Ties go to the lowest id in both plans.

Input: a table with (id bigint, category_code text, lon, lat float8, geom Point 4490, geom_m, x_m, y_m). Output: a
table `<input>_routed` with (id, region_code, grid_cell_id, grid_cell_code, street_id, street_distance_m,
point_id); a report outside every region has no row.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

POINT_RADIUS_M = 50  # a report this close to an assessment point belongs to it
BULK_ROUTE_FROM = 20_000  # below this, index probes beat building the tiles (~0.6 s)
CELL_TILE_DEG = 0.001  # ~100 m: a grid cell spans a few tiles, a tile holds a cell or two
STREET_TILE_M = 100

# One report's places by index probes: a LATERAL per place.
PROBE_SQL = f"""
SELECT q.id, coalesce(g.region_code, r.code) AS region_code, g.id AS grid_cell_id, g.code AS grid_cell_code,
       s.id AS street_id, s.dist AS street_distance_m, ap.id AS point_id
FROM {{input}} q
JOIN problem_categories c ON c.code = q.category_code
LEFT JOIN LATERAL (SELECT id, code, region_code FROM grid_cells WHERE ST_Intersects(geom, q.geom)
                   ORDER BY id LIMIT 1) g ON true
LEFT JOIN LATERAL (SELECT code FROM regions WHERE g.id IS NULL AND ST_Intersects(geom, q.geom)
                   ORDER BY length(code) DESC, code LIMIT 1) r ON true
LEFT JOIN LATERAL (SELECT id, ST_Distance(geom_m, q.geom_m) AS dist FROM streets
                   WHERE ST_DWithin(geom_m, q.geom_m, coalesce(c.street_tolerance_m, 50))
                   ORDER BY ST_Distance(geom_m, q.geom_m), id LIMIT 1) s ON true
LEFT JOIN LATERAL (SELECT id FROM assessment_points WHERE ST_DWithin(geom_m, q.geom_m, {POINT_RADIUS_M})
                   ORDER BY ST_Distance(geom_m, q.geom_m), id LIMIT 1) ap ON true
WHERE g.id IS NOT NULL OR r.code IS NOT NULL
"""

# The tile tables of a bulk run: each shape once per tile its (tolerance-grown) box touches, with the box as plain
# numbers so most candidates are dropped before any geometry is read.
_CELL_TILES = f"""
CREATE UNLOGGED TABLE {{t}}_cell_tiles AS
SELECT c.id, c.code, c.region_code, c.geom, ST_XMin(c.geom) AS x0, ST_XMax(c.geom) AS x1,
       ST_YMin(c.geom) AS y0, ST_YMax(c.geom) AS y1, tx, ty
FROM grid_cells c,
     generate_series(floor(ST_XMin(c.geom) / {CELL_TILE_DEG})::int, floor(ST_XMax(c.geom) / {CELL_TILE_DEG})::int) tx,
     generate_series(floor(ST_YMin(c.geom) / {CELL_TILE_DEG})::int, floor(ST_YMax(c.geom) / {CELL_TILE_DEG})::int) ty
"""
_REACH_TILES = f"""
CREATE UNLOGGED TABLE {{t}}_{{name}}_tiles AS
SELECT f.id, f.geom_m, tx, ty
FROM {{table}} f,
     generate_series(floor((ST_XMin(f.geom_m) - :reach) / {STREET_TILE_M})::int,
                     floor((ST_XMax(f.geom_m) + :reach) / {STREET_TILE_M})::int) tx,
     generate_series(floor((ST_YMin(f.geom_m) - :reach) / {STREET_TILE_M})::int,
                     floor((ST_YMax(f.geom_m) + :reach) / {STREET_TILE_M})::int) ty
WHERE ST_DWithin(f.geom_m, ST_MakeEnvelope(tx * {STREET_TILE_M}, ty * {STREET_TILE_M}, (tx + 1) * {STREET_TILE_M},
                                           (ty + 1) * {STREET_TILE_M}, ST_SRID(f.geom_m)), :reach)
"""
_BULK_CELL = f"""
CREATE UNLOGGED TABLE {{t}}_cell AS
SELECT q.id, min(c.id) AS cell_id
FROM {{t}} q JOIN {{t}}_cell_tiles c
  ON c.tx = floor(q.lon / {CELL_TILE_DEG})::int AND c.ty = floor(q.lat / {CELL_TILE_DEG})::int
 AND q.lon BETWEEN c.x0 AND c.x1 AND q.lat BETWEEN c.y0 AND c.y1 AND ST_Intersects(c.geom, q.geom)
GROUP BY q.id
"""
_BULK_NEAREST = f"""
CREATE UNLOGGED TABLE {{t}}_{{name}} AS
SELECT DISTINCT ON (q.id) q.id, f.id AS fid, ST_Distance(f.geom_m, q.geom_m) AS dist
FROM {{t}} q JOIN problem_categories c ON c.code = q.category_code
JOIN {{t}}_{{name}}_tiles f
  ON f.tx = floor(q.x_m / {STREET_TILE_M})::int AND f.ty = floor(q.y_m / {STREET_TILE_M})::int
 AND ST_DWithin(f.geom_m, q.geom_m, {{reach}})
ORDER BY q.id, ST_Distance(f.geom_m, q.geom_m), f.id
"""
_BULK_JOIN = """
CREATE UNLOGGED TABLE {t}_routed AS
SELECT q.id, coalesce(g.region_code, r.code) AS region_code, g.id AS grid_cell_id, g.code AS grid_cell_code,
       s.fid AS street_id, s.dist AS street_distance_m, ap.fid AS point_id
FROM {t} q
LEFT JOIN {t}_cell k ON k.id = q.id
LEFT JOIN grid_cells g ON g.id = k.cell_id
LEFT JOIN LATERAL (SELECT code FROM regions WHERE k.id IS NULL AND ST_Intersects(geom, q.geom)
                   ORDER BY length(code) DESC, code LIMIT 1) r ON true
LEFT JOIN {t}_street s ON s.id = q.id
LEFT JOIN {t}_point ap ON ap.id = q.id
WHERE g.id IS NOT NULL OR r.code IS NOT NULL
"""


def route_table(session: Session, table: str, rows: int) -> str:
    """Route every report in `table` (see the module text); returns the name of the routed table."""
    if rows < BULK_ROUTE_FROM:
        session.execute(text(f"CREATE UNLOGGED TABLE {table}_routed AS {PROBE_SQL.format(input=table)}"))
        return f"{table}_routed"
    reach = session.execute(text("SELECT max(coalesce(street_tolerance_m, 50)) FROM problem_categories")).scalar()
    session.execute(text(f"ANALYZE {table}"))
    session.execute(text(_CELL_TILES.format(t=table)))
    session.execute(text(_REACH_TILES.format(t=table, name="street", table="streets")), {"reach": reach})
    session.execute(text(_REACH_TILES.format(t=table, name="point", table="assessment_points")),
                    {"reach": POINT_RADIUS_M})
    for name in ("cell_tiles", "street_tiles", "point_tiles"):
        session.execute(text(f"ANALYZE {table}_{name}"))
    session.execute(text(_BULK_CELL.format(t=table)))
    session.execute(text(_BULK_NEAREST.format(t=table, name="street", reach="coalesce(c.street_tolerance_m, 50)")))
    session.execute(text(_BULK_NEAREST.format(t=table, name="point", reach=POINT_RADIUS_M)))
    session.execute(text(_BULK_JOIN.format(t=table)))
    for name in ("cell_tiles", "street_tiles", "point_tiles", "cell", "street", "point"):
        session.execute(text(f"DROP TABLE {table}_{name}"))
    return f"{table}_routed"
