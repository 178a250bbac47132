"""Problem density per cell — hexagons or squares in the city's metric CRS, or the city's own grid cells and
communities — aggregated in PostGIS; only the cells travel to the browser. Hexagons of the sizes the page picks from
the zoom (250 m to 20 km) with no filter but a region and whole months are read from pre-binned counts
(layers/ledger/bins.py).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.aggregate import SHAPES, bin_columns, cell_area_m2, cell_geometry
from gis.errors import InvalidInput
from gis.sql import load
from layers.ledger import bins
from layers.ledger.filters import ProblemFilter, flag_params, open_sql, overdue_sql

CELLS = (*SHAPES, "grid_cell", "community")
MIN_SIZE_M, MAX_SIZE_M = 25.0, 20_000.0
# A request whose area would need more cells than this is refused: ask for bigger cells or a smaller bbox.
MAX_CELLS = 200_000

# Per problem: is it still open, and is it past its deadline and unfixed.
_FLAGS = f"{open_sql('p')} AS open, {overdue_sql('p')} AS overdue"


def _extent_m2(session: Session, params: dict[str, Any], bbox: Any) -> float:
    """Area the cells could cover: the bbox, else the extent of the city's districts, in m²."""
    if bbox:
        env = "ST_MakeEnvelope(:f_x0, :f_y0, :f_x1, :f_y1, 4490)"
    else:
        env = "(SELECT ST_Extent(geom)::geometry FROM regions WHERE level = 'district')"
    return float(session.execute(
        text(f"SELECT ST_Area(ST_Transform(ST_SetSRID({env}, 4490), ccgrid_metric_srid()))"), params
    ).scalar() or 0.0)


def heatmap(session: Session, *, cell: str = "hex", size_m: float = 250.0, filters: ProblemFilter) -> dict[str, Any]:
    return json.loads(heatmap_json(session, cell=cell, size_m=size_m, filters=filters))


def heatmap_json(session: Session, *, cell: str = "hex", size_m: float = 250.0, filters: ProblemFilter) -> str:
    """The heatmap as GeoJSON text, built in PostgreSQL: thousands of cells never become Python objects."""
    if cell not in CELLS:
        raise InvalidInput(f"cell must be one of {', '.join(CELLS)}", field="cell")
    where, params = filters.sql(session)
    params.update(flag_params(session))
    params["cell"] = cell
    if cell in SHAPES:
        if not MIN_SIZE_M <= size_m <= MAX_SIZE_M:
            raise InvalidInput(f"size_m must be between {MIN_SIZE_M:g} and {MAX_SIZE_M:g} metres", field="size_m")
        cells = _extent_m2(session, params, filters.bbox) / cell_area_m2(cell, size_m)
        if cells > MAX_CELLS:
            raise InvalidInput(f"that area needs about {cells:,.0f} cells of {size_m:g} m (at most {MAX_CELLS:,}); "
                               "use a larger size_m or a smaller bbox", field="size_m")
        pre = bins.heatmap_sql(session, filters, size_m) if cell == "hex" else None
        if pre is not None:
            sql = _from_bins(pre[0], bool(filters.bbox))
            params.update(pre[1])
            # One core: the overdue reports joined in are a few hundred, and starting parallel workers for them was
            # most of a street's heatmap (19 of 23 ms).
            session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        else:
            sql = _binned(cell, size_m, where)
        # Bins count every cell touching the view whole; live binning counts only the reports inside the view.
        params["clipped"] = pre is None and bool(filters.bbox)
        params.update({"size": size_m, "area_km2": cell_area_m2(cell, size_m) / 1e6})
    else:
        sql = _by_area(cell, where, filters)
        params["clipped"] = bool(filters.bbox)
        params["size"] = None  # no cell size: the answer's size_m is null
    return session.execute(text(sql), params).scalar_one()


