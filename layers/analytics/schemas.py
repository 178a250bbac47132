"""The API's answers for the leaders' maps and the standard interfaces: the heatmap, coverage gaps, the 红黑榜
ranking, the street-owner map, TileJSON, and the OGC API — Features landing page, conformance, collections and items
(see layers.spatial.schemas for the conventions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geojson_pydantic import Feature, FeatureCollection
from geojson_pydantic.geometries import Geometry
from pydantic import Field

from layers.spatial.schemas import (
    AssessmentPointProperties,
    GridCellProperties,
    Link,
    Number,
    Out,
    RegionProperties,
    StreetProperties,
)

# --- heatmap --------------------------------------------------------------------------------------------------


class HeatmapCell(Out):
    count: int
    open: int
    overdue: int
    per_km2: Number | None = None
    code: str | None = Field(None, description="grid cells and communities")
    name: str | None = Field(None, description="grid cells and communities")
    street_km: Number | None = Field(None, description="grid cells and communities")
    per_street_km: Number | None = Field(None, description="grid cells and communities")


class HeatmapFeature(Feature[Geometry, HeatmapCell]):
    id: str = Field(description="column:row of a hexagon or square, or the cell's or community's key")


class Heatmap(FeatureCollection[HeatmapFeature]):
    cell: str = Field(description="hex, square, grid_cell or community")
    size_m: Number | None = Field(None, description="hexagon edge or square side (hex/square)")
    total: int
    max: int
    clipped: bool | None = Field(None, description="counts are of the reports inside bbox only (else each cell "
                                                   "whole): the cell's problem list needs the bbox too")


# --- coverage gaps ----------------------------------------------------------------------------------------------
class Gap(Out):
    kind: str = Field(description="ownership, patrol, grid_gap, grid_overlap or service; `reach`: a street stretch "
                                  "inside walking reach (method=network), not a gap")
    layer: str | None = None
    id: int | None = None
    code: str | None = None
    other_code: str | None = Field(None, description="grid_overlap: the other cell")
    name: str | None = None
    region_code: str | None = None
    feature_kind: str | None = Field(None, description="road class or point type")
    missing_roles: str | None = Field(None, description="ownership: role families, comma-separated")
    missing_role_names: str | None = None
    duty_days: int | None = Field(None, description="patrol: the duty it misses")
    last_inspected: str | None = Field(None, description="patrol: ISO time, empty when never")
    days_since: int | None = None
    facility: str | None = Field(None, description="service: the facility type")
    walk_m: Number | None = None
    criterion: str | None = Field(None, description="service, method=network: centroid (a cell is outside reach "
                                                    "when the walk to its centre is longer than walk_m)")
    distance_m: Number | None = Field(None, description="network: the walk from the nearest facility (to a cell's "
                                                        "centre, to a stretch's near end); empty: no way there")
    mid_m: Number | None = Field(None, description="reach: the walk to the stretch's middle")
    walk_min: Number | None = Field(None, description="reach: mid_m in minutes at the walking speed")
    length_m: Number | None = None
    area_m2: Number | None = None


class GapSummary(Out):
    count: int
    length_m: Number
    area_m2: Number


class GapFeature(Feature[Geometry, Gap]):
    pass


class ServiceFacility(Out):
    facility: str
    walk_m: Number
    walk_min: Number
    unreached: int = Field(description="gaps: community parts (straight_line) or grid cells (network) out of reach")
    unreached_area_m2: Number
    facilities: int | None = Field(None, description="network: facilities of the type in the city")
    on_network: int | None = Field(None, description="network: those within reach of a street (the walk starts)")
    units: int | None = Field(None, description="network: grid cells judged (a community without cells counts whole)")
    area_m2: Number | None = None
    area_share: float | None = Field(None, description="network: share of the units' area inside reach")
    street_km: Number | None = None
    reached_street_km: Number | None = None
    street_share: float | None = None


class ServiceCommunity(Out):
    code: str
    name: str | None = None
    facility: str | None = Field(None, description="empty: inside reach of every facility type asked at once")
    area_m2: Number
    reached_area_m2: Number
    share: float | None = Field(None, description="share of the community's cell area inside reach")
    street_km: Number
    reached_street_km: Number
    street_share: float | None = None


class ServiceReach(Out):
    method: str = Field(description="straight_line or network")
    criterion: str | None = Field(None, description="network: centroid")
    speed_kmh: Number | None = None
    facilities: list[ServiceFacility]
    communities: list[ServiceCommunity] | None = Field(None, description="network: per community and type")


class CoverageGaps(FeatureCollection[GapFeature]):
    kinds: list[str]
    summary: dict[str, GapSummary] = Field(description="per kind, every gap in the view or region (cut or not)")
    truncated: list[str] = Field(description="kinds cut at `limit` (and `reach`, the reached streets)")
    service_method: str | None = Field(None, description="straight_line or network when service gaps are asked for")
    service: ServiceReach | None = Field(None, description="service reach per facility type (and, network, per "
                                                           "community)")


# --- planning indicators and living circles ---------------------------------------------------------------------
class CircleFacility(Out):
    facility: str
    minutes: Number
    walk_m: Number


class LivingCircle(Out):
    code: str
    name: str
    minutes: int
    walk_m: Number
    source: str | None = None
    facilities: list[CircleFacility]


class PlanningTarget(Out):
    code: str
    name: str
    unit: str
    comparison: str = Field(description=">= or <=")
    target: float | None = Field(None, description="empty: no target set (shown, not judged)")
    point_type: str | None = Field(None, description="a reach share of this facility type")
    source: str | None = None


class PlanningValue(Out):
    code: str
    name: str
    unit: str
    comparison: str
    target: float | None = None
    value: float | None = Field(None, description="empty: not computable here (no layer imported, no cells)")
    passed: bool | None = Field(None, alias="pass", description="达标: the value meets the target")
    note: str | None = None


class FacilityShare(Out):
    facility: str
    walk_m: Number
    share: float | None = Field(None, description="share of the cell area whose centre is inside reach")


class PlanningRow(Out):
    code: str
    name: str | None = None
    road_km: Number
    built_up_km2: Number
    built_up_source: str = Field(description="grid_cells, or land_cover where built-up polygons were imported")
    no_chief_km: Number = Field(description="street km a coverage rule requires a 街长 for, without one")
    indicators: list[PlanningValue]
    reach: list[FacilityShare]


class PlanningCircle(Out):
    code: str
    name: str
    minutes: int
    walk_m: Number


class PlanningIndicators(Out):
    level: str
    region: str | None = None
    circle: PlanningCircle
    criterion: str = Field(description="centroid: a cell counts inside reach when its centre is")
    targets: list[PlanningTarget]
    rows: list[PlanningRow]


# --- ranking ----------------------------------------------------------------------------------------------------
class RankingPrevious(Out):
    dispatched: int
    on_time_rate: float | None = None
    closure_rate: float | None = None
    rework_rate: float | None = None
    overdue_rate: float | None = None
    per_street_km: Number | None = None
    per_point: Number | None = None
    escalations: int | None = None


class RankingRow(Out):
    key: str
    name: str | None = None
    dispatched: int
    due: int
    closed: int
    closed_on_time: int
    reworked: int
    overdue: int
    evidence_flagged: int = Field(0, description="dispatched problems with a photo flagged as evidence of 虚假整改")
    on_time_rate: float | None = None
    closure_rate: float | None = None
    rework_rate: float | None = None
    overdue_rate: float | None = None
    street_km: Number | None = None
    points: int | None = None
    per_street_km: Number | None = None
    per_point: Number | None = None
    escalations: int | None = None
    rank: int | None = None
    ranked: bool
    board: str | None = Field(None, description="red (红榜) or black (黑榜)")
    previous: RankingPrevious | None = None
    previous_rank: int | None = None
    change: float | None = Field(None, description="the sort metric against the previous period")
    rank_change: int | None = None


class Ranking(Out):
    level: str
    period: str
    period_label: str = Field(description="the period as a 通报 names it, e.g. 2026年第6双月（11—12月）")
    since: datetime
    until: datetime
    previous_since: datetime
    previous_until: datetime
    sort: str
    higher_is_better: bool
    min_sample: int
    ranked: int = Field(description="rows with enough sample to rank")
    min_ranked: int = Field(description="ranked rows needed before the 红榜 and 黑榜 are drawn")
    boards_shown: bool = Field(description="whether any row is on the 红榜 or 黑榜")
    rows: list[RankingRow]


# --- the leaders' overview (大屏) -----------------------------------------------------------------------------
class OverviewToday(Out):
    reported: int = Field(description="first reports since midnight (Beijing time)")
    closed: int = Field(description="first reports closed (销号) since midnight")


class OverviewMonth(Out):
    period: str = Field(description="the month's code, e.g. 2026-12")
    label: str
    due: int = Field(description="dispatched first reports whose deadline passed this month, or that closed this "
                                 "month before a deadline still to come")
    closed_on_time: int = Field(description="of those, closed and fixed (整改完成) by the deadline")
    on_time_rate: float | None = Field(None, description="按期结案率: closed_on_time / due")


class OverviewCoverage(Out):
    pct: Number | None = Field(None, description="责任覆盖率, as on the home page")
    missing: int = Field(description="places lacking a role their coverage rules require")
    unowned_street_km: Number = Field(description="street km lacking a required role")


class OverviewDay(Out):
    day: date
    reported: int
    closed: int


class OverviewGroup(Out):
    code: str
    name: str
    parent: str | None = Field(None, description="a small class's big class")
    reported: int = Field(description="first reports in the window")
    done: int = Field(description="of those, closed or rejected (办结)")
    in_progress: int = Field(description="open within the deadline")
    overdue: int = Field(description="open past the deadline and not yet fixed")


class Overview(Out):
    region: str | None = None
    region_name: str
    as_of: datetime
    days: int
    since: date = Field(description="the window's first day")
    until: date = Field(description="the window's last day (today)")
    today: OverviewToday
    open: int
    overdue: int
    month: OverviewMonth
    coverage: OverviewCoverage
    trend: list[OverviewDay] = Field(description="every day of the window, quiet days as 0")
    by_category: list[OverviewGroup] = Field(description="the small classes with most reports in the window")
    area_level: str = Field(description="subdistrict (a city's or district's 街道) or community (a 街道's 社区)")
    by_area: list[OverviewGroup]
    round: dict[str, Any] | None = Field(None, description="the current 测评 round's summary; null: none")
    heatmap_since: date = Field(description="the first day of the whole months the wall's heatmap shows")


# --- the street-owner map ---------------------------------------------------------------------------------------
class StreetOwnerEntry(Out):
    role: str
    role_name: str
    holder: str | None = None
    holder_key: str
    primary: bool
    phone: str | None = Field(None, description="only for roles that manage people")


class StreetOwnership(Out):
    id: int
    code: str | None = None
    name: str | None = None
    kind: str | None = Field(None, description="road class of a street, type of a point")
    road_class: str | None = None
    section_from: str | None = None
    section_to: str | None = None
    length_m: Number | None = None
    region_code: str | None = None
    owners: list[StreetOwnerEntry]
    missing: list[str] = Field(description="required role families nobody holds")
    owned: bool = Field(description="has a primary owner")
    required: bool = Field(description="a coverage rule asks for an owner of this place")
    uncovered: bool = Field(description="a role its coverage rules require is held by nobody")
    colour_key: str | None = None


class StreetOwnerFeature(Feature[Geometry, StreetOwnership]):
    pass


class StreetOwnerMap(FeatureCollection[StreetOwnerFeature]):
    layer: str
    truncated: bool
    owned_km: Number = Field(description="streets only: length with a primary owner")
    unowned_km: Number
    owned_count: int = Field(description="places in the answer with a primary owner")
    unowned_count: int
    covered_km: Number = Field(description="streets only: length the coverage rules require with every required "
                                           "role held (the coverage report's and home page's definition)")
    uncovered_km: Number = Field(description="streets only: length lacking a role the coverage rules require")
    covered_count: int = Field(description="places whose required roles are all held")
    uncovered_count: int = Field(description="places lacking a role the coverage rules require")


class OwnerMapTotals(Out):
    """The owners map legend over a whole view or region (never over what was drawn)."""
    layer: str
    places: int
    owned_count: int = Field(description="places with a primary owner")
    unowned_count: int
    covered_count: int = Field(description="places whose required roles are all held")
    uncovered_count: int = Field(description="places lacking a role the coverage rules require")
    owned_km: Number = Field(description="streets only: length with a primary owner")
    unowned_km: Number
    covered_km: Number = Field(description="streets only: length the coverage rules require with every required "
                                           "role held (the coverage report's and home page's definition)")
    uncovered_km: Number = Field(description="streets only: length lacking a role the coverage rules require")


# --- tiles ------------------------------------------------------------------------------------------------------
class VectorLayer(Out):
    id: str
    description: str | None = None
    fields: dict[str, str]


class TileJSON(Out):
    tilejson: str
    name: str
    description: str | None = None
    scheme: str
    tiles: list[str]
    minzoom: int
    maxzoom: int
    bounds: list[Number]
    center: list[Number]
    vector_layers: list[VectorLayer]


# --- OGC API — Features -----------------------------------------------------------------------------------------
class OgcLanding(Out):
    title: str
    description: str | None = None
    links: list[Link]


class OgcConformance(Out):
    conformsTo: list[str]


class SpatialExtent(Out):
    bbox: list[list[Number]]
    crs: str | None = None


class TemporalExtent(Out):
    interval: list[list[str | None]]


class Extent(Out):
    spatial: SpatialExtent | None = None
    temporal: TemporalExtent | None = None


class OgcCollection(Out):
    id: str
    title: str
    itemType: str
    crs: list[str]
    extent: Extent
    links: list[Link]


class OgcCollections(Out):
    collections: list[OgcCollection]
    links: list[Link]


class ProblemItem(Out):
    category_code: str
    status: str
    source: str | None = None
    description: str | None = None
    address: str | None = None
    region_code: str | None = None
    grid_cell_code: str | None = None
    street_id: int | None = None
    point_id: int | None = None
    duplicate_of: int | None = None
    reported_at: datetime
    due_at: datetime | None = None
    closed_at: datetime | None = None


class RegionItem(RegionProperties):
    id: int | None = Field(None, description="not sent: the feature's id is the Feature's")
    updated_at: datetime | None = None


class GridCellItem(GridCellProperties):
    id: int | None = Field(None, description="not sent: the feature's id is the Feature's")
    updated_at: datetime | None = None


class StreetItem(StreetProperties):
    id: int | None = Field(None, description="not sent: the feature's id is the Feature's")
    updated_at: datetime | None = None


class PointItem(AssessmentPointProperties):
    id: int | None = Field(None, description="not sent: the feature's id is the Feature's")
    updated_at: datetime | None = None


class OgcFeature(Feature[Geometry, ProblemItem | RegionItem | GridCellItem | StreetItem | PointItem]):
    links: list[Link] | None = None


class OgcFeatureCollection(FeatureCollection[OgcFeature]):
    numberMatched: int
    numberReturned: int
    timeStamp: datetime
    links: list[Link]

