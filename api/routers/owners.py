"""The street-chief registry: people, units, roles, assignments, ownership coverage and the 责任清单."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal, require
from api.deps import DbSession
from api.downloads import send, spool
from api.responses import XLSX, binary
from gis.crs import STORAGE_SRID
from gis.errors import InvalidInput
from gis.settings import get_settings
from layers.registry import assignments as assign_svc
from layers.registry import coverage, duty_list, handover
from layers.registry import people as owners
from layers.registry.roster import import_roster
from layers.registry.schemas import (
    Assignment,
    AssignResult,
    BulkAssignResult,
    CoverageReport,
    CoverageRule,
    EndResult,
    HandoverResult,
    OwnerRole,
    Person,
    PersonDetail,
    ReassignResult,
    RosterImportResult,
    Unit,
    UnitDetail,
)
from layers.spatial.catalog import layer as get_layer
from layers.spatial.features import geometry_from_geojson

router = APIRouter(prefix="/api/v1", tags=["owners"])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonIn(_Strict):
    name: str = Field(min_length=1, max_length=100)
    phone: str | None = None
    unit_id: int | None = None
    title: str | None = Field(None, max_length=100)
    region_code: str | None = None
    reports_to_id: int | None = None


class PersonPatch(_Strict):
    name: str | None = Field(None, min_length=1, max_length=100)
    phone: str | None = None
    unit_id: int | None = None
    title: str | None = None
    active: bool | None = None
    reports_to_id: int | None = None


class UnitIn(_Strict):
    name: str = Field(min_length=1, max_length=200)
    kind: str = "responsible_unit"
    credit_code: str | None = None
    phone: str | None = None
    region_code: str | None = None


class UnitPatch(_Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: str | None = None
    credit_code: str | None = None
    phone: str | None = None
    active: bool | None = None
    head_person_id: int | None = Field(None, ge=1, le=2**31 - 1, description="its head (一把手): a person's id")


class Place(_Strict):
    role: str = Field(description="role code or Chinese name, e.g. road_chief or 路长")
    layer: str = Field(description="regions, grid_cells, streets or assessment_points")
    feature_id: int | None = None
    code: str | None = Field(None, description="the feature's code instead of its id")
    street_name: str | None = Field(None, description="a named street: every segment of it")
    person_id: int | None = None
    unit_id: int | None = None
    note: str | None = Field(None, max_length=500)


class AssignmentIn(Place):
    valid_from: date | None = None
    valid_to: date | None = None


class ReassignIn(Place):
    on: date | None = Field(None, description="the day the new owner takes over (default today)")
    move_open_problems: bool = Field(False, description="pass the places' open problems to the new owner")


class EndIn(_Strict):
    on: date | None = None


class BulkIn(_Strict):
    role: str
    layer: str
    person_id: int | None = None
    unit_id: int | None = None
    polygon: dict[str, Any] | None = Field(None, description="GeoJSON Polygon in WGS84/CGCS2000 lon/lat")
    region: str | None = Field(None, description="a region code: everything of the layer inside it")
    kind: str | None = Field(None, description="road class or point type to keep")
    valid_from: date | None = None
    valid_to: date | None = None
    note: str | None = None
    dry_run: bool = Field(False, description="answer how many places are selected and would be assigned; write "
                                             "nothing")


class HandoverIn(_Strict):
    from_person_id: int | None = None
    from_unit_id: int | None = None
    to_person_id: int | None = None
    to_unit_id: int | None = None
    on: date | None = Field(None, description="the day the new holder takes over (default today)")
    layer: str | None = Field(None, description="only places of this layer")
    feature_id: int | None = Field(None, description="only this place (with layer)")
    street_name: str | None = Field(None, description="only the segments of this named street")
    role: str | None = Field(None, description="only this role (code or name)")
    move_open_problems: bool = Field(False, description="pass the open problems owned through them too")
    note: str | None = Field(None, max_length=500)
    dry_run: bool = Field(False, description="answer what would move; write nothing")


def _ids(s, place: Place, principal: Principal) -> list[int]:
    return assign_svc.resolve_features(s, place.layer, feature_id=place.feature_id, code=place.code,
                                       street_name=place.street_name, caller=principal.caller)


@router.get("/owner-roles", summary="Owner roles of the street-chief system (data)", response_model=list[OwnerRole])
def owner_roles(s: DbSession, _: Principal = Depends(require("read"))) -> list[dict]:
    return owners.roles(s)


@router.get("/coverage-rules", summary="Which roles each kind of place needs", response_model=list[CoverageRule])
def rules(s: DbSession, _: Principal = Depends(require("read"))) -> list[dict]:
    return owners.coverage_rules(s)


@router.get("/people", summary="People (phone numbers only for roles that manage people)",
            response_model=list[Person], response_model_exclude_unset=True)
def list_people(
    s: DbSession,
    q: str | None = Query(None, description="part of a name"),
    phone: str | None = Query(None, description="part of a phone number (roles that manage people only)"),
    unit_id: int | None = None,
    region: str | None = Query(None, description="a region code: people of that region and below"),
    active: bool | None = None,
    limit: int = Query(100, ge=1, le=10_000),
    offset: int = Query(0, ge=0),
    principal: Principal = Depends(require("read")),
) -> list[dict]:
    return owners.list_people(s, caller=principal.caller, with_contact=principal.sees_contacts, q=q, phone=phone,
                              unit_id=unit_id, region=principal.within(region) if region else None,
                              active=active, limit=limit, offset=offset)


@router.post("/people", status_code=201, summary="Add a person", response_model=Person,
             response_model_exclude_unset=True)
def create_person(s: DbSession, body: PersonIn, principal: Principal = Depends(require("manage_people"))) -> dict:
    pid = owners.create_person(s, **body.model_dump(), caller=principal.caller)
    return owners.get_person(s, pid, caller=principal.caller, with_contact=True)


@router.get("/people/{pid}", summary="One person with their current assignments", response_model=PersonDetail,
            response_model_exclude_unset=True)
def get_person(s: DbSession, pid: int, principal: Principal = Depends(require("read"))) -> dict:
    person = owners.get_person(s, pid, caller=principal.caller, with_contact=principal.sees_contacts)
    person["assignments"] = assign_svc.list_assignments(
        s, caller=principal.caller, person_id=pid, on=assign_svc.today(s), with_contact=principal.sees_contacts)
    return person


@router.patch("/people/{pid}", summary="Change a person (deactivate with active=false)", response_model=Person,
              response_model_exclude_unset=True)
def patch_person(s: DbSession,
                 pid: int, body: PersonPatch, principal: Principal = Depends(require("manage_people"))) -> dict:
    owners.update_person(s, pid, body.model_dump(exclude_unset=True), caller=principal.caller)
    return owners.get_person(s, pid, caller=principal.caller, with_contact=True)


@router.get("/units", summary="Units: 责任单位, 包保单位, 门前五包 shops", response_model=list[Unit],
            response_model_exclude_unset=True)
def list_units(s: DbSession, principal: Principal = Depends(require("read"))) -> list[dict]:
    return owners.list_units(s, caller=principal.caller, with_contact=principal.sees_contacts)


@router.post("/units", status_code=201, summary="Add a unit", response_model=Unit, response_model_exclude_unset=True)
def create_unit(s: DbSession, body: UnitIn, principal: Principal = Depends(require("manage_people"))) -> dict:
    uid = owners.create_unit(s, **body.model_dump(), caller=principal.caller)
    return {"id": uid, **body.model_dump()}


@router.get("/units/{uid}", summary="One unit with its member and place counts", response_model=UnitDetail,
            response_model_exclude_unset=True)
def get_unit(s: DbSession, uid: int, principal: Principal = Depends(require("read"))) -> dict:
    return owners.get_unit(s, uid, caller=principal.caller, with_contact=principal.sees_contacts)


@router.patch("/units/{uid}", summary="Change a unit (deactivate with active=false)", response_model=UnitDetail,
              response_model_exclude_unset=True)
def update_unit(s: DbSession, uid: int, body: UnitPatch,
                principal: Principal = Depends(require("manage_people"))) -> dict:
    owners.update_unit(s, uid, body.model_dump(exclude_unset=True), caller=principal.caller)
    return owners.get_unit(s, uid, caller=principal.caller, with_contact=True)


@router.get("/assignments", summary="Assignments, optionally those in force on a day",
            response_model=list[Assignment], response_model_exclude_unset=True)
def list_assignments(
    s: DbSession,
    person_id: int | None = None,
    unit_id: int | None = None,
    layer: str | None = None,
    role: str | None = None,
    on: date | None = Query(None, description="only those in force on this day"),
    limit: int = Query(100, ge=1, le=10_000),
    offset: int = Query(0, ge=0),
    principal: Principal = Depends(require("read")),
) -> list[dict]:
    return assign_svc.list_assignments(s, caller=principal.caller, person_id=person_id, unit_id=unit_id,
                                       layer=layer, role=role, on=on, with_contact=principal.sees_contacts,
                                       limit=limit, offset=offset)


@router.post("/assignments", status_code=201, summary="Assign an owner to a feature or a whole named street",
             response_model=AssignResult)
def create_assignment(s: DbSession,
                      body: AssignmentIn, principal: Principal = Depends(require("manage_people"))) -> dict:
    ids = _ids(s, body, principal)
    result = assign_svc.assign(
        s, role=body.role, layer=body.layer, feature_ids=ids,
        holder=assign_svc.Holder(body.person_id, body.unit_id), valid_from=body.valid_from,
        valid_to=body.valid_to, note=body.note, street_group=body.street_name, caller=principal.caller)
    return {"created": result.created, "unchanged": result.unchanged}


@router.post("/assignments/reassign", summary="Hand a place over: close the current owner, open the new one",
             response_model=ReassignResult)
def reassign(s: DbSession, body: ReassignIn, principal: Principal = Depends(require("manage_people"))) -> dict:
    ids = _ids(s, body, principal)
    return assign_svc.reassign(
        s, role=body.role, layer=body.layer, feature_ids=ids,
        holder=assign_svc.Holder(body.person_id, body.unit_id), on=body.on, note=body.note,
        street_group=body.street_name, caller=principal.caller, move_open_problems=body.move_open_problems)


@router.post("/assignments/{aid}/end", summary="End an assignment on a day (default today)",
             response_model=EndResult)
def end_assignment(s: DbSession,
                   aid: int, body: EndIn, principal: Principal = Depends(require("manage_people"))) -> dict:
    assign_svc.end(s, aid, on=body.on, caller=principal.caller)
    return {"id": aid, "ended": True}


@router.post("/assignments/bulk", status_code=201, summary="Assign everything of a layer in a polygon or region",
             response_model=BulkAssignResult)
def bulk_assign(s: DbSession, body: BulkIn, principal: Principal = Depends(require("manage_people"))) -> dict:
    polygon = geometry_from_geojson(body.polygon, crs=STORAGE_SRID) if body.polygon else None
    ids = assign_svc.features_in_area(s, body.layer, polygon=polygon,
                                      region=principal.within(body.region), kind=body.kind)
    if not ids:
        raise InvalidInput(f"no {body.layer} features in that area", field="polygon" if polygon else "region")
    preview = s.begin_nested() if body.dry_run else None
    try:
        result = assign_svc.assign(
            s, role=body.role, layer=body.layer, feature_ids=ids,
            holder=assign_svc.Holder(body.person_id, body.unit_id), valid_from=body.valid_from,
            valid_to=body.valid_to, note=body.note, caller=principal.caller)
    finally:
        if preview is not None:
            preview.rollback()  # the same checks and count as the real write, undone
    return {"selected": len(ids), "created": result.created, "unchanged": result.unchanged,
            "dry_run": body.dry_run}


@router.post("/assignments/handover", summary="Hand over everything a person or unit holds (or some places of it) "
             "to another; dry_run answers what would move", response_model=HandoverResult)
def handover_assignments(s: DbSession, body: HandoverIn,
                         principal: Principal = Depends(require("manage_people"))) -> dict:
    feature_ids = None
    if body.feature_id is not None or body.street_name:
        if not body.layer:
            raise InvalidInput("name the layer of the place", field="layer")
        feature_ids = assign_svc.resolve_features(s, body.layer, feature_id=body.feature_id,
                                                  street_name=body.street_name, caller=principal.caller)
    elif body.layer is not None:
        get_layer(body.layer)
    return handover.handover(
        s, old=assign_svc.Holder(body.from_person_id, body.from_unit_id),
        new=assign_svc.Holder(body.to_person_id, body.to_unit_id), caller=principal.caller, on=body.on,
        layer=body.layer, feature_ids=feature_ids, role=body.role, move_open_problems=body.move_open_problems,
        note=body.note, dry_run=body.dry_run)


@router.post("/assignments/import", summary="Import a roster (CSV or Excel): all rows or none",
             response_model=RosterImportResult, response_model_exclude_unset=True)
def import_assignments(
    s: DbSession,
    file: UploadFile = File(...),
    skip_invalid: bool = Query(False, description="import the good rows and report the rest"),
    dry_run: bool = Query(False, description="run the import, answer each row's outcome (matched, created, "
                                             "rejected) and roll it back: nothing is written"),
    principal: Principal = Depends(require("manage_people")),
) -> dict:
    suffix = Path(file.filename or "roster.csv").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InvalidInput("a roster is a .csv or .xlsx file", field="file")
    data = file.file.read(get_settings().max_body_bytes + 1)
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        tmp.write(data)
        tmp.flush()
        result = import_roster(s, Path(tmp.name), caller=principal.caller, skip_invalid=skip_invalid,
                               dry_run=dry_run)
    return {"rows": result.rows, "created": result.created, "unchanged": result.unchanged,
            "rejected": [{"row": r.row, "field": r.field, "reason": r.reason} for r in result.rejected],
            "outcomes": [vars(o) for o in result.outcomes], "dry_run": result.dry_run}


@router.get("/layers/{layer}/features/{fid}/owners", summary="Owners of a feature on a day, or its whole history",
            response_model=list[Assignment], response_model_exclude_unset=True)
def feature_owners(
    s: DbSession,
    layer: str,
    fid: int,
    on: date | None = Query(None, description="default today"),
    history: bool = Query(False, description="every assignment ever, oldest first"),
    principal: Principal = Depends(require("read")),
) -> list[dict]:
    spec = get_layer(layer)
    from layers.spatial.features import get_feature

    get_feature(s, spec, fid, scope=principal.region_code)  # 404 outside the caller's region
    if history:
        return assign_svc.history(s, layer, fid, with_contact=principal.sees_contacts)
    return assign_svc.owners_of(s, layer, fid, on=on, with_contact=principal.sees_contacts)


@router.get("/coverage/ownership", summary="Where nobody is responsible: gaps, overlaps, expiry, workload",
            response_model=CoverageReport, response_model_exclude_unset=True)
def ownership_coverage(
    s: DbSession,
    region: str | None = None,
    layer: str | None = None,
    role: str | None = Query(None, description="a role code, name or family"),
    on: date | None = None,
    expiring_days: int = Query(30, ge=0, le=3650),
    limit: int = Query(1000, ge=1, le=100_000, description="most rows per list"),
    offset: int = Query(0, ge=0, description="rows of the missing list to skip (paging; totals.missing counts all)"),
    principal: Principal = Depends(require("read")),
) -> dict:
    if layer is not None:
        get_layer(layer)
    return coverage.ownership(s, region=principal.within(region), layer=layer, role=role, on=on,
                              expiring_days=expiring_days, limit=limit, offset=offset)


@router.get("/duty-list.xlsx", summary="责任清单 as Excel: one row per owner × place",
            response_class=Response, responses=binary(XLSX, "the 责任清单 workbook"))
def duty_list_xlsx(s: DbSession, region: str | None = None, on: date | None = None,
                   principal: Principal = Depends(require("read"))) -> Response:
    with spool() as out:
        duty_list.xlsx(s, out, caller=principal.caller, region=region, on=on)
        return send(out, XLSX, "duty-list.xlsx")
