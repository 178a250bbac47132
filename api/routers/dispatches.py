"""交办单: numbered dispatch sheets to a person or unit, the replies per item (one at a time or by the returned
Excel), and 对账销号 computed from the problems' states. Issuing and cancelling need `publish` (创城办); replying
needs `handle_problems` and is the recipient's, or staff's of the sheet's region."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path as FilePath
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal, require
from api.deps import DbSession
from api.responses import XLSX, binary
from api.routers.notices import attachment
from gis.errors import InvalidInput
from gis.settings import get_settings
from layers.campaign import dispatch_excel, dispatch_service
from layers.campaign.notice_schemas import DispatchItem, DispatchSheet, ReplyImportResult
from maps import problem_list

router = APIRouter(prefix="/api/v1", tags=["campaign"])


def _id():  # a Path of its own for each parameter: FastAPI keeps state on it
    return Path(ge=1, le=2**63 - 1)


class DispatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: int | None = Field(None, ge=1, le=2**31 - 1, description="the recipient: a person …")
    unit_id: int | None = Field(None, ge=1, le=2**31 - 1, description="… or a unit")
    problem_ids: list[int] | None = Field(None, min_length=1, max_length=dispatch_service.MAX_ITEMS,
                                          description="the problems to list; or problem_query; or neither: the "
                                                      "recipient's 督导单 (their open problems)")
    problem_query: str | None = Field(None, max_length=2000,
                                      description="a filter of the problem ledger as the list page's query string, "
                                                  "e.g. overdue=true&region=411421001 (open problems only)")
    deadline: date | None = Field(None, description="one deadline for every item (default each problem's own)")
    title: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=2000)


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reply: str = Field(min_length=1, max_length=dispatch_service.MAX_REPLY, description="整改情况")


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


def _query(text: str | None, principal: Principal):
    """The list page's filter (maps/problem_list.py reads it the same way), inside the caller's region."""
    if text is None:
        return None
    req = problem_list.parse(dict(parse_qsl(text.lstrip("?"))))
    if req.errors:
        raise InvalidInput("; ".join(req.errors), field="problem_query")
    req.query.scope = principal.within(req.region)
    return req.query


@router.get("/dispatches", summary="交办单 the caller may read, newest first, with their 对账 counts",
            response_model=list[DispatchSheet], response_model_exclude_none=True)
def dispatches(s: DbSession, state: str | None = Query(None, pattern="^(open|closed|cancelled)$"),
               person_id: int | None = Query(None, ge=1, le=2**31 - 1, description="sent to this person"),
               unit_id: int | None = Query(None, ge=1, le=2**31 - 1, description="sent to this unit"),
               limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=1_000_000),
               principal: Principal = Depends(require("read"))) -> list[dict]:
    return dispatch_service.listing(s, caller=principal.caller, person_id=principal.person_id,
                                    recipient_person_id=person_id, recipient_unit_id=unit_id, state=state,
                                    limit=limit, offset=offset)


@router.post("/dispatches", status_code=201, summary="Issue a numbered 交办单 to a person or unit",
             response_model=DispatchSheet)
def create(s: DbSession, body: DispatchIn, principal: Principal = Depends(require("publish"))) -> dict:
    return dispatch_service.create(s, caller=principal.caller, person_id=body.person_id, unit_id=body.unit_id,
                                   problem_ids=body.problem_ids, query=_query(body.problem_query, principal),
                                   query_text=body.problem_query, deadline=body.deadline, title=body.title,
                                   note=body.note)


@router.get("/dispatches/{dispatch_id}", summary="One 交办单 with every item's 对账 state",
            response_model=DispatchSheet)
def dispatch(s: DbSession, dispatch_id: int = _id(), principal: Principal = Depends(require("read"))) -> dict:
    return dispatch_service.get(s, dispatch_id, caller=principal.caller, person_id=principal.person_id)


@router.get("/dispatches/{dispatch_id}/sheet.xlsx", summary="The 交办单 as Excel, with a reply column to fill in",
            response_class=Response, responses=binary(XLSX, "the workbook"))
def sheet_xlsx(s: DbSession, dispatch_id: int = _id(), principal: Principal = Depends(require("read"))) -> Response:
    sheet = dispatch_service.get(s, dispatch_id, caller=principal.caller, person_id=principal.person_id)
    return Response(dispatch_excel.xlsx(sheet), media_type=XLSX,
                    headers=attachment(f"{sheet['number']}.xlsx", f"dispatch-{dispatch_id}.xlsx"))


@router.post("/dispatches/{dispatch_id}/items/{item_id}/reply", summary="Record the recipient's reply to one item",
             response_model=DispatchItem)
def reply(s: DbSession, body: ReplyIn, dispatch_id: int = _id(), item_id: int = _id(),
          principal: Principal = Depends(require("handle_problems"))) -> dict:
    return dispatch_service.reply(s, dispatch_id, item_id, body.reply, caller=principal.caller,
                                  person_id=principal.person_id)


@router.post("/dispatches/{dispatch_id}/import", summary="Import the returned Excel's replies (dry_run: preview)",
             response_model=ReplyImportResult)
def import_replies(s: DbSession, dispatch_id: int = _id(), file: UploadFile = File(...),
                   dry_run: bool = Query(False, description="answer what each row would do; write nothing"),
                   skip_invalid: bool = Query(False, description="record the good rows, report the rest"),
                   principal: Principal = Depends(require("handle_problems"))) -> dict:
    suffix = FilePath(file.filename or "sheet.xlsx").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InvalidInput("a returned 交办单 is a .xlsx (or .csv) file", field="file")
    data = file.file.read(get_settings().max_body_bytes + 1)
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        tmp.write(data)
        tmp.flush()
        result = dispatch_excel.import_replies(s, dispatch_id, FilePath(tmp.name), caller=principal.caller,
                                               person_id=principal.person_id, dry_run=dry_run,
                                               skip_invalid=skip_invalid)
    return {**vars(result), "rejected": [vars(r) for r in result.rejected],
            "outcomes": [vars(o) for o in result.outcomes]}


@router.post("/dispatches/{dispatch_id}/cancel", summary="Cancel a 交办单 issued in error (its number stays used)",
             response_model=DispatchSheet)
def cancel(s: DbSession, body: CancelIn, dispatch_id: int = _id(),
           principal: Principal = Depends(require("publish"))) -> dict:
    return dispatch_service.cancel(s, dispatch_id, caller=principal.caller, reason=body.reason)
