"""The 交办单 pages: /maps/dispatches (the register with each sheet's 对账 counts, and the 创城办's form to issue one:
to a person or unit, from their 督导单, a filter of the problem ledger or problem numbers) and /maps/dispatches/{id}
(one sheet: 对账 per item, the replies, the Excel out and back in, printable). Reads come from layers.campaign;
every write is a workbench.js form posting the JSON API, so its permissions and checks apply as they are."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import DbSession
from api.page_kit import gate, not_found, page
from gis.errors import NotFound
from layers.campaign import dispatch_service
from layers.ledger import listing

router = APIRouter(include_in_schema=False)
ACTIVE = "/maps/dispatches"
ID = Query(None, ge=1, le=2**31 - 1)


@router.get("/maps/dispatches", response_class=HTMLResponse)
def dispatches_page(s: DbSession, request: Request, state: str = Query("", pattern="^(|open|closed|cancelled)$"),
                    person_id: int | None = ID, unit_id: int | None = ID,
                    problem_query: str = Query("", max_length=2000)) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    rows = dispatch_service.listing(s, caller=p.caller, person_id=p.person_id, state=state or None, limit=200)
    chosen = None
    if person_id is not None:
        name = listing.person_name(s, person_id, p.region_code)
        chosen = {"kind": "person", "id": person_id, "label": name} if name else None
    elif unit_id is not None:
        name = dispatch_service.unit_name(s, unit_id, p.caller)
        chosen = {"kind": "unit", "id": unit_id, "label": name} if name else None
    return page(request, p, "dispatches/list.html", active=ACTIVE, title="交办单", rows=rows,
                query={"state": state}, chosen=chosen, problem_query=problem_query.lstrip("?"),
                states=dispatch_service.SHEET_STATES)


@router.get("/maps/dispatches/{dispatch_id}", response_class=HTMLResponse)
def dispatch_page(s: DbSession, request: Request, dispatch_id: int = Path(ge=1, le=2**63 - 1)) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    try:
        sheet = dispatch_service.get(s, dispatch_id, caller=p.caller, person_id=p.person_id)
    except NotFound:
        return not_found(request, p, "没有这份交办单，或它不在您的区域内。")
    return page(request, p, "dispatches/detail.html", active=ACTIVE, title=sheet["number"], sheet=sheet,
                states=dispatch_service.STATES)
