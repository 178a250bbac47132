"""The place page: a street segment, assessment point or grid cell with its owners, gaps, history and open problems
(read-only for now; assigning is done from the coverage gap list or the API)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import DbSession
from api.page_kit import gate, not_found, page
from gis.errors import NotFound
from maps.place_page import place_data

router = APIRouter(include_in_schema=False)


@router.get("/maps/places/{layer}/{fid}", response_class=HTMLResponse)
def place(s: DbSession, request: Request, layer: str, fid: str) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    if not fid.isdigit() or len(fid) > 9:
        return not_found(request, p, "没有这个地点。")
    try:
        data = place_data(s, layer, int(fid), caller=p.caller, with_contact=p.sees_contacts)
    except NotFound:
        return not_found(request, p, "没有这个地点，或它不在您的辖区内。")
    return page(request, p, "places/place.html", active="/maps/owners", **data)
