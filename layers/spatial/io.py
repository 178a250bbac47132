"""File import and export through geopandas/pyogrio: GeoJSON, GeoPackage, zipped Shapefile, CSV, Excel, OSM PBF."""

from __future__ import annotations

import csv
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import osmium
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.crs import STORAGE_SRID, CoordSys, point_to_standard, to_standard
from gis.db import batch_job
from gis.errors import InvalidInput
from gis.limits import export_slot
from layers.common.excel import csv_row
from layers.common.tables import BATCH_ROWS, check_zip, table_frames
from layers.network import build as network
from layers.spatial.catalog import LayerSpec, apply_aliases, road_class_of
from layers.spatial.features import scope_clause, write_context
from layers.spatial.writer import Rejection, Row, WriteResult, prepare, write

Progress = Callable[[str, int, int | None], None]

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


def _table_to_frame(df: pd.DataFrame, first: int = 1) -> tuple[gpd.GeoDataFrame, list[Rejection]]:
    """CSV/Excel rows (the first numbered `first`): geometry from a WKT column or lon/lat columns; unreadable
    geometries are rejected."""
    cols = {c.lower().strip(): c for c in df.columns}
    rejected: list[Rejection] = []
    wkt = next((cols[c] for c in _WKT if c in cols), None)
    lon = next((cols[c] for c in _LON if c in cols), None)
    lat = next((cols[c] for c in _LAT if c in cols), None)
    if wkt:
        geoms = []
        for i, value in enumerate(df[wkt].tolist(), start=first):
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
            rejected.append(Rejection(int(i) + first, lon, "longitude/latitude missing or not a number"))
        geoms = [None if (pd.isna(a) or pd.isna(b)) else shapely.Point(a, b) for a, b in zip(x, y, strict=True)]
        df = df.drop(columns=[lon, lat])
    else:
        raise InvalidInput(
            "the table has no geometry: add a WKT column (wkt/geometry) or lon/lat columns (lon,lat or 经度,纬度)",
            field="geometry",
        )
    return gpd.GeoDataFrame(df, geometry=geoms, crs=None), rejected


def _unzipped(path: Path, into: Path) -> Path:
    """A zipped dataset unpacked by Python (which never inflates a member past its checked, declared size) rather
    than read through GDAL's /vsizip/: the .shp when there is one, else the only member."""
    check_zip(path)
    with zipfile.ZipFile(path) as zf:
        zf.extractall(into)  # extractall drops absolute paths and '..'
    files = sorted(p for p in into.rglob("*") if p.is_file())
    shp = [p for p in files if p.suffix.lower() == ".shp"]
    if shp:
        return shp[0]
    if len(files) == 1:
        return files[0]
    raise InvalidInput(f"{path.name} holds no shapefile (.shp)", field="path")


def _frames_of(spec: LayerSpec, path: Path, batch_rows: int) -> Iterator[pd.DataFrame]:
    """The file as frames of `batch_rows` rows: a geometry column for spatial formats, raw columns for tables."""
    name = path.name.lower()
    if name.endswith((".csv", ".xlsx")):
        yield from table_frames(path, "a table", batch_rows)
        return
    if name.endswith(".xls"):
        raise InvalidInput("old .xls workbooks are not read; save the sheet as .xlsx or .csv", field="path")
    osm = _is_osm(path)
    if osm and spec.name != "streets":
        raise InvalidInput("OpenStreetMap files can be imported into the streets layer only", field="layer")
    with tempfile.TemporaryDirectory(prefix="ccgrid-unzip-") as tmp:
        source = _unzipped(path, Path(tmp)) if zipfile.is_zipfile(path) and not osm else path
        options: dict[str, Any] = {"layer": "lines", "columns": ["osm_id", "name", "highway"]} if osm else {}
        with pyogrio.open_arrow(source, use_pyarrow=True, batch_size=batch_rows, **options) as (meta, reader):
            geom_col = meta["geometry_name"] or "wkb_geometry"
            for batch in reader:
                df = batch.to_pandas()
                geoms = shapely.from_wkb(df.pop(geom_col).to_numpy())
                gdf = gpd.GeoDataFrame(df, geometry=geoms, crs=meta["crs"])
                if osm:
                    gdf = gdf[gdf["highway"].map(lambda v: v is not None and road_class_of(v) is not None)]
                yield gdf.reset_index(drop=True)


