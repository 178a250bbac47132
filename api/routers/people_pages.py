"""The workbench's people and units pages: /maps/people (search, add a person or a unit) and /maps/people/{id} (a
person's places now and before, edit, deactivate, their 督导单). Reads come from layers.registry; every write the
pages make is a data-api form of workbench.js posting the JSON API, so its roles and region scope apply as they are.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import DbSession
from api.page_kit import gate, not_found, page
from gis.errors import CcgridError
from layers.analytics import page_data
from layers.registry import assignments as assign_svc
from layers.registry import departments
from layers.registry import people as owners

router = APIRouter(include_in_schema=False)
PAGE = 50
UNIT_KINDS = {"government": "政府部门", "department": "职能部门", "responsible_unit": "责任单位",
              "patron_unit": "包保单位",
              "storefront": "门前五包商户", "other": "其他"}
LAYER_NAMES = {"streets": "道路", "grid_cells": "单元网格", "assessment_points": "测评点位", "regions": "区域"}


def _search(s, p, *, q: str, phone: str, unit_id: int | None, region: str, active: str,
            offset: int) -> tuple[list[dict], str | None]:
    """A page of people (one more than shown, to know whether there is a next), or the refusal's message."""
    flag = {"true": True, "false": False}.get(active)
    try:
        found = owners.list_people(
            s, caller=p.caller, with_contact=p.sees_contacts, q=q or None,
            phone=(phone or None) if p.sees_contacts else None, unit_id=unit_id,
            region=p.within(region) if region else None, active=flag, limit=PAGE + 1, offset=offset)
    except CcgridError as exc:
        return [], str(exc)
    return found, None


@router.get("/maps/people", response_class=HTMLResponse)
def people_list(
    s: DbSession,
    request: Request,
    q: str = Query("", max_length=100),
    phone: str = Query("", max_length=30),
    unit_id: int | None = Query(None),
    region: str = Query("", max_length=12),
    active: str = Query("true", pattern="^(true|false|all)$"),
    offset: int = Query(0, ge=0),
) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    found, error = _search(s, p, q=q, phone=phone, unit_id=unit_id, region=region, active=active, offset=offset)
    units = owners.list_units(s, caller=p.caller, with_contact=p.sees_contacts)
    return page(request, p, "people/list.html", active="/maps/people", title="人员单位",
                people=found[:PAGE], more=len(found) > PAGE, offset=offset, page_size=PAGE, error=error,
                query={"q": q, "phone": phone, "unit_id": unit_id, "region": region, "active": active},
                units=units, unit_kinds=UNIT_KINDS, regions=page_data.lookups(s, p.region_code)["regions"],
                sees_contacts=p.sees_contacts)


def _state(a: dict, today) -> str:
    if a["valid_from"] > today:
        return "未开始"
    return "已结束" if a["valid_to"] is not None and a["valid_to"] <= today else "现任"


def _terms(s: DbSession, p, **holder: int) -> tuple[list[dict], list[dict]]:
    """A person's or unit's assignments: (those in force today, all of them newest first), each with its state."""
    today = assign_svc.today(s)
    history = assign_svc.list_assignments(s, caller=p.caller, with_contact=False, limit=1000, **holder)
    for a in history:
        a["state"] = _state(a, today)
    return ([a for a in history if a["state"] == "现任"],
            sorted(history, key=lambda a: (a["valid_from"], a["id"]), reverse=True))


@router.get("/maps/people/{pid}", response_class=HTMLResponse)
def person_detail(s: DbSession, request: Request, pid: int) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    try:
        person = owners.get_person(s, pid, caller=p.caller, with_contact=p.sees_contacts)
    except CcgridError:
        return not_found(request, p, f"没有编号为 {pid} 的人员，或不在您的管辖区域内。")
    current, history = _terms(s, p, person_id=pid)
    units = owners.list_units(s, caller=p.caller)
    return page(request, p, "people/detail.html", active="/maps/people", title=person["name"], person=person,
                current=current, history=history, units=units, layer_names=LAYER_NAMES,
                today=assign_svc.today(s), sees_contacts=p.sees_contacts)


@router.get("/maps/units/{uid}", response_class=HTMLResponse)
def unit_detail(s: DbSession, request: Request, uid: int) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    try:
        unit = owners.get_unit(s, uid, caller=p.caller, with_contact=p.sees_contacts)
    except CcgridError:
        return not_found(request, p, f"没有编号为 {uid} 的单位，或不在您的管辖区域内。")
    current, history = _terms(s, p, unit_id=uid)
    members = owners.list_people(s, caller=p.caller, with_contact=p.sees_contacts, unit_id=uid, active=True,
                                 limit=500)
    return page(request, p, "people/unit.html", active="/maps/people", title=unit["name"], unit=unit,
                current=current, members=members, history=history, unit_kinds=UNIT_KINDS, layer_names=LAYER_NAMES,
                duties=departments.duties(s, uid) if unit["kind"] == "department" else [],
                sees_contacts=p.sees_contacts)
