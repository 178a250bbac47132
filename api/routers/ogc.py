"""OGC API — Features (Part 1 Core, GeoJSON) at /ogc, so QGIS, OWSLib and GDAL read the layers and problems."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from api.auth import Principal, require
from api.deps import DbSession
from api.responses import GeoJSONResponse
from gis.settings import get_settings
from layers.analytics import ogc_collections as collections
from layers.analytics.schemas import (
    OgcCollection,
    OgcCollections,
    OgcConformance,
    OgcFeature,
    OgcFeatureCollection,
    OgcLanding,
)
from layers.spatial.features import parse_bbox

router = APIRouter(prefix="/ogc", tags=["ogc"])
GEOJSON = "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _link(href: str, rel: str, type_: str = "application/json", title: str | None = None) -> dict:
    link = {"href": href, "rel": rel, "type": type_}
    if title:
        link["title"] = title
    return link


@router.get("", summary="OGC API landing page", response_model=OgcLanding,
            response_model_exclude_unset=True)
@router.get("/", include_in_schema=False)
def landing(request: Request, _: Principal = Depends(require("read"))) -> dict:
    base = _base(request)
    return {
        "title": "创城网格 ccgrid",
        "description": "行政区划、网格、道路、测评点位与问题 (OGC API — Features)",
        "links": [
            _link(base, "self"),
            _link(str(request.base_url) + "openapi.json", "service-desc",
                  "application/vnd.oai.openapi+json;version=3.0"),
            _link(base + "/conformance", "conformance"),
            _link(base + "/collections", "data"),
        ],
    }


@router.get("/conformance", summary="OGC conformance classes", response_model=OgcConformance)
def conformance(_: Principal = Depends(require("read"))) -> dict:
    return {"conformsTo": CONFORMANCE}


def _collection_doc(request: Request, c: collections.Collection, extent: dict) -> dict:
    base = _base(request)
    return {
        "id": c.id,
        "title": c.title,
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "extent": extent,
        "links": [_link(f"{base}/collections/{c.id}", "self"),
                  _link(f"{base}/collections/{c.id}/items", "items", GEOJSON, c.title)],
    }


@router.get("/collections", summary="The collections", response_model=OgcCollections,
            response_model_exclude_unset=True)
def collection_list(s: DbSession, request: Request, principal: Principal = Depends(require("read"))) -> dict:
    docs = [_collection_doc(request, c, collections.extent(s, c.id, principal.region_code))
            for c in collections.COLLECTIONS.values()]
    return {"collections": docs, "links": [_link(_base(request) + "/collections", "self")]}


@router.get("/collections/{collectionId}", summary="One collection", response_model=OgcCollection,
            response_model_exclude_unset=True)
def collection_one(s: DbSession, collectionId: str, request: Request,  # noqa: N803 - the OGC path parameter name
                   principal: Principal = Depends(require("read"))) -> dict:
    c = collections.collection(collectionId)
    return _collection_doc(request, c, collections.extent(s, c.id, principal.region_code))


@router.get("/collections/{collectionId}/items", summary="Features of a collection (GeoJSON)",
            response_class=GeoJSONResponse, responses={200: {"model": OgcFeatureCollection}})
def collection_items(
    s: DbSession,
    collectionId: str,  # noqa: N803
    request: Request,
    bbox: str | None = Query(None, description="minLon,minLat,maxLon,maxLat"),
    datetime: str | None = Query(None, max_length=80, description="RFC 3339 instant or interval a/b, '..' open"),
    limit: int = Query(100, ge=1, le=10_000),
    offset: int = Query(0, ge=0, le=10_000_000),
    principal: Principal = Depends(require("read")),
) -> JSONResponse:
    limit = min(limit, get_settings().max_page_size)
    page = collections.items(s, collectionId, scope=principal.region_code, bbox=parse_bbox(bbox),
                             datetime_=datetime, limit=limit, offset=offset)
    url = f"{_base(request)}/collections/{collectionId}/items"
    keep = "&".join(f"{k}={v}" for k, v in request.query_params.items() if k not in ("limit", "offset"))
    keep = keep + "&" if keep else ""
    links = [_link(str(request.url), "self", GEOJSON),
             _link(f"{_base(request)}/collections/{collectionId}", "collection")]
    if offset + page["numberReturned"] < page["numberMatched"]:
        links.append(_link(f"{url}?{keep}limit={limit}&offset={offset + limit}", "next", GEOJSON))
    if offset > 0:
        links.append(_link(f"{url}?{keep}limit={limit}&offset={max(0, offset - limit)}", "prev", GEOJSON))
    page["links"] = links
    page["timeStamp"] = _now()
    return JSONResponse(page, media_type=GEOJSON)


@router.get("/collections/{collectionId}/items/{featureId}", summary="One feature (GeoJSON)",
            response_class=GeoJSONResponse, responses={200: {"model": OgcFeature}})
def collection_item(s: DbSession, collectionId: str, featureId: int, request: Request,  # noqa: N803
                    principal: Principal = Depends(require("read"))) -> JSONResponse:
    feature = collections.item(s, collectionId, featureId, scope=principal.region_code)
    feature["links"] = [_link(str(request.url), "self", GEOJSON),
                        _link(f"{_base(request)}/collections/{collectionId}", "collection")]
    return JSONResponse(feature, media_type=GEOJSON)


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
