"""The problem ledger page, /maps/problems: a GET form of filters over the list, in the caller's region. The page
only reads (its export links are the JSON API's export of the same filters)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import DbSession
from api.page_kit import gate, page
from gis.errors import CcgridError
from gis.settings import get_settings
from layers.analytics import page_data
from layers.ledger import listing
from maps import problem_list

router = APIRouter(include_in_schema=False)


@router.get("/maps/problems", response_class=HTMLResponse)
def problem_list_page(s: DbSession, request: Request) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    req = problem_list.parse(request.query_params)
    try:
        req.query.scope = p.within(req.region)
    except CcgridError as exc:
        req.errors.append(str(exc))
        req.region, req.query.scope = None, p.region_code
    result, counts = {"total": 0, "items": []}, {}
    try:
        result = listing.search(s, req.query, sort=req.sort, limit=req.limit, offset=req.offset, counts=True)
        counts = result["by_status"]
    except CcgridError as exc:  # a filter the service refuses (an unknown category, a bad cell key)
        s.rollback()
        req.errors.append(str(exc))
    details = listing.row_details(s, [r["id"] for r in result["items"]])
    owner = req.query.owner_person_id
    owner_name = listing.person_name(s, owner, p.region_code) if owner else None
    region_name = listing.region_name(s, req.region) if req.region else None
    return page(request, p, "problems/list.html", active="/maps/problems", title="问题台账", req=req,
                rows=[{**r, **details.get(r["id"], {})} for r in result["items"]], total=result["total"],
                counts=counts, statuses=listing.statuses(s), lookups=page_data.lookups(s, p.region_code),
                pager=problem_list.pager(req, result["total"]),
                chips=problem_list.chips(req, owner_name, region_name), owner_name=owner_name or "",
                sorts=problem_list.SORT_NAMES, sizes=problem_list.PAGE_SIZES,
                export_cap=get_settings().export_max_rows, date_value=problem_list.date_value,
                status=400 if req.errors else 200)
