"""Every write to a spatial layer goes through here: one feature from the API or a million rows from a file.

Rows are checked in Python (fields, geometry), staged into a temporary table with COPY, checked again in
PostGIS against the regions (containment, parents, duplicates), and only then written in one set-based
statement per pass. Any rejection aborts the whole write unless the caller asks to skip bad rows.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.crs import STORAGE_SRID
from gis.errors import Conflict, InvalidInput
from gis.settings import get_settings
from gis.sql import load
from gis.validate import geometry_problem
from layers.common.audit import record
from layers.network import build as network
from layers.spatial.catalog import LayerSpec

Mode = Literal["upsert", "insert", "update"]


@dataclass
class Row:
    row: int
    attrs: dict[str, Any]
    geom: BaseGeometry
    target_id: int | None = None


@dataclass
class Rejection:
    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, field '{self.field}': {self.reason}"


@dataclass
class WriteResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)


class RowsRejected(InvalidInput):
    """Some rows failed their checks; nothing was written."""

    def __init__(self, rejections: list[Rejection]):
        first = rejections[0]
        more = f" (and {len(rejections) - 1} more rejected rows)" if len(rejections) > 1 else ""
        super().__init__(first.reason + more, field=first.field, row=first.row)
        self.rejections = rejections


def _shape(geom: BaseGeometry, family: str) -> BaseGeometry:
    """Coerce to the stored type: flat, polygons become MultiPolygon, single-part multi-lines become lines."""
    if geom.has_z:  # an altitude from a 3-D file or GeoJSON position; the layers store 2-D
        geom = shapely.force_2d(geom)
    if family == "polygon" and isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if family == "line" and isinstance(geom, MultiLineString):
        merged = shapely.line_merge(geom)
        if isinstance(merged, LineString):
            return merged
    return geom


def max_vertices_of(spec: LayerSpec) -> int:
    """The layer's vertex cap (settings `max_vertices_<layer>`)."""
    return int(getattr(get_settings(), f"max_vertices_{spec.name}"))


def prepare(
    spec: LayerSpec,
    records: Iterable[tuple[int, dict[str, Any], BaseGeometry | None]],
    ctx: dict[str, Any] | None = None,
) -> tuple[list[Row], list[Rejection]]:
    """Normalise attributes and check geometry of raw records (row number, properties, geometry in 4490)."""
    ctx = ctx or {}
    rows: list[Row] = []
    rejected: list[Rejection] = []
    max_vertices = max_vertices_of(spec)
    for row_no, raw, geom in records:
        problem = geometry_problem(geom, spec.family, max_vertices)
        if problem is None and spec.family == "line" and isinstance(_shape(geom, "line"), MultiLineString):
            problem = "a street segment must be one connected line, not several parts"
        if problem:
            rejected.append(Rejection(row_no, "geometry", problem))
            continue
        try:
            attrs = spec.normalise(raw, ctx)
        except InvalidInput as exc:
            rejected.append(Rejection(row_no, exc.field or "properties", exc.message))
            continue
        rows.append(Row(row_no, attrs, _shape(geom, spec.family)))
    return rows, rejected


def stable_code(spec: LayerSpec, attrs: dict[str, Any], geom: BaseGeometry) -> str:
    """A key that is the same every time the same feature is imported, for files that carry no code."""
    if attrs.get("osm_id") is not None:
        return f"osm{attrs['osm_id']}"
    rounded = shapely.transform(geom, lambda c: np.round(c, 7))
    digest = hashlib.sha1(f"{spec.name}|{attrs.get('name', '')}|".encode() + shapely.to_wkb(rounded)).hexdigest()
    return f"{spec.name[0].upper()}{digest[:15]}"


def ensure_metric_srid(session: Session, geom: BaseGeometry) -> None:
    """The first geometry a city stores fixes its Gauss-Krüger zone."""
    session.execute(
        text("INSERT INTO city_settings VALUES ('metric_srid', ccgrid_gk3_srid(:lon)::text) ON CONFLICT DO NOTHING"),
        {"lon": geom.centroid.x},
    )