def _binned(shape: str, size_m: float, where: str) -> str:
    i, j = bin_columns(shape, "p.x_m", "p.y_m", ":size")
    geom = cell_geometry(shape, ":size", "b.i", "b.j", "ccgrid_metric_srid()")
    return f"""
        WITH b AS (
            SELECT {i} AS i, {j} AS j, count(*) AS n, count(*) FILTER (WHERE open) AS open,
                   count(*) FILTER (WHERE overdue) AS overdue
            FROM (SELECT p.x_m, p.y_m, {_FLAGS} FROM problems p WHERE {where}) p
            GROUP BY 1, 2),
        cells AS (
            SELECT b.i || ':' || b.j AS key, b.n, ST_AsGeoJSON(ST_Transform({geom}, 4490), 6, 0) AS g,
                   json_build_object('count', b.n, 'open', b.open, 'overdue', b.overdue,
                                     'per_km2', round((b.n / CAST(:area_km2 AS float8))::numeric, 1)) AS props
            FROM b)
        """ + load(__file__, "heatmap_collection")


def _from_bins(bins_sql: str, in_view: bool) -> str:
    """The same cells from pre-binned counts. With a bbox: every cell that touches the view, counted whole."""
    geom = cell_geometry("hex", ":size", "b.i", "b.j", "ccgrid_metric_srid()")
    # Each cell drawn once, in CGCS2000, where the view is a rectangle, and tested once: MATERIALIZED, or the test
    # (it names only the cell's i and j) is pushed below the sums into every bin of every month and community
    # (2,000 hexagons of 500 m: 33,000 tests, 120 ms).
    view = "ST_Intersects(c.g, ST_MakeEnvelope(:f_x0, :f_y0, :f_x1, :f_y1, 4490))" if in_view else "true"
    return f"""
        WITH b AS MATERIALIZED ({bins_sql}),
        drawn AS (SELECT b.*, ST_Transform({geom}, 4490) AS g FROM b),
        cells AS (
            SELECT c.i || ':' || c.j AS key, c.n, ST_AsGeoJSON(c.g, 6, 0) AS g,
                   json_build_object('count', c.n, 'open', c.open, 'overdue', c.overdue,
                                     'per_km2', round((c.n / CAST(:area_km2 AS float8))::numeric, 1)) AS props
            FROM drawn c WHERE {view})
        """ + load(__file__, "heatmap_collection")


def _by_area(cell: str, where: str, filters: ProblemFilter) -> str:
    """Every grid cell or community in view, empty ones included (a quiet place is news too)."""
    area_sql = load(__file__, "heatmap_grid_cell_areas" if cell == "grid_cell" else "heatmap_community_areas")
    key = "p.grid_cell_id::text" if cell == "grid_cell" else "left(p.region_code, 12)"
    scope = "a.region_code LIKE :f_scope || '%'" if filters.scope else "true"
    view = "a.geom && ST_MakeEnvelope(:f_x0, :f_y0, :f_x1, :f_y1, 4490)" if filters.bbox else "true"
    return f"""
        WITH counts AS (
            SELECT {key} AS key, count(*) AS n, count(*) FILTER (WHERE open) AS open,
                   count(*) FILTER (WHERE overdue) AS overdue
            FROM (SELECT p.grid_cell_id, p.region_code, {_FLAGS} FROM problems p WHERE {where}) p GROUP BY 1),
        a AS ({area_sql}),
        cells AS (
            SELECT a.key, coalesce(c.n, 0) AS n, ST_AsGeoJSON(a.geom, 6, 0) AS g,
                   json_build_object(
                       'code', a.code, 'name', a.name, 'count', coalesce(c.n, 0), 'open', coalesce(c.open, 0),
                       'overdue', coalesce(c.overdue, 0),
                       'per_km2', CASE WHEN a.area_m2 > 0
                                       THEN round((coalesce(c.n, 0) / (a.area_m2 / 1e6))::numeric, 1) END,
                       'street_km', round((a.street_m / 1000)::numeric, 2),
                       'per_street_km', CASE WHEN a.street_m > 0
                                             THEN round((coalesce(c.n, 0) / (a.street_m / 1000))::numeric, 1) END)
                       AS props
            FROM a LEFT JOIN counts c ON c.key = a.key WHERE {scope} AND {view})
        """ + load(__file__, "heatmap_collection")
