"""The leaders' overview (大屏), /maps/screen: one full-screen page for the 指挥中心 wall. The page is a shell (the
region, its extent, the window); screen.js draws everything from GET /api/v1/analytics/overview and the heatmap
API, and draws it again every minute without reloading the page."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import DbSession
from api.page_kit import gate, html, page, page_user
from gis.errors import CcgridError
from layers.analytics import overview, page_data
from maps import screen

router = APIRouter(include_in_schema=False)
ACTIVE = "/maps/screen"


@router.get("/maps/screen", response_class=HTMLResponse)
def screen_page(
    s: DbSession,
    request: Request,
    region: str = Query("", pattern=r"^(|\d{6,12})$"),
    days: int = Query(overview.DAYS[0], ge=1, le=overview.MAX_DAYS),
) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    try:
        scope = p.within(region or None)
    except CcgridError as exc:
        return page(request, p, "error.html", active=ACTIVE, status=403, title="无权查看", message=str(exc))
    body = screen.screen_page(user=page_user(request, p), region=scope, region_name=overview.place_name(s, scope),
                              bounds=page_data.bounds(s, scope), days=days)
    return html(body, request, p)
