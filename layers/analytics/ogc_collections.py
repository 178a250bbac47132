"""The collections OGC API Features serves: the four layers and problems, behind one narrow interface
(`items`, `item`, `extent`) in the manner of pygeoapi's providers. GeoJSON in CRS84.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput, NotFound
from layers.ledger.filters import ProblemFilter
from layers.spatial.catalog import LAYERS
from layers.spatial.features import scope_clause


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    table: str
    time_column: str  # what `datetime` filters on
    properties: tuple[str, ...]


COLLECTIONS: dict[str, Collection] = {
    **{name: Collection(name, spec.title, spec.table, "updated_at", ("code", *spec.output, "updated_at"))
       for name, spec in LAYERS.items()},
    "problems": Collection("problems", "问题", "problems", "reported_at",
                           ("category_code", "source", "status", "description", "address", "reported_at", "due_at",
                            "closed_at", "region_code", "grid_cell_code", "street_id", "point_id", "duplicate_of")),
}


def collection(cid: str) -> Collection:
    if cid not in COLLECTIONS:
        raise NotFound(f"no collection {cid!r}; collections are {', '.join(COLLECTIONS)}", field="collectionId")
    return COLLECTIONS[cid]


def parse_datetime(value: str | None) -> tuple[datetime | None, datetime | None]:
    """OGC `datetime`: an instant, or an interval 'a/b' with '..' or '' for an open end."""
    if not value:
        return None, None

    def one(v: str) -> datetime | None:
        if v in ("", ".."):
            return None
        try:
            return datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"datetime {v!r} is not RFC 3339", field="datetime") from None

    if "/" in value:
        start, end = (one(v) for v in value.split("/", 1))
        if start and end and start > end:
            raise InvalidInput("datetime interval ends before it starts", field="datetime")
        return start, end
    instant = one(value)
    if instant is None:
        raise InvalidInput("datetime needs an instant or an interval", field="datetime")
    return instant, instant


def _where(session: Session, c: Collection, scope: str | None, bbox, when) -> tuple[str, dict[str, Any]]:
    if c.id == "problems":
        where, params = ProblemFilter(scope=scope, bbox=bbox, with_duplicates=True).sql(session, alias="t")
    else:
        where, params = scope_clause(LAYERS[c.id], scope), {"scope": scope}
        if bbox:
            where += " AND t.geom && ST_MakeEnvelope(:f_x0, :f_y0, :f_x1, :f_y1, 4490)"
            params.update(zip(("f_x0", "f_y0", "f_x1", "f_y1"), bbox, strict=True))
    start, end = when
    if start is not None and start == end:
        where += f" AND t.{c.time_column} = :t0"
        params["t0"] = start
    else:
        if start is not None:
            where += f" AND t.{c.time_column} >= :t0"
            params["t0"] = start
        if end is not None:
            where += f" AND t.{c.time_column} <= :t1"
            params["t1"] = end
    return where, params


def _feature_sql(c: Collection) -> str:
    props = ", ".join(f"'{p}', t.{p}" for p in c.properties)
    return ("json_build_object('type', 'Feature', 'id', t.id, 'geometry', "
            f"ST_AsGeoJSON(ST_Transform(t.geom, 4326), 7)::json, 'properties', json_build_object({props}))")


def items(session: Session, cid: str, *, scope: str | None, bbox=None, datetime_: str | None = None,
          limit: int = 100, offset: int = 0) -> dict[str, Any]:
    c = collection(cid)
    where, params = _where(session, c, scope, bbox, parse_datetime(datetime_))
    matched = session.execute(text(f"SELECT count(*) FROM {c.table} t WHERE {where}"), params).scalar_one()
    rows = session.execute(text(f"SELECT {_feature_sql(c)} FROM {c.table} t WHERE {where} "
                                "ORDER BY t.id LIMIT :limit OFFSET :offset"),
                           {**params, "limit": limit, "offset": offset}).scalars().all()
    return {"type": "FeatureCollection", "numberMatched": matched, "numberReturned": len(rows), "features": rows}


def item(session: Session, cid: str, fid: int, *, scope: str | None) -> dict[str, Any]:
    c = collection(cid)
    where, params = _where(session, c, scope, None, (None, None))
    row = session.execute(text(f"SELECT {_feature_sql(c)} FROM {c.table} t WHERE t.id = :id AND {where}"),
                          {**params, "id": fid}).scalar()
    if row is None:
        raise NotFound(f"{cid} feature {fid} not found", field="featureId")
    return row


def extent(session: Session, cid: str, scope: str | None) -> dict[str, Any]:
    c = collection(cid)
    where, params = _where(session, c, scope, None, (None, None))
    box, t0, t1 = session.execute(text(
        f"SELECT ST_Extent(t.geom), min(t.{c.time_column}), max(t.{c.time_column}) FROM {c.table} t WHERE {where}"),
        params).one()
    out: dict[str, Any] = {}
    if box is not None:
        coords = box.replace("BOX(", "").replace(")", "").replace(",", " ").split()
        out["spatial"] = {"bbox": [[round(float(v), 6) for v in coords]],
                          "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}
    if t0 is not None:
        out["temporal"] = {"interval": [[t0.isoformat(), t1.isoformat()]]}
    return out
