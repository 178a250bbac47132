"""The place page (a street segment, assessment point or grid cell with its owners, gaps, history, open problems and
the forms that assign and hand over) and the same place as the owners map's side panel (an HTML fragment)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import DbSession
from api.page_kit import NO_STORE, gate, not_found, page, page_principal, page_user
from gis.errors import NotFound
from maps.place_page import place_data
from maps.templating import render

router = APIRouter(include_in_schema=False)


def _day(on: str | None) -> date | None:
    try:
        return date.fromisoformat(on) if on else None
    except ValueError:
        return None


@router.get("/maps/places/{layer}/{fid}", response_class=HTMLResponse)
def place(s: DbSession, request: Request, layer: str, fid: str, on: str | None = None) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    if not fid.isdigit() or len(fid) > 9:
        return not_found(request, p, "没有这个地点。")
    day = _day(on)
    if on and day is None:
        return page(request, p, "error.html", active="", status=400, title="日期有误",
                    message=f"“{on}”不是日期（应为 2026-12-01 这样的格式）。")
    try:
        data = place_data(s, layer, int(fid), caller=p.caller, with_contact=p.sees_contacts, on=day)
    except NotFound:
        return not_found(request, p, "没有这个地点，或它不在您的辖区内。")
    return page(request, p, "places/place.html", active="/maps/owners", **data)


@router.get("/maps/places/{layer}/{fid}/panel", response_class=HTMLResponse)
def place_panel(s: DbSession, request: Request, layer: str, fid: str) -> Response:
    """The owners map's side panel: a fragment, so an expired session answers 401 (the script says so) rather than
    a redirect to the login page inside the panel."""
    p = page_principal(request)
    if p is None or p.must_change_password:
        return HTMLResponse('<p class="ccg-error">登录已过期，请刷新页面重新登录。</p>', status_code=401,
                            headers=NO_STORE)
    try:
        if not fid.isdigit() or len(fid) > 9:
            raise NotFound("no such place", field="id")
        data = place_data(s, layer, int(fid), caller=p.caller, with_contact=p.sees_contacts)
    except NotFound:
        return HTMLResponse('<p class="ccg-error">没有这个地点，或它不在您的辖区内。</p>', status_code=404,
                            headers=NO_STORE)
    return HTMLResponse(render("places/panel.html", user=page_user(request, p), **data), headers=NO_STORE)
