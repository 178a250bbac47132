"""File import and export through geopandas/pyogrio: GeoJSON, GeoPackage, zipped Shapefile, CSV, Excel, OSM PBF."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.crs import STORAGE_SRID, CoordSys, to_standard
from gis.errors import InvalidInput
from layers.catalog import LayerSpec, apply_aliases, road_class_of
from layers.features import scope_clause, write_context
from layers.writer import Rejection, WriteResult, prepare, write

Progress = Callable[[str, int, int], None]

_LON = ("lon", "lng", "longitude", "经度", "x")
_LAT = ("lat", "latitude", "纬度", "y")
_WKT = ("wkt", "geometry", "geom", "the_geom")


def _parse_crs(crs: str | None) -> CRS | None:
    if not crs:
        return None
    try:
        return CRS.from_user_input(crs)
    except Exception:
        raise InvalidInput(f"unknown CRS {crs!r}; write it as EPSG:N", field="crs") from None


def _table_to_frame(df: pd.DataFrame) -> tuple[gpd.GeoDataFrame, list[Rejection]]:
    """CSV/Excel rows: geometry from a WKT column or lon/lat columns; unreadable geometries are rejected."""
    cols = {c.lower().strip(): c for c in df.columns}
    rejected: list[Rejection] = []
    wkt = next((cols[c] for c in _WKT if c in cols), None)
    lon = next((cols[c] for c in _LON if c in cols), None)
    lat = next((cols[c] for c in _LAT if c in cols), None)
    if wkt:
        geoms = []
        for i, value in enumerate(df[wkt].tolist(), start=1):
            try:
                geoms.append(shapely.from_wkt(value) if isinstance(value, str) and value.strip() else None)
            except shapely.errors.GEOSException:
                geoms.append(None)
                rejected.append(Rejection(i, wkt, f"unreadable WKT: {str(value)[:60]!r}"))
        df = df.drop(columns=[wkt])
    elif lon and lat:
        x = pd.to_numeric(df[lon], errors="coerce")
        y = pd.to_numeric(df[lat], errors="coerce")
        for i in (x.isna() | y.isna()).to_numpy().nonzero()[0]:
            rejected.append(Rejection(int(i) + 1, lon, "longitude/latitude missing or not a number"))
        geoms = [None if (pd.isna(a) or pd.isna(b)) else shapely.Point(a, b) for a, b in zip(x, y, strict=True)]
        df = df.drop(columns=[lon, lat])
    else:
        raise InvalidInput(
            "the table has no geometry: add a WKT column (wkt/geometry) or lon/lat columns (lon,lat or 经度,纬度)",
            field="geometry",
        )
    return gpd.GeoDataFrame(df, geometry=geoms, crs=None), rejected


def read_frame(spec: LayerSpec, path: Path) -> tuple[gpd.GeoDataFrame, list[Rejection]]:
    name = path.name.lower()
    if not path.exists():
        raise InvalidInput(f"file not found: {path}", field="path")
    try:
        if name.endswith(".csv"):
            return _table_to_frame(pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]))
        if name.endswith((".xlsx", ".xls")):
            return _table_to_frame(pd.read_excel(path, dtype=str))
        if name.endswith((".osm.pbf", ".osm")):
            if spec.name != "streets":
                raise InvalidInput("OpenStreetMap files can be imported into the streets layer only", field="layer")
            gdf = pyogrio.read_dataframe(path, layer="lines", columns=["osm_id", "name", "highway"])
            gdf = gdf[gdf["highway"].map(lambda v: v is not None and road_class_of(v) is not None)]
            return gdf.reset_index(drop=True), []
        return pyogrio.read_dataframe(path), []
    except InvalidInput:
        raise
    except Exception as exc:
        raise InvalidInput(f"cannot read {path.name}: {exc}", field="path") from None


def records_from_frame(
    gdf: gpd.GeoDataFrame, crs: str | None, coord_sys: CoordSys | str
) -> Iterator[tuple[int, dict[str, Any], Any]]:
    """Rows as (row number, properties, geometry in CGCS2000)."""
    given = _parse_crs(crs)
    if given is not None:
        gdf = gdf.set_crs(given, allow_override=True)
    if gdf.crs is not None and gdf.crs.to_epsg() not in (STORAGE_SRID, 4326):
        gdf = gdf.to_crs(epsg=STORAGE_SRID)
    geoms = gdf.geometry.array
    if CoordSys(coord_sys) is not CoordSys.standard:
        geoms = to_standard(shapely.from_wkb(shapely.to_wkb(geoms)), coord_sys)
    props = gdf.drop(columns=gdf.geometry.name).to_dict("records")
    for i, (p, g) in enumerate(zip(props, geoms, strict=True), start=1):
        yield i, apply_aliases(p), g


def import_file(
    session: Session,
    spec: LayerSpec,
    path: Path,
    *,
    actor: str,
    crs: str | None = None,
    coord_sys: CoordSys | str = CoordSys.standard,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> WriteResult:
    """One file, one transaction (the caller's): all rows or none, unless skip_invalid."""
    report = progress or (lambda *_: None)
    gdf, read_rejections = read_frame(spec, path)
    total = len(gdf)
    report("读取", total, total)
    rows, rejected = prepare(
        spec, _counted(records_from_frame(gdf, crs, coord_sys), total, report), write_context(session, spec)
    )
    rejected_rows = {r.row for r in read_rejections}
    rejected = read_rejections + [r for r in rejected if r.row not in rejected_rows]
    report("写入", 0, len(rows))
    result = write(
        session,
        spec,
        rows,
        mode="upsert",
        actor=actor,
        skip_invalid=skip_invalid,
        prior_rejections=rejected,
        audit_detail={"file": path.name, "rows": total},
    )
    report("写入", len(rows), len(rows))
    return result


def _counted(it: Iterator[Any], total: int, report: Progress) -> Iterator[Any]:
    step = max(total // 100, 1000)
    for n, item in enumerate(it, start=1):
        if n % step == 0:
            report("检查", n, total)
        yield item
    report("检查", total, total)


_EXPORT_DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG", ".csv": "CSV"}


def export_layer(session: Session, spec: LayerSpec, path: Path, *, scope: str | None = None) -> int:
    suffix = path.suffix.lower()
    if suffix not in _EXPORT_DRIVERS:
        raise InvalidInput(
            f"cannot export to {suffix or 'a file without suffix'}; use .geojson, .gpkg or .csv", field="path"
        )
    cols = ", ".join(f"t.{c}" for c in ("id", "code", *spec.output))
    sql = f"SELECT {cols}, t.geom FROM {spec.table} t WHERE {scope_clause(spec, scope)} ORDER BY t.id"
    gdf = gpd.read_postgis(text(sql), session.connection(), geom_col="geom", params={"scope": scope})
    if gdf.crs is None:
        gdf = gdf.set_crs(epsg=STORAGE_SRID)
    if suffix == ".csv":
        frame = pd.DataFrame(gdf.drop(columns="geom"))
        frame["wkt"] = shapely.to_wkt(gdf.geometry.array, rounding_precision=7)
        frame.to_csv(path, index=False)
    else:
        if suffix in (".geojson", ".json"):  # RFC 7946 GeoJSON is WGS84 (CGCS2000 agrees to centimetres)
            gdf = gdf.set_crs(epsg=4326, allow_override=True)
        path.unlink(missing_ok=True)
        gdf.to_file(path, driver=_EXPORT_DRIVERS[suffix], engine="pyogrio", layer=spec.name)
    return len(gdf)
