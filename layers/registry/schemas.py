"""The API's answers about the street-chief registry: people, units, owner roles, coverage rules, assignments and
the ownership coverage report. Phone numbers are sent only to roles that manage people: those fields are absent
otherwise (see layers.spatial.schemas for the conventions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from layers.spatial.schemas import Location, Number, Out, Rejection

CONTACT = "only for roles that manage people"


class OwnerRole(Out):
    code: str
    name: str
    family: str
    holder: str | None = Field(None, description="person or unit")
    is_primary: bool
    layers: list[str] | None = None
    patrol_every_days: int | None = None
    max_street_km: Number | None = None
    max_points: int | None = None
    reports_to: str | None = None
    sort: int | None = None


class CoverageRule(Out):
    id: int
    layer: str
    role_family: str
    filter_column: str | None = None
    filter_value: str | None = None
    exclusive: bool
    active: bool


class Person(Out):
    id: int
    name: str
    phone: str | None = Field(None, description=CONTACT)
    title: str | None = None
    region_code: str | None = None
    active: bool
    unit_id: int | None = None
    unit_name: str | None = None
    reports_to_id: int | None = None
    reports_to_name: str | None = None
    current_assignments: int


class Assignment(Out):
    id: int
    role: str
    role_name: str
    family: str
    is_primary: bool
    layer: str
    feature_id: int
    region_code: str | None = None
    person_id: int | None = None
    person_name: str | None = None
    person_phone: str | None = Field(None, description=CONTACT)
    unit_id: int | None = None
    unit_name: str | None = None
    unit_phone: str | None = Field(None, description=CONTACT)
    valid_from: date
    valid_to: date | None = Field(None, description="exclusive; empty = open")
    street_group: str | None = Field(None, description="the named street when assigned as a whole")
    note: str | None = None
    patrol_every_days: int | None = None
    place_code: str | None = None
    place_name: str | None = None


class PersonDetail(Person):
    assignments: list[Assignment] = Field(description="in force today")


class Unit(Out):
    id: int
    name: str
    kind: str
    credit_code: str | None = None
    phone: str | None = Field(None, description=CONTACT)
    region_code: str | None = None
    active: bool | None = None


class UnitDetail(Unit):
    members: int = Field(description="active people of this unit")
    current_assignments: int = Field(description="places the unit holds today")


class AssignResult(Out):
    created: list[int] = Field(description="ids of the new assignments")
    unchanged: int = Field(description="places that already had this owner")


class BulkAssignResult(AssignResult):
    selected: int = Field(description="features found in the area")
    dry_run: bool = Field(False, description="a preview: what would be created, nothing written")


class ReassignResult(Out):
    ended: list[int]
    created: list[int]
    moved_problems: list[int] = Field(description="open problems passed to the new owner")


class EndResult(Out):
    id: int
    ended: bool


class RosterRow(Out):
    row: int
    holder: str
    holder_state: str = Field(description="matched (an existing person or unit) or created (new from this file)")
    role: str
    layer: str
    place: str
    created: int
    unchanged: int


class RosterImportResult(Out):
    rows: int
    created: int
    unchanged: int
    rejected: list[Rejection]
    outcomes: list[RosterRow] = Field([], description="each good row: its holder matched or created, its places")
    dry_run: bool = Field(False, description="a preview: the import was run and rolled back, nothing written")


class HandoverPlace(Out):
    id: int = Field(description="the old holder's assignment")
    role: str
    role_name: str
    layer: str
    feature_id: int
    code: str | None = None
    name: str | None = None
    kind: str | None = None
    region_code: str | None = None
    valid_from: date
    valid_to: date | None = None
    street_group: str | None = None
    open_problems: int


class HandoverProblem(Out):
    id: int
    category_name: str
    status: str
    status_name: str
    reported_at: datetime
    due_at: datetime | None = None
    overdue: bool
    place: str
    layer: str
    feature_id: int


class HandoverResult(Out):
    dry_run: bool
    on: date
    places: list[HandoverPlace] = Field(description="what passes to the new holder")
    problems: list[HandoverProblem] = Field(description="open problems that pass with them (move_open_problems)")
    staying_problems: list[HandoverProblem] = Field(description="open problems left with the old holder")
    ended: list[int]
    created: list[int] = Field(description="the new holder's assignments (in a dry run: rolled back)")
    moved_problems: list[int]


class PlaceOwner(Assignment):
    place: str = Field(description="district, subdistrict, community, grid_cell, street or assessment_point")
    place_code: str


class OwnedLocation(Location):
    owners: list[PlaceOwner] = Field(description="everyone responsible at this spot, place by place")


# --- the coverage report ----------------------------------------------------------------------------------------
class CoverageTotals(Out):
    required: int
    covered: int
    pct: Number | None = None
    missing: int
    doubly_owned: int
    expiring: int
    overloaded: int
    idle_people: int


class StreetKm(Out):
    covered: Number
    uncovered: Number


class RuleCoverage(Out):
    rule_id: int
    layer: str
    kind: str | None = None
    role_family: str
    role_names: str | None = None
    required: int
    covered: int
    pct: Number | None = None


class FamilyGap(Out):
    role_family: str
    role_names: str | None = None
    missing: int = Field(description="places of the region without this role family")


class RegionCoverage(Out):
    code: str
    name: str | None = None
    level: str
    required: int
    covered: int
    pct: Number | None = None
    missing: int | None = Field(None, description="required minus covered: the true number of gaps")
    missing_by_family: list[FamilyGap] | None = Field(None, description="the gaps per missing role family")


class MissingOwner(Out):
    layer: str
    id: int
    code: str | None = None
    name: str | None = None
    kind: str | None = None
    region_code: str | None = None
    role_family: str
    role_names: str | None = None
    community_name: str | None = None
    subdistrict_name: str | None = None


class DoublyOwned(Out):
    layer: str
    feature_id: int
    code: str | None = None
    name: str | None = None
    role: str
    role_name: str
    owners: int
    holders: str | None = None


class Expiring(Out):
    id: int
    layer: str
    feature_id: int
    code: str | None = None
    role: str
    role_name: str
    holder: str | None = None
    valid_to: date
    days_left: int


class Overloaded(Out):
    person_id: int
    name: str
    role: str
    role_name: str
    street_km: Number | None = None
    max_street_km: Number | None = None
    places: int | None = None
    max_points: int | None = None


class IdlePerson(Out):
    id: int
    name: str
    region_code: str | None = None
    unit_name: str | None = None


class CoverageReport(Out):
    on: date
    region: str | None = None
    totals: CoverageTotals
    streets_km: StreetKm
    by_rule: list[RuleCoverage]
    by_subdistrict: list[RegionCoverage]
    by_community: list[RegionCoverage]
    missing: list[MissingOwner]
    doubly_owned: list[DoublyOwned]
    expiring: list[Expiring]
    overloaded: list[Overloaded]
    idle_people: list[IdlePerson]


# --- the field app's patch ----------------------------------------------------------------------------------------
class MyPlaceProperties(Out):
    layer: str
    id: int
    code: str | None = None
    name: str | None = None
    kind: str | None = Field(None, description="road class, point type or region level")
    role_name: str = Field(description="the roles held there, 、-separated")
    patrolled_today: bool


class MyPlace(Out):
    type: str = "Feature"
    id: str = Field(description="layer:id")
    geometry: dict[str, Any]
    properties: MyPlaceProperties


class MyPlaces(Out):
    type: str = "FeatureCollection"
    person_id: int | None = Field(description="the caller's person (null: the account is linked to nobody)")
    features: list[MyPlace]
    patrolled_today: int
    total: int
