"""Reading and writing single features of any layer as GeoJSON, inside a region scope."""

from __future__ import annotations

import json
from typing import Any

import shapely.geometry
import shapely.ops
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.crs import STORAGE_SRID, WGS84, CoordSys, to_standard
from gis.errors import Conflict, Forbidden, InvalidInput, NotFound
from gis.validate import FAMILIES, geojson_problem
from layers.access.caller import Caller
from layers.common.audit import record
from layers.network import build as network
from layers.spatial.catalog import LAYERS, LayerSpec, apply_aliases
from layers.spatial.writer import RowsRejected, prepare, write

OUTPUT_SRIDS = {WGS84, STORAGE_SRID}


def parse_bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    if not bbox:
        return None
    try:
        parts = [float(p) for p in bbox.split(",")]
    except ValueError:
        raise InvalidInput("bbox must be four numbers: minLon,minLat,maxLon,maxLat", field="bbox") from None
    if len(parts) != 4:
        raise InvalidInput("bbox must be four numbers: minLon,minLat,maxLon,maxLat", field="bbox")
    minx, miny, maxx, maxy = parts
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise InvalidInput("bbox must satisfy minLon<maxLon, minLat<maxLat within ±180/±90", field="bbox")
    return minx, miny, maxx, maxy


def scope_clause(spec: LayerSpec, scope: str | None, alias: str = "t") -> str:
    """SQL condition keeping features inside the region scope (a region code prefix); '' when unscoped."""
    if not scope:
        return "true"
    if spec.name == "regions":
        # A scoped user sees their own region, everything below it, and the outlines above it.
        return f"({alias}.code LIKE :scope || '%' OR :scope LIKE {alias}.code || '%')"
    return f"{alias}.region_code LIKE :scope || '%'"


def _feature_json(spec: LayerSpec, out_srid: int, alias: str = "t") -> str:
    props = ", ".join(f"'{c}', {alias}.{c}" for c in ("id", "code", *spec.output))
    geom = f"{alias}.geom" if out_srid == STORAGE_SRID else f"ST_Transform({alias}.geom, {int(out_srid)})"
    return (
        f"json_build_object('type', 'Feature', 'id', {alias}.id, "
        f"'geometry', ST_AsGeoJSON({geom}, 7)::json, 'properties', json_build_object({props}))"
    )


def _check_srid(out_srid: int) -> int:
    if out_srid not in OUTPUT_SRIDS:
        raise InvalidInput("crs must be 4326 (WGS84) or 4490 (CGCS2000)", field="crs")
    return out_srid


