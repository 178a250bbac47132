"""The 三本账, indicators, escalations and the 督导单."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from api.auth import Principal, require
from gis.db import transaction
from gis.errors import Forbidden
from gis.times import CityDatetime
from layers import escalation, ledgers
from layers.excel import workbook
from maps.sheets import supervision_sheet_html

router = APIRouter(prefix="/api/v1", tags=["ledgers"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TITLES = {"points": "点位台账", "problems": "问题台账", "rectification": "整改台账"}


def _xlsx(data: bytes, name: str) -> Response:
    return Response(data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


@router.get("/ledgers/{kind}", summary="三本账: points, problems or rectification ledger (JSON or Excel)")
def ledger(
    kind: str,
    region: str | None = None,
    since: CityDatetime | None = None,
    until: CityDatetime | None = None,
    format: str = Query("json", pattern="^(json|xlsx)$"),  # noqa: A002 - the query parameter's name
    limit: int = Query(100_000, ge=1, le=1_000_000),
    principal: Principal = Depends(require("read")),
):
    with transaction() as s:
        rows = ledgers.ledger(s, kind, scope=principal.within(region), since=since, until=until, limit=limit)
    if format == "xlsx":
        header = list(rows[0]) if rows else ["（无数据）"]
        return _xlsx(workbook(TITLES[kind], header, ([r[h] for h in header] for r in rows)), kind)
    return rows


@router.get("/indicators", summary="结案率, 按期结案率, 返工率, 超期率 per 街道, 社区 or owner")
def indicators(
    level: str = Query("subdistrict", pattern="^(subdistrict|community|owner)$"),
    region: str | None = None,
    since: CityDatetime | None = None,
    until: CityDatetime | None = None,
    principal: Principal = Depends(require("read")),
) -> list[dict]:
    with transaction() as s:
        return ledgers.indicators(s, level=level, scope=principal.within(region), since=since, until=until)


@router.post("/escalations/run", summary="Record new exposures and the level each reaches (idempotent)")
def run_escalation(principal: Principal = Depends(require("manage_people"))) -> dict:
    if principal.region_code:  # the ladder counts exposures city-wide, so only a city-wide caller runs it
        raise Forbidden("escalation runs for the whole city; a region-scoped token may not run it")
    with transaction() as s:
        return {"new": escalation.run(s, actor=principal.actor)}


@router.get("/escalations", summary="Escalation records (通报/约谈/问责), by ISO week")
def escalations(
    week: str | None = Query(None, pattern=r"^\d{4}-W\d{2}$", description="e.g. 2026-W47"),
    level: int | None = Query(None, ge=1, le=10),
    principal: Principal = Depends(require("read")),
) -> list[dict]:
    with transaction() as s:
        return escalation.listing(s, week=week, scope=principal.region_code, level=level)


@router.get("/supervision-sheet", summary="督导单 of one owner: Excel, printable page or JSON")
def supervision_sheet(
    person_id: int | None = None,
    unit_id: int | None = None,
    format: str = Query("html", pattern="^(html|xlsx|json)$"),  # noqa: A002
    principal: Principal = Depends(require("read")),
):
    with transaction() as s:
        sheet = ledgers.supervision_sheet(s, person_id=person_id, unit_id=unit_id, scope=principal.region_code)
    if format == "json":
        return sheet
    if format == "html":
        return HTMLResponse(supervision_sheet_html(sheet))
    header = ["编号", "类别", "位置", "地址", "问题描述", "上报时间", "整改时限", "状态", "是否超期",
              "整改情况（回复）"]
    body = ([r["id"], r["category"], r["place"], r["address"], r["description"], r["reported_at"], r["due_at"],
             r["status"], "是" if r["overdue"] else "否", ""] for r in sheet["items"])
    return _xlsx(workbook(f"督导单-{sheet['holder']}"[:31], header, body), "supervision-sheet")
