"""What leaders map: problem density, coverage gaps and the 红黑榜 — aggregated in PostGIS, GeoJSON out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.auth import Principal, require
from api.deps import DbSession
from api.responses import GeoJSONResponse
from gis.times import CityDatetime
from layers.analytics import gaps, heatmap, overview, owner_map, planning, ranking
from layers.analytics.schemas import (
    CoverageGaps,
    Heatmap,
    LivingCircle,
    Overview,
    OwnerMapTotals,
    PlanningIndicators,
    Ranking,
    StreetOwnerMap,
)
from layers.campaign import wall
from layers.ledger.filters import ProblemFilter
from layers.ledger.ledgers import LEVELS
from layers.spatial.features import parse_bbox

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])


def problem_filter(
    principal: Principal = Depends(require("read")),
    region: str | None = Query(None, max_length=12, pattern=r"^\d{6,12}$", description="region code to look inside"),
    bbox: str | None = Query(None, description="minLon,minLat,maxLon,maxLat (CGCS2000)"),
    category: str | None = Query(None, max_length=50, description="small or big class, code or name"),
    status: str | None = Query(None, max_length=20, description="open, overdue, or a status code/name"),
    source: str | None = Query(None, max_length=30),
    since: CityDatetime | None = Query(None, description="reported at or after (without a zone: Beijing time)"),
    until: CityDatetime | None = Query(None, description="reported before"),
) -> ProblemFilter:
    """The filters shared by the heatmap, the problem tiles and the map pages."""
    return ProblemFilter(scope=principal.within(region), category=category, status=status, source=source,
                         since=since, until=until, bbox=parse_bbox(bbox))


@router.get("/heatmap", summary="Problem counts per hexagon, square, grid cell or community (GeoJSON)",
            response_class=GeoJSONResponse, responses={200: {"model": Heatmap}})  # JSON written by PostGIS
def heatmap_cells(
    s: DbSession,
    cell: str = Query("hex", pattern="^(hex|square|grid_cell|community)$"),
    size_m: float = Query(250.0, description="hexagon edge or square side in metres (hex/square)"),
    filters: ProblemFilter = Depends(problem_filter),
) -> Response:
    body = heatmap.heatmap_json(s, cell=cell, size_m=size_m, filters=filters)
    return Response(body, media_type="application/geo+json")


@router.get("/coverage", summary="Coverage gaps as geometry: ownership, patrol, grid gaps/overlaps, service reach",
            response_model=CoverageGaps, response_model_exclude_unset=True)
def coverage_gaps(
    s: DbSession,
    kind: list[str] | None = Query(None, description="ownership, patrol, grid_gap, grid_overlap, service"),
    layer: str | None = Query(None, pattern="^(streets|assessment_points|grid_cells)$"),
    region: str | None = Query(None, max_length=12, pattern=r"^\d{6,12}$"),
    inspected_within_days: int | None = Query(None, ge=1, le=3650,
                                              description="patrol gap threshold instead of each role's duty"),
    facility: list[str] | None = Query(None, description="assessment point types for service gaps (any number)"),
    method: str = Query("straight_line", pattern="^(straight_line|network)$",
                        description="service reach: straight-line buffers or walks along the street network"),
    walk_m: float | None = Query(None, ge=50, le=10_000, description="walking reach in metres (default 1000, the "
                                                                    "15-minute circle)"),
    walk_min: float | None = Query(None, gt=0, le=150, description="walking reach in minutes at CCGRID_WALK_SPEED_KMH"),
    preset: str | None = Query(None, max_length=50, description="a living circle (15min: the 15-minute circle's "
                                                                "facility types and minutes)"),
    bbox: str | None = Query(None, description="only gaps touching minLon,minLat,maxLon,maxLat"),
    limit: int = Query(20_000, ge=1, le=20_000, description="at most this many gaps of each kind (listed in "
                                                             "`truncated` when cut)"),
    geometry: bool = Query(True, description="false: the summary alone (what a map drawing the gaps from "
                                             "/tiles/gaps/… shows in its legend)"),
    principal: Principal = Depends(require("read")),
) -> dict:
    return gaps.gaps(s, kinds=kind, scope=principal.within(region), layer=layer,
                     inspected_within_days=inspected_within_days, facility=facility, method=method, walk_m=walk_m,
                     walk_min=walk_min, preset=preset, bbox=parse_bbox(bbox), limit=limit, geometry=geometry)


@router.get("/planning-indicators", summary="The planning indicators per 社区, 街道, district or city (路网密度, "
            "15分钟生活圈覆盖率, 道路面积率, 绿化覆盖率, 无街长道路占比 …) against their targets",
            response_model=PlanningIndicators, response_model_by_alias=True)
def planning_indicators(
    s: DbSession,
    level: str = Query("community", pattern="^(" + "|".join(planning.LEVELS) + ")$"),
    region: str | None = Query(None, max_length=12, pattern=r"^\d{6,12}$"),
    circle: str = Query(planning.DEFAULT_CIRCLE, max_length=50, description="the living circle whose reach counts"),
    principal: Principal = Depends(require("read")),
) -> dict:
    return planning.indicators(s, level=level, scope=principal.within(region), circle=circle)


@router.get("/living-circles", summary="The living circles (presets of facility types and walking minutes)",
            response_model=list[LivingCircle])
def living_circles(s: DbSession, principal: Principal = Depends(require("read"))) -> list[dict]:
    return planning.circles(s)


@router.get("/ranking", summary="红黑榜 of 街道, 社区 or owners for a period, with the change against the last one",
            response_model=Ranking)
def red_black_list(
    s: DbSession,
    level: str = Query("subdistrict", pattern="^(" + "|".join(LEVELS) + ")$"),
    period: str | None = Query(None, max_length=10, description="2026-11, 2026-W49, 2026-B6 (bi-month), "
                                                                 "2026-Q4 or 2026; none: the last complete month"),
    sort: str = Query("on_time_rate", pattern="^(" + "|".join(ranking.METRICS) + ")$"),
    min_sample: int = Query(ranking.DEFAULT_MIN_SAMPLE, ge=1, le=10_000,
                            description="problems due in the period below which a row is shown but not ranked"),
    min_ranked: int = Query(ranking.DEFAULT_MIN_RANKED, ge=2, le=10_000,
                            description="ranked rows needed before a 红榜 and 黑榜 are drawn"),
    region: str | None = Query(None, max_length=12, pattern=r"^\d{6,12}$"),
    principal: Principal = Depends(require("read")),
) -> dict:
    return ranking.ranking(s, level=level, period=period, scope=principal.within(region), sort=sort,
                           min_sample=min_sample, min_ranked=min_ranked)


@router.get("/owners/totals", summary="The owners map legend: places and km owned, covered and uncovered by the "
            "coverage rules over a whole view or region", response_model=OwnerMapTotals)
def owner_totals(
    s: DbSession,
    layer: str = Query("streets", description="streets, assessment_points or grid_cells"),
    bbox: str | None = Query(None, description="minLon,minLat,maxLon,maxLat; none: the whole region"),
    region: str | None = Query(None, max_length=12, pattern=r"^\d{6,12}$"),
    principal: Principal = Depends(require("read")),
) -> dict:
    return owner_map.totals(s, layer=layer, scope=principal.within(region), bbox=parse_bbox(bbox))


@router.get("/overview", summary="The leaders' overview (大屏): today's numbers, the trend, by category and area, "
            "the 测评 round", response_model=Overview)
def leaders_overview(
    s: DbSession,
    region: str | None = Query(None, max_length=12, pattern=r"^\d{6,12}$"),
    days: int = Query(30, ge=1, le=overview.MAX_DAYS, description="the trend window: the last N days, today included"),
    principal: Principal = Depends(require("read")),
) -> dict:
    return wall.overview(s, scope=principal.within(region), days=days)


@router.get("/owners", summary="Each street (or point, or grid cell) in view with its current owners and the "
            "required roles it lacks", response_model=StreetOwnerMap, response_model_exclude_unset=True)
def street_owners(
    s: DbSession,
    layer: str = Query("streets", description="streets, assessment_points or grid_cells"),
    bbox: str | None = Query(None, description="minLon,minLat,maxLon,maxLat"),
    region: str | None = Query(None, max_length=12, pattern=r"^\d{6,12}$"),
    limit: int = Query(owner_map.MAX_STREETS, ge=1, le=owner_map.MAX_STREETS,
                       description="at most this many segments, main roads first"),
    principal: Principal = Depends(require("read")),
) -> dict:
    return owner_map.street_owners(s, scope=principal.within(region), bbox=parse_bbox(bbox),
                                   with_contact=principal.sees_contacts, limit=limit, layer=layer)