def _is_osm(path: Path) -> bool:
    return path.name.lower().endswith((".osm.pbf", ".osm"))


def _osm_nodes(path: Path, coord_sys: CoordSys | str) -> list[tuple[int, float, float]]:
    """The nodes where the file's streets (highway=* of a road class) end or meet: (id, longitude, latitude)."""
    uses: dict[int, int] = {}
    where: dict[int, tuple[float, float]] = {}
    ends: set[int] = set()
    for way in osmium.FileProcessor(str(path)).with_locations():  # every node read: the ways need their places
        if not way.is_way():
            continue
        highway = way.tags.get("highway")
        if highway is None or road_class_of(highway) is None or len(way.nodes) < 2:
            continue
        refs = list(way.nodes)
        ends.update((refs[0].ref, refs[-1].ref))
        for n in refs:
            if n.location.valid():
                uses[n.ref] = uses.get(n.ref, 0) + 1
                where[n.ref] = (n.location.lon, n.location.lat)
    keep = [i for i in where if i in ends or uses[i] > 1]
    return [(i, *point_to_standard(*where[i], coord_sys)) for i in sorted(keep)]


def _count(path: Path) -> int | None:
    """How many features the file holds, when the format says so cheaply (for the progress bar)."""
    if path.name.lower().endswith((".csv", ".xlsx", ".osm.pbf", ".osm")) or zipfile.is_zipfile(path):
        return None
    try:
        n = pyogrio.read_info(path)["features"]
    except Exception:
        return None
    return n if n >= 0 else None


def read_batches(
    spec: LayerSpec, path: Path, batch_rows: int = BATCH_ROWS
) -> Iterator[tuple[int, gpd.GeoDataFrame, list[Rejection]]]:
    """The file in batches: (number of the batch's first row, rows with geometry, rows whose geometry could not be
    read). Only one batch is in memory at a time."""
    if not path.exists():
        raise InvalidInput(f"file not found: {path}", field="path")
    first = 1
    frames = _frames_of(spec, path, batch_rows)
    while True:
        try:
            df = next(frames, None)
        except InvalidInput:
            raise
        except Exception as exc:
            raise InvalidInput(f"cannot read {path.name}: {exc}", field="path") from None
        if df is None:
            return
        if isinstance(df, gpd.GeoDataFrame):
            gdf, rejected = df, []
        else:
            gdf, rejected = _table_to_frame(df, first)
        yield first, gdf, rejected
        first += len(gdf)


def records_from_frame(
    gdf: gpd.GeoDataFrame, crs: str | None, coord_sys: CoordSys | str, first: int = 1
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
    for i, (p, g) in enumerate(zip(props, geoms, strict=True), start=first):
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
    batch_rows: int = BATCH_ROWS,
) -> WriteResult:
    """One file, one transaction (the caller's): all rows or none, unless skip_invalid. The file is read, checked
    and staged (COPY) a batch at a time, so a file of a million features never sits in memory whole; it runs as a
    batch job, under the import statement timeout rather than the request one."""
    report = progress or (lambda *_: None)
    batch_job(session, f"the import of {path.name}")
    total = _count(path) if path.exists() else None
    ctx = write_context(session, spec)  # before the COPY starts: no other statement may run during it
    rejected: list[Rejection] = []
    detail: dict[str, Any] = {"file": path.name, "rows": 0}  # the audit line; rows counted as they are read
    if spec.name == "streets" and _is_osm(path) and path.exists():
        # Before the streets are written: the network built from them takes the junctions' OSM node ids.
        network.record_osm_nodes(session, _osm_nodes(path, coord_sys))
    read = 0

    def rows() -> Iterator[Row]:
        nonlocal read
        for first, gdf, read_rejections in read_batches(spec, path, batch_rows):
            prepared, bad = prepare(spec, records_from_frame(gdf, crs, coord_sys, first), ctx)
            known = {r.row for r in read_rejections}
            rejected.extend(read_rejections + [r for r in bad if r.row not in known])
            read += len(gdf)
            detail["rows"] = read
            report("读取", read, total or read)
            yield from prepared

    result = write(
        session,
        spec,
        rows(),
        mode="upsert",
        actor=actor,
        skip_invalid=skip_invalid,
        prior_rejections=rejected,
        audit_detail=detail,
    )
    report("写入", 1, 1)
    return result


