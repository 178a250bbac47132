"""The field app (/m/): phone pages for street chiefs, grid workers and inspectors, its service worker and
manifest. The pages read through layers/ services; every write goes from the phone's outbox to the JSON API."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from api.deps import DbSession
from api.page_kit import gate, page
from gis.errors import NotFound
from layers.analytics import page_data
from layers.ledger import inspections
from layers.ledger.tasks import my_tasks
from maps import field
from maps.settings import get_map_settings

router = APIRouter(include_in_schema=False)
STATIC = Path(field.__file__).parent / "static" / "m"


@router.get("/m", response_class=HTMLResponse)
def field_root() -> Response:
    return RedirectResponse("/m/", status_code=307)



@router.get("/m/", response_class=HTMLResponse)
def home_page(s: DbSession, request: Request) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    mine = my_tasks(s, p.person_id, caller=p.caller)
    return page(request, p, "m/home.html", active="/m/", title="我的片区",
                tasks={"open": mine["open"], "overdue": mine["overdue"]},
                config={**field.map_config(s, p.region_code, get_map_settings()), **field.patrol_limits()})


@router.get("/m/tasks", response_class=HTMLResponse)
def tasks_page(s: DbSession, request: Request, overdue: bool = False) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    mine = my_tasks(s, p.person_id, caller=p.caller, overdue=True if overdue else None)
    return page(request, p, "m/tasks.html", active="/m/tasks", title="我的任务", tasks=mine["tasks"], overdue=overdue,
                counts={"open": mine["open"], "overdue": mine["overdue"]}, linked=mine["person_id"] is not None)


@router.get("/m/points", response_class=HTMLResponse)
def points_page(s: DbSession, request: Request, q: str = Query("", max_length=50)) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    return page(request, p, "m/points.html", active="", title="测评点位", q=q,
                points=inspections.points_to_visit(s, caller=p.caller, q=q))


@router.get("/m/visit/{point_id}", response_class=HTMLResponse)
def visit_page(s: DbSession, request: Request, point_id: int,
               round_id: int | None = Query(None, alias="round", ge=1, le=2**31 - 1)) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    try:
        data = field.visit_form(s, point_id, caller=p.caller, round_id=round_id)
    except NotFound:
        return page(request, p, "m/message.html", active="", status=404, title="没有这个点位",
                    message="没有这个测评点位，或它不在您的辖区内。")
    return page(request, p, "m/visit.html", active="", title="点位检查", **data)


@router.get("/m/report", response_class=HTMLResponse)
def report_page(s: DbSession, request: Request) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    return page(request, p, "m/report.html", active="/m/report", title="上报问题",
                config=field.map_config(s, p.region_code, get_map_settings()),
                **field.report_form(s, scope=p.region_code, role=p.role))


@router.get("/m/outbox", response_class=HTMLResponse)
def outbox_page(request: Request) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    return page(request, p, "m/outbox.html", active="", title="待发送")


@router.get("/m/more", response_class=HTMLResponse)
def more_page(s: DbSession, request: Request) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    return page(request, p, "m/more.html", active="/m/more", title="更多",
                region_name=page_data.region_name(s, p.region_code))


# The service worker is served from /m/ so that its scope is the app; it must always be revalidated, or a phone
# would keep an old app for a day.
@router.get("/m/sw.js")
def service_worker() -> Response:
    return FileResponse(STATIC / "sw.js", media_type="text/javascript",
                        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/m/"})


@router.get("/favicon.ico")
def favicon() -> Response:
    # Browsers ask for it on every page (the login page has no icon link): the app's icon, not a 404 in the log.
    return FileResponse(STATIC / "icon-192.png", media_type="image/png", headers={"Cache-Control": "max-age=86400"})


@router.get("/m/manifest.webmanifest")
def manifest() -> Response:
    return FileResponse(STATIC / "manifest.webmanifest", media_type="application/manifest+json",
                        headers={"Cache-Control": "no-cache"})
