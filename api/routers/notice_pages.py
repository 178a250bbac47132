"""The 通报 pages: /maps/notices (the register, and the publish and withdraw forms of the 创城办), /maps/notices/{id}
(the printable notice, drawn from its frozen snapshot like its Word document) and /maps/negative-list (负面清单).
Reads come from layers.campaign; every write is a data-api form of workbench.js posting the JSON API."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import DbSession
from api.page_kit import gate, not_found, page
from gis.errors import CcgridError, NotFound
from layers.access.choices import regions_within
from layers.analytics.ranking import DEFAULT_MIN_RANKED, DEFAULT_MIN_SAMPLE
from layers.campaign import negative_list, notice_service
from layers.registry.assignments import today
from maps import notice_pages

router = APIRouter(include_in_schema=False)
ACTIVE = "/maps/notices"
PERIOD = Query("", max_length=10)


@router.get("/maps/notices", response_class=HTMLResponse)
def notices_page(s: DbSession, request: Request, period: str = PERIOD,
                 state: str = Query("", pattern="^(|published|withdrawn)$")) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    errors = []
    try:
        rows = notice_service.listing(s, caller=p.caller, period=period or None, state=state or None, limit=200)
    except CcgridError as exc:
        errors.append(str(exc))
        rows = notice_service.listing(s, caller=p.caller, state=state or None, limit=200)
    day = today(s)
    return page(request, p, "notices/list.html", active=ACTIVE, title="通报", rows=rows, errors=errors,
                query={"period": period, "state": state}, periods=notice_pages.period_choices(day),
                default_period=notice_pages.default_period(day), levels=notice_pages.LEVEL_CHOICES,
                regions=[r for r in regions_within(s, p.caller) if r["level"] != "community"],
                min_sample=DEFAULT_MIN_SAMPLE, min_ranked=DEFAULT_MIN_RANKED, status=400 if errors else 200)


@router.get("/maps/notices/{notice_id}", response_class=HTMLResponse)
def notice_page(s: DbSession, request: Request, notice_id: int = Path(ge=1, le=2**63 - 1)) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    try:
        notice = notice_service.get(s, notice_id, caller=p.caller, with_snapshot=True)
    except NotFound:
        return not_found(request, p, "没有这份通报，或它不在您的区域内。")
    photos = notice_pages.photo_urls(notice_service.photos(s, notice_id, caller=p.caller))
    return page(request, p, "notices/print.html", active=ACTIVE, title=notice["number"], notice=notice,
                blocks=notice_pages.document(notice["snapshot"]), photos=photos)


@router.get("/maps/negative-list", response_class=HTMLResponse)
def negative_list_page(s: DbSession, request: Request, period: str = PERIOD) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    errors = []
    try:
        result = negative_list.listing(s, caller=p.caller, period=period or None)
    except CcgridError as exc:
        errors.append(str(exc))
        result = negative_list.listing(s, caller=p.caller)
    day = today(s)
    return page(request, p, "notices/negative_list.html", active=ACTIVE, title="负面清单", result=result,
                errors=errors, query={"period": period or result["period"]["code"]},
                periods=notice_pages.period_choices(day),
                status=400 if errors else 200)
