"""The page of one problem, /maps/problems/{id}: its place, routing, owners, timeline, photos and the actions the
user may take now. The page writes through the JSON API (POST /api/v1/problems/{id}/actions and /photos)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import DbSession
from api.page_kit import gate, not_found, page
from gis.errors import NotFound
from maps.problem_detail import page_data

router = APIRouter(include_in_schema=False)
MAX_ID_DIGITS = 18  # a bigint; a longer "id" names no problem


@router.get("/maps/problems/{problem_id}", response_class=HTMLResponse)
def problem_page(s: DbSession, request: Request, problem_id: str) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    missing = f"问题 {problem_id} 不存在，或不在您的管辖范围内。"
    if not problem_id.isdigit() or len(problem_id) > MAX_ID_DIGITS:
        return not_found(request, p, missing)
    try:
        data = page_data(s, int(problem_id), caller=p.caller, with_contact=p.sees_contacts)
    except NotFound:
        return not_found(request, p, missing)
    return page(request, p, "problems/detail.html", active="/maps/problems", title=f"问题 #{problem_id}", **data)
