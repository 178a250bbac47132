"""The owners map's two office tools that work on many places at once: 人员交接 (/maps/owners/handover: everything a
person or unit holds passes to another, previewed first) and 花名册导入 (/maps/owners/import: a CSV/Excel roster,
previewed row by row before anything is written). Both pages only gather input: the previews and the writes are
the JSON API's (POST /api/v1/assignments/handover and /import, with dry_run), so its roles and scope apply."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import text

from api.auth import Principal
from api.deps import DbSession
from api.page_kit import gate, page
from gis.errors import NotFound
from layers.registry import people as owners
from layers.registry.assignments import today
from maps.pages import OWNER_LAYERS

router = APIRouter(include_in_schema=False)
ACTIVE = "/maps/owners"
HEADER = "姓名,电话,单位,角色,图层,编码,道路,起始日期,截止日期,备注"


def _sample(s: DbSession, scope: str) -> str:
    """A roster of three rows naming real places in the caller's area, so the sample previews cleanly."""
    # Places whose role in the sample is still free, so no row meets an exclusive owner.
    row = s.execute(text("""
        WITH held AS (SELECT layer, feature_id, role FROM assignments_on(current_date))
        SELECT (SELECT name FROM streets t WHERE name IS NOT NULL AND region_code LIKE :s || '%'
                  AND NOT EXISTS (SELECT 1 FROM streets u JOIN held h ON h.layer = 'streets' AND h.feature_id = u.id
                                  AND h.role = 'road_chief' WHERE u.name = t.name)
                ORDER BY id LIMIT 1),
               (SELECT code FROM grid_cells g WHERE region_code LIKE :s || '%' AND NOT EXISTS (
                  SELECT 1 FROM held h WHERE h.layer = 'grid_cells' AND h.feature_id = g.id AND h.role = 'grid_worker')
                ORDER BY id LIMIT 1),
               (SELECT code FROM assessment_points a WHERE region_code LIKE :s || '%' AND NOT EXISTS (
                  SELECT 1 FROM held h WHERE h.layer = 'assessment_points' AND h.feature_id = a.id
                  AND h.role = 'responsible_unit')
                ORDER BY id LIMIT 1)"""), {"s": scope}).one()
    street, cell, point = (v or "" for v in row)
    start = today(s).isoformat()
    return "\n".join([HEADER, f"张三,13800000001,,路长,道路,,{street},{start},,整条道路",
                      f"李四,13800000002,,网格员,网格,{cell},,{start},,",
                      f",,示例责任单位,责任单位,点位,{point},,{start},,", ""])


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
    return Response("\ufeff" + _sample(s, p.caller.scope or ""), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=roster-sample.csv"})
