"""The API's answers about the spatial layers (layers, features, locate, point types), the service's health, and
the base models every schema module builds on.

Answers are documented as they are: a model's field names are the keys the service returns. Models accept keys
they do not name (`extra="allow"`), so a key a service adds is passed on, not dropped, until it is documented here;
tests/api/test_openapi_contract.py fails while one is undocumented. Keys a service leaves out for some callers (the
phone numbers, for instance) have a default and are not sent when absent: routes that validate their answer use
`response_model_exclude_unset=True`.
"""

from __future__ import annotations

from typing import Annotated, Any

from geojson_pydantic import Feature, FeatureCollection
from geojson_pydantic.geometries import Geometry
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

# A number kept as the service gives it: an int stays an int (5, not 5.0), a float stays a float.
Number = Annotated[int | float, WithJsonSchema({"type": "number"})]


class Out(BaseModel):
    """Base of every answer model: keys not (yet) named here pass through unchanged."""

    model_config = ConfigDict(extra="allow")


class Link(Out):
    href: str
    rel: str
    type: str | None = None
    title: str | None = None


# --- errors ---------------------------------------------------------------------------------------------------
class Rejection(Out):
    row: int | None = Field(None, description="row number in the file or request")
    field: str | None = None
    reason: str


class ValidationIssue(Out):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(Out):
    """Every 4xx/5xx answer of the API (Open311 answers its own way)."""

    detail: str = Field(description="what went wrong, in words")
    field: str | None = Field(None, description="the request field at fault")
    rejected: list[Rejection] | None = Field(None, description="the rejected rows of a bulk write (at most 100)")
    errors: list[ValidationIssue] | None = Field(None, description="every failed check of a malformed request")


# --- health ---------------------------------------------------------------------------------------------------
class Health(Out):
    status: str
    postgres: str | None = None
    postgis: str | None = None
    schema_revision: str | None = None


# --- layers ---------------------------------------------------------------------------------------------------
class LayerSummary(Out):
    name: str
    title: str
    geometry_types: list[str]
    count: int
    bbox: list[Number] | None = Field(None, description="minLon, minLat, maxLon, maxLat (CGCS2000)")
    properties: list[str]


class PointType(Out):
    name: str
    category: str | None = None
    geometry_hint: str | None = None


class RegionProperties(Out):
    id: int
    code: str
    name: str | None = None
    level: str | None = Field(None, description="district, subdistrict or community")
    parent_id: int | None = None
    district_code: str | None = None


class GridCellProperties(Out):
    id: int
    code: str
    community_id: int | None = None
    region_code: str | None = None
    area_m2: Number | None = None


class StreetProperties(Out):
    id: int
    code: str
    name: str | None = None
    road_class: str | None = Field(None, description="arterial, secondary, branch or back_lane")
    section_from: str | None = None
    section_to: str | None = None
    length_m: Number | None = None
    region_code: str | None = None
    osm_id: int | None = None


class AssessmentPointProperties(Out):
    id: int
    code: str
    name: str | None = None
    point_type: str | None = None
    address: str | None = None
    region_code: str | None = None


LayerProperties = RegionProperties | GridCellProperties | StreetProperties | AssessmentPointProperties
PROPERTIES_OF: dict[str, type[Out]] = {"regions": RegionProperties, "grid_cells": GridCellProperties,
                                       "streets": StreetProperties, "assessment_points": AssessmentPointProperties}


class LayerFeature(Feature[Geometry, LayerProperties]):
    """One feature of a layer; with crs=4490 the geometry also carries a `crs` member naming EPSG:4490."""


class FeaturePage(FeatureCollection[LayerFeature]):
    numberMatched: int
    numberReturned: int
    links: list[Link] | None = Field(None, description="`next` when more features match")


# --- locate ---------------------------------------------------------------------------------------------------
class LocatedRegion(Out):
    id: int
    code: str
    name: str | None = None
    level: str | None = None


class LocatedCell(Out):
    id: int
    code: str
    area_m2: Number | None = None


class LocatedStreet(Out):
    id: int
    code: str
    name: str | None = None
    road_class: str | None = None
    length_m: Number | None = None
    distance_m: Number | None = None


class LocatedPoint(Out):
    id: int
    code: str
    name: str | None = None
    point_type: str | None = None
    distance_m: Number | None = None


class Location(Out):
    """What is at a location. `owners` is typed in layers.registry.schemas.OwnedLocation."""

    lon: float
    lat: float
    district: LocatedRegion | None = None
    subdistrict: LocatedRegion | None = None
    community: LocatedRegion | None = None
    grid_cell: LocatedCell | None = None
    street: LocatedStreet | None = None
    assessment_point: LocatedPoint | None = None
    owners: list[dict[str, Any]] = []