# --- layer-specific SQL over the staging table `stage`, in sql/writer_*.sql ----------------------------------
# Each check returns (row_no, field, reason) for rows that must not be written.
_CHECKS: dict[str, list[str]] = {
    "regions": ["region_parent_exists", "region_inside_parent", "region_sibling_overlap"],
    "grid_cells": ["cell_community", "cell_inside_community", "cell_serial"],
    "streets": ["street_inside_city"],
    "assessment_points": ["point_inside_city", "point_type"],
}
# Preparation run on the staging table before the checks.
_PREPARE: dict[str, list[str]] = {
    "grid_cells": ["cell_community_column", "cell_community_by_code", "cell_community_by_place", "cell_serials"],
}

# Insert passes; regions go parents first so children find their parent_id in the same write.
# Qualified with `s.`: in an UPDATE … FROM stage both tables have the column.
_PASSES: dict[str, list[str]] = {
    "regions": ["s.level = 'district'", "s.level = 'subdistrict'", "s.level = 'community'"]
}

# Computed target columns beyond the spec's attribute columns.
_EXTRA_COLUMNS: dict[str, dict[str, str]] = {
    "regions": {"parent_id": "(SELECT p.id FROM regions p WHERE p.code = left(s.code, length(s.code) - 3))"},
    "grid_cells": {"community_id": "s.community_id"},
}
_NOT_STORED = {"grid_cells": {"community_code"}}


def _stage(session: Session, spec: LayerSpec, rows: Iterable[Row]) -> None:
    """COPY the rows into a fresh staging table as they come (a file import streams them batch by batch)."""
    cols = list(spec.columns)
    col_defs = ", ".join(f"{c} {t}" for c, t in spec.columns.items())
    # Several writes may share one transaction (the demo, a roster): each gets a fresh staging table.
    session.execute(text("DROP TABLE IF EXISTS pg_temp.stage"))
    session.execute(
        text(
            f"CREATE TEMP TABLE stage (row_no integer PRIMARY KEY, target_id integer, code text, "
            f"geom geometry(Geometry, {STORAGE_SRID}), geom_m geometry, {col_defs}) ON COMMIT DROP"
        )
    )
    dbapi = session.connection().connection.dbapi_connection
    with (
        dbapi.cursor() as cur,
        cur.copy(f"COPY stage (row_no, target_id, code, geom, {', '.join(cols)}) FROM STDIN") as copy,
    ):
        for r in rows:
            if spec.name in ("streets", "assessment_points") and not r.attrs.get("code"):
                r.attrs["code"] = stable_code(spec, r.attrs, r.geom)
            ewkb = shapely.to_wkb(shapely.set_srid(r.geom, STORAGE_SRID), hex=True, include_srid=True)
            copy.write_row((r.row, r.target_id, r.attrs.get("code"), ewkb, *(r.attrs.get(c) for c in cols)))
    session.execute(text("UPDATE stage SET geom_m = ST_Transform(geom, ccgrid_metric_srid())"))
    session.execute(text("CREATE INDEX ON stage USING gist (geom_m)"))
    session.execute(text("ANALYZE stage"))


def _sql_rejections(session: Session, spec: LayerSpec, mode: Mode) -> list[Rejection]:
    tol = get_settings().containment_tolerance_m
    out: list[Rejection] = []
    checks = [*_CHECKS.get(spec.name, []), "duplicate_code"]
    for name in checks:
        sql = load(__file__, f"writer_check_{name}")
        out += [Rejection(*r) for r in session.execute(text(sql), {"tol": tol}).all()]
    if mode in ("insert", "update"):
        # A new feature needs a new code; a changed one may not take another feature's code.
        other = " AND t.id <> s.target_id" if mode == "update" else ""
        taken = session.execute(
            text(f"SELECT s.code FROM stage s JOIN {spec.table} t ON t.code = s.code{other} LIMIT 1")
        ).scalar()
        if taken:
            raise Conflict(f"a {spec.name} feature with code {taken} already exists", field="code")
    return sorted({(r.row, r.field): r for r in out}.values(), key=lambda r: r.row)


