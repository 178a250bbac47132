"""The owners map's two office tools that work on many places at once: 人员交接 (/maps/owners/handover: everything a
person or unit holds passes to another, previewed first) and 花名册导入 (/maps/owners/import: a CSV/Excel roster,
previewed row by row before anything is written). Both pages only gather input: the previews and the writes are
the JSON API's (POST /api/v1/assignments/handover and /import, with dry_run), so its roles and scope apply."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import Principal
from api.deps import DbSession
from api.page_kit import gate, page
from gis.errors import NotFound
from layers.registry import people as owners
from layers.registry.assignments import today
from layers.registry.roster import sample_roster
from maps.pages import OWNER_LAYERS

router = APIRouter(include_in_schema=False)
ACTIVE = "/maps/owners"
def _refused(request: Request, p: Principal) -> HTMLResponse:
    return page(request, p, "error.html", active=ACTIVE, status=403, title="无权访问",
                message="人员交接和花名册导入只对管理责任人的账号开放（创城办、区和街道工作人员）。")


def _allowed(request: Request) -> tuple[Principal | None, Response | None]:
    p, instead = gate(request)
    if p is not None and not (p.can("manage_people") and p.account is not None):
        return None, _refused(request, p)
    return p, instead


@router.get("/maps/owners/handover", response_class=HTMLResponse)
def handover_page(s: DbSession, request: Request, from_person_id: int | None = None,
                  from_unit_id: int | None = None) -> Response:
    p, instead = _allowed(request)
    if p is None:
        return instead
    chosen = None
    try:  # from a person's or unit's page: the old holder is already chosen
        if from_person_id is not None:
            chosen = {"kind": "person", "id": from_person_id,
                      "label": owners.get_person(s, from_person_id, caller=p.caller)["name"]}
        elif from_unit_id is not None:
            chosen = {"kind": "unit", "id": from_unit_id,
                      "label": owners.get_unit(s, from_unit_id, caller=p.caller)["name"]}
    except NotFound:
        chosen = None  # not one of the caller's: the picker starts empty
    return page(request, p, "owners/handover.html", active=ACTIVE, title="人员交接", today=str(today(s)),
                layers=OWNER_LAYERS, roles=owners.roles(s), chosen=chosen)


@router.get("/maps/owners/import", response_class=HTMLResponse)
def import_page(request: Request) -> Response:
    p, instead = _allowed(request)
    if p is None:
        return instead
    return page(request, p, "owners/import.html", active=ACTIVE, title="花名册导入")


@router.get("/maps/owners/import/sample.csv")
def import_sample(s: DbSession, request: Request) -> Response:
    p, instead = _allowed(request)
    if p is None:
        return instead
    # With a BOM, so Excel opens the Chinese headers as UTF-8.
    return Response("\ufeff" + sample_roster(s, p.caller), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=roster-sample.csv"})
