"""The 三本账, indicators, escalations and the 督导单."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal, require
from api.deps import DbSession
from api.downloads import send, spool
from api.responses import XLSX, binary
from gis.errors import Forbidden
from gis.times import CityDatetime
from layers.ledger import escalation, ledgers
from layers.ledger.schemas import Escalation, EscalationRun, Indicator, Ledger, SupervisionSheet
from maps.sheets import supervision_sheet_html, supervision_sheet_xlsx

router = APIRouter(prefix="/api/v1", tags=["ledgers"])
SHEET_PAGE = 200  # problems on one page of a 督导单 (its workbook has them all)


class EscalationAction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str = Field(pattern="^(notify|schedule|hold|decide|waive)$",
                        description="notify (通报 issued), schedule (约谈: scheduled_at, venue, attendees), hold "
                                    "(约谈 held: minutes), decide (问责: decision), waive (decision: the reason)")
    scheduled_at: CityDatetime | None = None
    venue: str | None = Field(None, max_length=200)
    attendees: str | None = Field(None, max_length=2000)
    minutes: str | None = Field(None, max_length=4000)
    decision: str | None = Field(None, max_length=4000)


def _xlsx(data: bytes, name: str) -> Response:
    return Response(data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


@router.get("/ledgers/{kind}", summary="三本账: points, problems or rectification ledger (JSON or Excel)",
            response_model=Ledger, responses=binary(XLSX, "JSON rows, or with format=xlsx the workbook"))
def ledger(
    s: DbSession,
    kind: str,
    region: str | None = None,
    since: CityDatetime | None = None,
    until: CityDatetime | None = None,
    format: str = Query("json", pattern="^(json|xlsx)$"),  # noqa: A002 - the query parameter's name
    limit: int | None = Query(None, ge=1, description="most rows; default and largest CCGRID_EXPORT_MAX_ROWS"),
    department_id: int | None = Query(None, ge=1, le=2**31 - 1,
                                      description="problems and rectification: only those routed to this department"),
    principal: Principal = Depends(require("read")),
):
    # Written to a file as it is read, then streamed: a year of reports is never in memory (429 when too many
    # exports run already; a response whose X-Truncated header is set holds only the first `limit` rows).
    with spool() as out:
        done = ledgers.export(s, kind, out, caller=principal.caller, region=region, fmt=format, since=since,
                              until=until, limit=limit, department_id=department_id)
        headers = {"X-Row-Count": str(done.rows), "X-Truncated": "true" if done.truncated else "false"}
        if format == "xlsx":
            return send(out, XLSX, f"{kind}.xlsx", headers)
        return send(out, "application/json", headers=headers)


@router.get("/indicators", summary="结案率, 按期结案率, 返工率, 超期率 per 街道, 社区 or owner",
            response_model=list[Indicator])
def indicators(
    s: DbSession,
    level: str = Query("subdistrict", pattern="^(" + "|".join(ledgers.LEVELS) + ")$"),
    region: str | None = None,
    since: CityDatetime | None = None,
    until: CityDatetime | None = None,
    principal: Principal = Depends(require("read")),
) -> list[dict]:
    return ledgers.indicators(s, level=level, scope=principal.within(region), since=since, until=until)


@router.post("/escalations/run", summary="Record new exposures and the level each reaches (idempotent)",
             response_model=EscalationRun)
def run_escalation(s: DbSession, principal: Principal = Depends(require("manage_people"))) -> dict:
    if principal.region_code:  # the ladder counts exposures city-wide, so only a city-wide caller runs it
        raise Forbidden("escalation runs for the whole city; a region-scoped token may not run it")
    return {"new": escalation.run(s, actor=principal.actor)}


@router.get("/escalations", summary="Escalation records (通报/约谈/问责) with their state, by week or any period",
            response_model=list[Escalation])
def escalations(
    s: DbSession,
    week: str | None = Query(None, pattern=r"^\d{4}-W\d{2}$", description="e.g. 2026-W47"),
    period: str | None = Query(None, max_length=10, description="any period: 2026-W47, 2026-11, 2026-B6, 2026-Q4, "
                                                               "2026 (by when the exposure happened)"),
    level: int | None = Query(None, ge=1, le=10),
    party: str | None = Query(None, pattern="^(person|unit)$"),
    state: str | None = Query(None, pattern="^(" + "|".join(escalation.STATE_NAMES) + ")$"),
    department: int | None = Query(None, ge=1, le=2**31 - 1, description="a unit: its records and its head's"),
    limit: int = Query(1000, ge=1, le=5000),
    principal: Principal = Depends(require("read")),
) -> list[dict]:
    return escalation.listing(s, week=week, scope=principal.region_code, level=level, party=party, state=state,
                              department=department, limit=limit, period=period)


@router.get("/escalations/{escalation_id}", summary="One escalation record", response_model=Escalation)
def escalation_one(s: DbSession, escalation_id: int = Path(ge=1, le=2**63 - 1),
                   principal: Principal = Depends(require("read"))) -> dict:
    return escalation.get(s, escalation_id, scope=principal.region_code)


@router.post("/escalations/{escalation_id}/actions", summary="Record what the office did: 通报 issued, 约谈 "
             "scheduled or held (with minutes), 问责 decided, or waived", response_model=Escalation)
def escalation_action(s: DbSession, body: EscalationAction, escalation_id: int = Path(ge=1, le=2**63 - 1),
                      principal: Principal = Depends(require("manage_people"))) -> dict:
    return escalation.act(s, escalation_id, body.action, actor=principal.actor, scope=principal.region_code,
                          **body.model_dump(exclude={"action"}))


@router.get("/supervision-sheet", summary="督导单 of one owner: Excel, printable page or JSON",
            response_model=SupervisionSheet,
            responses={200: {"content": {"text/html": {}, XLSX: {}}, "description": "JSON, the page or the workbook"}})
def supervision_sheet(
    s: DbSession,
    person_id: int | None = None,
    unit_id: int | None = None,
    format: str = Query("html", pattern="^(html|xlsx|json)$"),  # noqa: A002
    limit: int = Query(SHEET_PAGE, ge=1, le=5000, description="json and html: one page of this many (Excel: all)"),
    offset: int = Query(0, ge=0, le=10_000_000),
    principal: Principal = Depends(require("read")),
):
    paged = format != "xlsx"  # the workbook has every problem; a page or an answer has one page, and the totals
    sheet = ledgers.supervision_sheet(s, person_id=person_id, unit_id=unit_id, caller=principal.caller,
                                      limit=limit if paged else None, offset=offset if paged else 0)
    if format == "json":
        return sheet
    if format == "html":
        holder = f"person_id={person_id}" if person_id is not None else f"unit_id={unit_id}"

        def at(n: int) -> str:
            return f"/api/v1/supervision-sheet?{holder}&format=html&limit={limit}&offset={n}"

        prev = at(max(0, offset - limit)) if offset > 0 else None
        after = at(offset + limit) if offset + limit < sheet["open"] else None
        return HTMLResponse(supervision_sheet_html(sheet, prev_url=prev, next_url=after))
    return _xlsx(supervision_sheet_xlsx(sheet), "supervision-sheet")