def list_features(
    session: Session,
    spec: LayerSpec,
    *,
    bbox: str | None = None,
    limit: int = 100,
    offset: int = 0,
    scope: str | None = None,
    out_srid: int = WGS84,
    filters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    _check_srid(out_srid)
    box = parse_bbox(bbox)
    where = [scope_clause(spec, scope)]
    params: dict[str, Any] = {"scope": scope, "limit": limit, "offset": offset}
    if box:
        where.append("t.geom && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4490)")
        params.update(zip(("minx", "miny", "maxx", "maxy"), box, strict=True))
    for i, (col, value) in enumerate((filters or {}).items()):
        if value is not None:
            where.append(f"t.{col} = :f{i}")
            params[f"f{i}"] = value
    cond = " AND ".join(where)
    matched = session.execute(text(f"SELECT count(*) FROM {spec.table} t WHERE {cond}"), params).scalar_one()
    rows = (
        session.execute(
            text(
                f"SELECT {_feature_json(spec, out_srid)} FROM {spec.table} t WHERE {cond} "
                f"ORDER BY t.id LIMIT :limit OFFSET :offset"
            ),
            params,
        )
        .scalars()
        .all()
    )
    return {"type": "FeatureCollection", "numberMatched": matched, "numberReturned": len(rows), "features": rows}


def get_feature(
    session: Session, spec: LayerSpec, fid: int, *, scope: str | None = None, out_srid: int = WGS84
) -> dict[str, Any]:
    _check_srid(out_srid)
    row = session.execute(
        text(
            f"SELECT {_feature_json(spec, out_srid)} FROM {spec.table} t WHERE t.id = :id "
            f"AND {scope_clause(spec, scope)}"
        ),
        {"id": fid, "scope": scope},
    ).scalar_one_or_none()
    if row is None:
        # Out of scope looks the same as missing: a scoped user learns nothing about other areas.
        raise NotFound(f"{spec.name} feature {fid} not found", field="id")
    return row


def geometry_from_geojson(
    geometry: Any, *, crs: int = STORAGE_SRID, coord_sys: CoordSys | str = CoordSys.standard
) -> BaseGeometry:
    """GeoJSON geometry in the given CRS (and Chinese offset) → shapely geometry in CGCS2000."""
    problem = geojson_problem(geometry)
    if problem:
        raise InvalidInput(problem, field="geometry")
    try:
        # Layers are flat: an altitude (GeoJSON's third coordinate) is dropped.
        geom = shapely.force_2d(shapely.geometry.shape(geometry))
    except Exception as exc:  # shapely raises several kinds for malformed coordinates
        raise InvalidInput(f"malformed GeoJSON geometry: {exc}", field="geometry") from None
    if crs not in (STORAGE_SRID, WGS84):
        try:
            transformer = Transformer.from_crs(CRS.from_epsg(crs), CRS.from_epsg(STORAGE_SRID), always_xy=True)
        except Exception:
            raise InvalidInput(f"unknown CRS EPSG:{crs}", field="crs") from None
        geom = shapely.ops.transform(transformer.transform, geom)
    return to_standard(geom, coord_sys)


def write_context(session: Session, spec: LayerSpec) -> dict[str, Any]:
    """What normalising a layer's rows needs from the database (the known point types)."""
    if spec.name == "assessment_points":
        return {"point_types": set(session.execute(text("SELECT name FROM point_types")).scalars())}
    return {}


def _region_column(spec: LayerSpec) -> str:
    return "code" if spec.name == "regions" else "region_code"


def _enforce_scope(session: Session, spec: LayerSpec, ids: list[int], caller: Caller) -> None:
    """After the write, in its transaction: every row written lies in the caller's region (the derived
    region_code is only known once PostGIS has placed the geometry)."""
    if caller.scope is None or not ids:
        return
    col = _region_column(spec)
    outside = session.execute(
        text(
            f"SELECT code FROM {spec.table} WHERE id = ANY(:ids) AND NOT starts_with(coalesce({col}, ''), :scope) "
            f"LIMIT 1"
        ),
        {"ids": ids, "scope": caller.scope},
    ).scalar_one_or_none()
    if outside is not None:
        raise Forbidden(f"feature {outside} lies outside your region {caller.scope}", field="geometry")


def _write_one(
    session: Session,
    spec: LayerSpec,
    raw: dict[str, Any],
    geom: BaseGeometry | None,
    mode: str,
    caller: Caller,
    target_id: int | None = None,
) -> int:
    rows, rejected = prepare(spec, [(1, apply_aliases(raw), geom)], write_context(session, spec))
    if rejected:
        raise RowsRejected(rejected)
    rows[0].target_id = target_id
    result = write(session, spec, rows, mode=mode, actor=caller.actor)  # type: ignore[arg-type]
    _enforce_scope(session, spec, result.ids, caller)
    return result.ids[0] if result.ids else target_id  # type: ignore[return-value]


def _properties(body: dict[str, Any]) -> dict[str, Any]:
    props = body.get("properties") or {}
    if not isinstance(props, dict):
        raise InvalidInput("must be an object", field="properties")
    return props


def create_feature(
    session: Session,
    spec: LayerSpec,
    feature: dict[str, Any],
    *,
    caller: Caller,
    crs: int = STORAGE_SRID,
    coord_sys: CoordSys | str = CoordSys.standard,
) -> int:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise InvalidInput("body must be a GeoJSON Feature", field="type")
    props = _properties(feature)
    geom = geometry_from_geojson(feature.get("geometry"), crs=crs, coord_sys=coord_sys)
    return _write_one(session, spec, props, geom, "insert", caller)


def _current(session: Session, spec: LayerSpec, fid: int, caller: Caller) -> tuple[dict[str, Any], Any]:
    """The feature, locked, when the caller may change it: a scoped caller sees the outlines of the regions above
    its own but may not change them (404, as for anything outside)."""
    row = session.execute(
        text(
            f"SELECT to_jsonb(t) - 'geom' - 'geom_m' AS props, ST_AsGeoJSON(t.geom) AS g "
            f"FROM {spec.table} t WHERE t.id = :id AND starts_with(coalesce(t.{_region_column(spec)}, ''), :scope) "
            f"FOR UPDATE"
        ),
        {"id": fid, "scope": caller.scope or ""},
    ).one_or_none()
    if row is None:
        raise NotFound(f"{spec.name} feature {fid} not found", field="id")
    return row.props, json.loads(row.g)


def patch_feature(
    session: Session,
    spec: LayerSpec,
    fid: int,
    patch: dict[str, Any],
    *,
    caller: Caller,
    crs: int = STORAGE_SRID,
    coord_sys: CoordSys | str = CoordSys.standard,
) -> int:
    props, geometry = _current(session, spec, fid, caller)
    new_props = dict(props)
    for key, value in apply_aliases(_properties(patch)).items():
        if key == "code" and value != props.get("code"):
            raise InvalidInput("code is the feature's stable key and cannot be changed", field="code")
        if key not in spec.patchable and key not in ("id", "code"):
            raise InvalidInput(f"cannot be changed; changeable: {', '.join(spec.patchable)}", field=key)
        new_props[key] = value
    if spec.name == "grid_cells":
        new_props["community_code"] = props.get("region_code")
    geom = (
        geometry_from_geojson(patch["geometry"], crs=crs, coord_sys=coord_sys)
        if patch.get("geometry") is not None
        else shapely.geometry.shape(geometry)
    )
    return _write_one(session, spec, new_props, geom, "update", caller, target_id=fid)


def delete_feature(session: Session, spec: LayerSpec, fid: int, *, caller: Caller) -> None:
    props, _ = _current(session, spec, fid, caller)
    if spec.name == "regions":
        children = session.execute(
            text(
                "SELECT (SELECT count(*) FROM regions WHERE parent_id = :id) "
                "+ (SELECT count(*) FROM grid_cells WHERE community_id = :id)"
            ),
            {"id": fid},
        ).scalar_one()
        if children:
            raise Conflict(f"region {props['code']} still has {children} sub-regions or grid cells; delete those first")
    if spec.name == "streets":  # its neighbours are joined again without it (its edges go with it)
        network.streets_removed(session, [fid])
    session.execute(text(f"DELETE FROM {spec.table} WHERE id = :id"), {"id": fid})
    record(session, caller.actor, "delete", spec.name, fid, {"code": props.get("code")})


def layer_summaries(session: Session, caller: Caller) -> list[dict[str, Any]]:
    """Each layer with the count and extent of the features the caller may read (as `list_features` finds them)."""
    out = []
    for spec in LAYERS.values():
        where = scope_clause(spec, caller.scope)
        row = session.execute(
            text(
                f"SELECT count(*) AS n, ST_XMin(ST_Extent(geom)) AS x0, ST_YMin(ST_Extent(geom)) AS y0, "
                f"ST_XMax(ST_Extent(geom)) AS x1, ST_YMax(ST_Extent(geom)) AS y1 FROM {spec.table} t WHERE {where}"
            ),
            {"scope": caller.scope},
        ).one()
        out.append(
            {
                "name": spec.name,
                "title": spec.title,
                "geometry_types": sorted(FAMILIES[spec.family]),
                "count": row.n,
                "bbox": [row.x0, row.y0, row.x1, row.y1] if row.x0 is not None else None,
                "properties": ["id", "code", *spec.output],
            }
        )
    return out
