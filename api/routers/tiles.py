"""Vector tiles (MVT) and TileJSON for every layer and for problems (with the heatmap's filters)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.auth import Principal, require
from api.deps import DbSession
from api.routers.analytics import problem_filter
from layers.analytics import gap_tiles, tiles
from layers.analytics.schemas import TileJSON
from layers.ledger.filters import ProblemFilter

router = APIRouter(tags=["tiles"])
MVT = "application/vnd.mapbox-vector-tile"


@router.get("/tiles/{layer}/{z}/{x}/{y}.mvt", summary="A vector tile of a layer or of problems (filters as heatmap)",
            response_class=Response, responses={200: {"content": {MVT: {}}}})
def vector_tile(s: DbSession, layer: str, z: int, x: int, y: int, filters: ProblemFilter = Depends(problem_filter),
                principal: Principal = Depends(require("read"))) -> Response:
    data = tiles.tile(s, layer, z, x, y, scope=principal.region_code, filters=filters)
    # Private: what a tile holds depends on the caller's region. Short: problems change all day. Owners tiles are
    # asked again every time: an assignment made elsewhere must show on the next pan, not a minute later.
    cache = "private, no-cache" if layer in tiles.OWNER_TILE_LAYERS else "private, max-age=60"
    return Response(data, media_type=MVT, headers={"Cache-Control": cache})


@router.get("/tiles/gaps/{kind}/{z}/{x}/{y}.mvt", summary="A vector tile of coverage gaps: ownership (places lacking "
            "a required role, one MVT layer per place layer) or patrol (places past their patrol duty)",
            response_class=Response, responses={200: {"content": {MVT: {}}}})
def gap_tile(s: DbSession, kind: str, z: int, x: int, y: int,
             layer: str | None = Query(None, pattern="^(streets|assessment_points|grid_cells)$"),
             inspected_within_days: int | None = Query(None, ge=1, le=3650),
             principal: Principal = Depends(require("read"))) -> Response:
    data = gap_tiles.gap_tile(s, kind, z, x, y, scope=principal.region_code, layer=layer,
                              inspected_within_days=inspected_within_days)
    # Asked again every time: an assignment or a patrol closes a gap, and the next pan must show it.
    return Response(data, media_type=MVT, headers={"Cache-Control": "private, no-cache"})


@router.get("/tiles/{layer}.json", summary="TileJSON 3.0 of a tile layer", response_model=TileJSON)
def tile_json(s: DbSession, layer: str, request: Request, _: Principal = Depends(require("read"))) -> dict:
    return tiles.tilejson(s, layer, str(request.base_url), str(request.url.query))