_EXPORT_DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG", ".csv": "CSV"}
EXPORT_BATCH_ROWS = 10_000


def export_layer(session: Session, spec: LayerSpec, path: Path, *, scope: str | None = None) -> int:
    """Write a layer to a file, streamed: rows come from a server-side cursor and go out a batch at a time, so the
    layer is never in memory whole. CSV cells that a spreadsheet would run as a formula are escaped."""
    suffix = path.suffix.lower()
    if suffix not in _EXPORT_DRIVERS:
        raise InvalidInput(
            f"cannot export to {suffix or 'a file without suffix'}; use .geojson, .gpkg or .csv", field="path"
        )
    columns = ["id", "code", *spec.output]
    cols = ", ".join(f"t.{c}" for c in columns)
    geom = {".csv": "ST_AsText(t.geom, 7)", ".gpkg": "ST_AsBinary(t.geom)"}.get(suffix, "ST_AsGeoJSON(t.geom, 7)")
    sql = text(f"SELECT {cols}, {geom} AS geom FROM {spec.table} t WHERE {scope_clause(spec, scope)} ORDER BY t.id")
    result = session.execute(sql.execution_options(yield_per=EXPORT_BATCH_ROWS), {"scope": scope})
    batches = (list(b) for b in result.partitions())
    with export_slot():
        path.unlink(missing_ok=True)
        if suffix == ".csv":
            return _csv_out(path, [*columns, "wkt"], batches)
        if suffix == ".gpkg":
            return _gpkg_out(path, spec.name, columns, batches)
        return _geojson_out(path, spec.name, columns, batches)


def _csv_out(path: Path, header: list[str], batches: Iterator[list[Any]]) -> int:
    n = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        for batch in batches:
            out.writerows(csv_row(r) for r in batch)
            n += len(batch)
    return n


def _geojson_out(path: Path, name: str, columns: list[str], batches: Iterator[list[Any]]) -> int:
    """RFC 7946 GeoJSON (WGS84; CGCS2000 agrees with it to centimetres), one feature per line."""
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write(f'{{"type": "FeatureCollection", "name": {json.dumps(name)}, "features": [')
        for batch in batches:
            for r in batch:
                props = json.dumps(dict(zip(columns, r[:-1], strict=True)), ensure_ascii=False, default=str)
                fh.write(f'{"," if n else ""}\n{{"type": "Feature", "properties": {props}, "geometry": {r[-1]}}}')
                n += 1
        fh.write("\n]}\n")
    return n


def _gpkg_out(path: Path, name: str, columns: list[str], batches: Iterator[list[Any]]) -> int:
    n = 0
    for batch in batches:
        frame = pd.DataFrame([r[:-1] for r in batch], columns=columns)
        gdf = gpd.GeoDataFrame(frame, geometry=shapely.from_wkb([bytes(r[-1]) for r in batch]), crs=STORAGE_SRID)
        pyogrio.write_dataframe(gdf, path, layer=name, driver="GPKG", append=n > 0)
        n += len(batch)
    if not n:  # an empty layer is still a layer QGIS can open
        empty = gpd.GeoDataFrame(pd.DataFrame(columns=columns), geometry=[], crs=STORAGE_SRID)
        pyogrio.write_dataframe(empty, path, layer=name, driver="GPKG")
    return n
