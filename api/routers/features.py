"""Spatial layers as GeoJSON: list, read, create, change, delete; and what is at a location."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from api.auth import Principal, require
from api.deps import DbSession
from api.responses import GeoJSONResponse
from gis.crs import WGS84, CoordSys, point_to_standard
from gis.errors import InvalidInput
from gis.settings import get_settings
from layers.registry.locate import locate as locate_at
from layers.registry.schemas import OwnedLocation
from layers.spatial import features
from layers.spatial.catalog import layer as get_layer
from layers.spatial.point_types import listing as point_types_listing
from layers.spatial.schemas import FeaturePage, LayerFeature, LayerSummary, PointType

router = APIRouter(prefix="/api/v1", tags=["layers"])
GEOJSON = "application/geo+json"

_FEATURE_EXAMPLE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [115.148, 34.648]},
    "properties": {"name": "城关农贸市场", "point_type": "农贸市场"},
}


def _geojson(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=GEOJSON)


@router.get("/layers", summary="The spatial layers with counts and extents", response_model=list[LayerSummary])
def list_layers(s: DbSession, principal: Principal = Depends(require("read"))) -> list[dict]:
    return features.layer_summaries(s, principal.caller)


@router.get("/point-types", summary="Assessment point types (测评点位类型)", response_model=list[PointType])
def point_types(s: DbSession, _: Principal = Depends(require("read"))) -> list[dict]:
    return point_types_listing(s)


@router.get("/layers/{layer}/features", summary="Features as GeoJSON, filtered by bbox, paged",
            response_class=GeoJSONResponse, responses={200: {"model": FeaturePage}})
def list_features(
    s: DbSession,
    request: Request,
    layer: str,
    bbox: str | None = Query(None, description="minLon,minLat,maxLon,maxLat"),
    limit: int = Query(100, ge=1),
    offset: int = Query(0, ge=0),
    crs: int = Query(WGS84, description="4326 (WGS84, default) or 4490 (CGCS2000)"),
    principal: Principal = Depends(require("read")),
) -> JSONResponse:
    spec = get_layer(layer)
    max_page = get_settings().max_page_size
    if limit > max_page:
        raise InvalidInput(f"limit may be at most {max_page}", field="limit")
    body = features.list_features(
        s, spec, bbox=bbox, limit=limit, offset=offset, scope=principal.region_code, out_srid=crs
    )
    if offset + body["numberReturned"] < body["numberMatched"]:
        nxt = request.url.include_query_params(offset=offset + limit, limit=limit)
        body["links"] = [{"rel": "next", "href": str(nxt), "type": GEOJSON}]
    return _geojson(body)


@router.get("/layers/{layer}/features/{fid}", summary="One feature", response_class=GeoJSONResponse,
            responses={200: {"model": LayerFeature}})
def get_feature(
    s: DbSession,
    layer: str, fid: int, crs: int = Query(WGS84), principal: Principal = Depends(require("read"))
) -> JSONResponse:
    spec = get_layer(layer)
    return _geojson(features.get_feature(s, spec, fid, scope=principal.region_code, out_srid=crs))


@router.post("/layers/{layer}/features", status_code=201, summary="Create a feature (GeoJSON Feature)",
             response_class=GeoJSONResponse, responses={201: {"model": LayerFeature}})
def create_feature(
    s: DbSession,
    layer: str,
    feature: dict[str, Any] = Body(..., examples=[_FEATURE_EXAMPLE]),
    crs: int = Query(WGS84, description="CRS of the coordinates sent (EPSG code)"),
    coord_sys: CoordSys = Query(CoordSys.standard, description="gcj02 for 高德/腾讯, bd09 for 百度 coordinates"),
    principal: Principal = Depends(require("edit_layers")),
) -> JSONResponse:
    spec = get_layer(layer)
    fid = features.create_feature(s, spec, feature, caller=principal.caller, crs=crs, coord_sys=coord_sys)
    return _geojson(features.get_feature(s, spec, fid), status=201)


@router.patch("/layers/{layer}/features/{fid}", summary="Change a feature's properties or geometry",
              response_class=GeoJSONResponse, responses={200: {"model": LayerFeature}})
def patch_feature(
    s: DbSession,
    layer: str,
    fid: int,
    patch: dict[str, Any] = Body(..., examples=[{"properties": {"name": "新名称"}}]),
    crs: int = Query(WGS84),
    coord_sys: CoordSys = Query(CoordSys.standard),
    principal: Principal = Depends(require("edit_layers")),
) -> JSONResponse:
    spec = get_layer(layer)
    features.patch_feature(s, spec, fid, patch, caller=principal.caller, crs=crs, coord_sys=coord_sys)
    return _geojson(features.get_feature(s, spec, fid))


@router.delete("/layers/{layer}/features/{fid}", status_code=204, summary="Delete a feature")
def delete_feature(s: DbSession,
                   layer: str, fid: int, principal: Principal = Depends(require("edit_layers"))) -> Response:
    spec = get_layer(layer)
    features.delete_feature(s, spec, fid, caller=principal.caller)
    return Response(status_code=204)


@router.get("/locate", summary="District, 街道, 社区, grid cell, nearest street and point at a location",
            response_model=OwnedLocation, response_model_exclude_unset=True)
def locate(
    s: DbSession,
    lon: float = Query(..., ge=-180, le=180),
    lat: float = Query(..., ge=-90, le=90),
    coord_sys: CoordSys = Query(CoordSys.standard, description="gcj02 / bd09 when the phone gives those"),
    principal: Principal = Depends(require("read")),
) -> dict:
    x, y = point_to_standard(lon, lat, coord_sys)
    return locate_at(s, x, y, caller=principal.caller, with_contact=principal.sees_contacts)