def _write_sql(spec: LayerSpec, mode: Mode, where: str) -> str:
    attr_cols = [c for c in spec.columns if c not in _NOT_STORED.get(spec.name, set())]
    exprs = {
        "code": "s.code",
        "geom": "s.geom",
        **{c: f"s.{c}" for c in attr_cols},
        **_EXTRA_COLUMNS.get(spec.name, {}),
    }
    names = list(exprs)
    changed = ", ".join(f"t.{c}" for c in names if c != "code")
    incoming = ", ".join(f"EXCLUDED.{c}" for c in names if c != "code")
    if mode == "update":
        sets = ", ".join(f"{c} = {e}" for c, e in exprs.items())
        return (
            f"UPDATE {spec.table} t SET {sets} FROM stage s WHERE t.id = s.target_id AND {where} "
            f"RETURNING t.id, false AS inserted"
        )
    conflict = (
        f"ON CONFLICT (code) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in names if c != 'code')} "
        f"WHERE ({changed}) IS DISTINCT FROM ({incoming})"
    )
    return (
        f"INSERT INTO {spec.table} AS t ({', '.join(names)}) "
        f"SELECT {', '.join(exprs.values())} FROM stage s WHERE {where} ORDER BY s.row_no "
        f"{conflict} RETURNING t.id, (t.xmax = 0) AS inserted"
    )


def write(
    session: Session,
    spec: LayerSpec,
    rows: Iterable[Row],
    *,
    mode: Mode = "upsert",
    actor: str,
    skip_invalid: bool = False,
    prior_rejections: list[Rejection] | None = None,
    audit_detail: dict[str, Any] | None = None,
) -> WriteResult:
    """Stage, check and write rows in the caller's transaction. Raises RowsRejected unless skip_invalid.
    `rows` may be a stream (a file read batch by batch) that adds to `prior_rejections` as it is consumed."""
    stream = iter(rows)
    first = next(stream, None)
    if first is not None:
        ensure_metric_srid(session, first.geom)
        _stage(session, spec, itertools.chain([first], stream))
    rejected = list(prior_rejections or [])  # read after staging: a streamed source rejects rows as it goes
    if rejected and not skip_invalid:
        raise RowsRejected(sorted(rejected, key=lambda r: r.row))
    result = WriteResult(rejected=rejected)
    if first is None:
        return result
    for name in _PREPARE.get(spec.name, []):
        session.execute(text(load(__file__, f"writer_prepare_{name}")))
    sql_rejected = _sql_rejections(session, spec, mode)
    if sql_rejected:
        if not skip_invalid:
            raise RowsRejected(sorted(rejected + sql_rejected, key=lambda r: r.row))
        result.rejected += sql_rejected
        bad = [r.row for r in sql_rejected]
        session.execute(text("DELETE FROM stage WHERE row_no = ANY(:bad)"), {"bad": bad})
    staged = session.execute(text("SELECT count(*) FROM stage")).scalar_one()
    for where in _PASSES.get(spec.name, ["true"]):
        for fid, inserted in session.execute(text(_write_sql(spec, mode, where))).all():
            result.ids.append(fid)
            if inserted:
                result.inserted += 1
            else:
                result.updated += 1
    result.unchanged = staged - result.inserted - result.updated
    result.rejected.sort(key=lambda r: r.row)
    if spec.name == "streets":  # the walking network follows its streets, in the same transaction
        network.streets_written(session, result.ids, staged)
    else:  # and knows where facilities and cells join it
        network.features_written(session, spec.name, result.ids)
    _audit(session, spec, mode, actor, result, audit_detail)
    return result


def _audit(
    session: Session, spec: LayerSpec, mode: Mode, actor: str, result: WriteResult, detail: dict[str, Any] | None
) -> None:
    summary = {
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rejected": len(result.rejected),
        **(detail or {}),
    }
    if len(result.ids) <= 20:
        for fid in result.ids:
            record(session, actor, mode, spec.name, fid, summary)
    else:
        record(session, actor, f"bulk_{mode}", spec.name, None, summary)
