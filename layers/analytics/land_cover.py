"""Polygons of road surface, green space (绿化覆盖) and built-up area, imported from a city's own survey or planning
files for the planning indicators (道路面积率, 绿化覆盖率, the built-up area of 路网密度). They are never derived
from the streets or guessed: without an import those indicators say so.

A file holds one kind; importing it replaces that kind's polygons (all or nothing, each bad row named), read with
the layers' own reader (GeoJSON, GeoPackage, zipped Shapefile, CSV with a WKT column; CRS from the file or given).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.crs import CoordSys
from gis.validate import geometry_problem
from layers.common.audit import record
from layers.spatial.catalog import LayerSpec
from layers.spatial.io import read_batches, records_from_frame
from layers.spatial.writer import Rejection, RowsRejected

KINDS = {"road": "道路面", "green": "绿地（绿化覆盖）", "built_up": "建成区"}
MAX_VERTICES = 100_000


def _normalise(raw: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    name = raw.get("name")
    if isinstance(name, float) and name != name:  # NaN: an empty cell read by pandas
        name = None
    text_ = str(name).replace("\x00", "").strip()[:200] if isinstance(name, str | int | float) else ""
    return {"name": text_ or None}


SPEC = LayerSpec("land_cover", "地表覆盖", "land_cover", "polygon", _normalise, columns={"name": "text"}, output=())


def import_file(session: Session, path: Path, *, kind: str, actor: str, crs: str | None = None,
                coord_sys: CoordSys | str = CoordSys.standard) -> dict[str, Any]:
    """Replace the polygons of `kind` with the file's; returns how many and their area."""
    from gis.errors import InvalidInput

    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
    rows: list[tuple[str | None, bytes]] = []
    rejected: list[Rejection] = []
    for first, gdf, bad in read_batches(SPEC, path):
        rejected += bad
        for row_no, props, geom in records_from_frame(gdf, crs, coord_sys, first):
            problem = geometry_problem(geom, "polygon", MAX_VERTICES)
            if problem:
                rejected.append(Rejection(row_no, "geometry", problem))
                continue
            if isinstance(geom, Polygon):
                geom = MultiPolygon([geom])
            rows.append((_normalise(props, {})["name"], shapely.to_wkb(shapely.force_2d(geom))))
    if rejected:
        raise RowsRejected(sorted(rejected, key=lambda r: r.row))
    session.execute(text("DELETE FROM land_cover WHERE kind = :k"), {"k": kind})
    for name, wkb in rows:
        session.execute(text("INSERT INTO land_cover (kind, name, source, geom) "
                             "VALUES (:k, :n, :s, ST_SetSRID(ST_GeomFromWKB(:g), 4490))"),
                        {"k": kind, "n": name, "s": path.name, "g": wkb})
    area = session.execute(text("SELECT coalesce(sum(area_m2), 0) FROM land_cover WHERE kind = :k"),
                           {"k": kind}).scalar_one()
    result = {"kind": kind, "polygons": len(rows), "area_m2": round(float(area), 1)}
    record(session, actor, "import", "land_cover", None, {"file": path.name, **result})
    return result
