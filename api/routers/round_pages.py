"""The 测评 pages: /maps/rounds (the rounds, and the create form for those who run them), /maps/rounds/{id} (the
sample by 街道 and type, assignment, progress, results with score rates, 失分条目, the previous round) and the field
app's /m/rounds (an inspector's round points, each opening its checklist). Reads come from maps.round_page; every
write is a call of the JSON API (/api/v1/rounds…) from maps/static/ccgrid/rounds.js, so its rules apply as they are.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import DbSession
from api.page_kit import gate, not_found, page
from gis.errors import NotFound
from layers.campaign import rounds
from maps import round_page

router = APIRouter(include_in_schema=False)
STATES = "^(|" + "|".join(rounds.STATES) + ")$"


@router.get("/maps/rounds", response_class=HTMLResponse)
def rounds_page(s: DbSession, request: Request, state: str = Query("", pattern=STATES)) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    can_run = p.can("run_rounds") and p.account is not None
    return page(request, p, "rounds/list.html", active="/maps/rounds", title="测评轮次",
                **round_page.list_context(s, p.caller, can_run=can_run, state=state or None))


@router.get("/maps/rounds/{round_id}", response_class=HTMLResponse)
def round_page_(s: DbSession, request: Request, round_id: int) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    can_run = p.can("run_rounds") and p.account is not None
    try:
        ctx = round_page.detail_context(s, p.caller, round_id, can_run=can_run)
    except NotFound:
        return not_found(request, p, "没有这个测评轮次，或它不在您的辖区内。")
    return page(request, p, "rounds/detail.html", active="/maps/rounds", title=ctx["round"]["name"], **ctx)


@router.get("/m/rounds", response_class=HTMLResponse)
def field_rounds_page(s: DbSession, request: Request) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    return page(request, p, "m/rounds.html", active="", title="测评任务", **round_page.field_context(s, p.caller))
