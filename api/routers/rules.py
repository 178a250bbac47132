"""The rule tables a city edits (categories and deadlines, sources, point types, checklists, coverage and department
rules, the escalation ladder and settings) and the work calendar. Reading needs `read`; every change needs
`manage_rules` (admin, city office) and is audited by layers.rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Body, Depends, File, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal, require
from api.deps import DbSession
from layers.rules import calendar_file, edit, history, work_calendar
from layers.rules.schemas import (
    CalendarDay,
    CalendarImport,
    CalendarYear,
    RuleChange,
    RuleRow,
    RuleRowDetail,
    RuleTable,
)

router = APIRouter(prefix="/api/v1", tags=["rules"])
READ, WRITE = require("read"), require("manage_rules")
FIELDS = Body(..., description="the columns to set, as GET /api/v1/rules names them",
              examples=[{"deadline_amount": 3, "deadline_unit": "days"}])


class CalendarDayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    is_workday: bool | None = Field(description="true: a working day (调休上班); false: a day off (放假); null: "
                                                "the day follows the week again")
    note: str | None = Field(None, max_length=100, description="e.g. 国庆节")


@router.get("/rules", summary="The rule tables and their columns", response_model=list[RuleTable])
def tables(_: Principal = Depends(READ)) -> list[dict]:
    return edit.describe()


@router.get("/rules/changes", summary="The latest changes of the rules and the calendar (audit log)",
            response_model=list[RuleChange])
def changes(s: DbSession, table: str | None = Query(None, description="one table, or calendar"),
            limit: int = Query(50, ge=1, le=500), _: Principal = Depends(READ)) -> list[dict]:
    return history.changes(s, name=table, limit=limit)


@router.get("/rules/{table}", summary="The rows of a rule table", response_model=list[RuleRow])
def rows(s: DbSession, table: str, point_type: str | None = Query(None, description="checklist items: of one type"),
         active: bool | None = Query(None), _: Principal = Depends(READ)) -> list[dict]:
    filters = {"point_type": point_type} if table == "checklist_items" else {}
    if active is not None and edit.table(table).retire_column == "active":
        filters["active"] = active
    return edit.rows(s, table, **filters)


@router.post("/rules/{table}", status_code=201, summary="Add a row to a rule table", response_model=RuleRow)
def create(s: DbSession, table: str, body: dict[str, Any] = FIELDS,
           principal: Principal = Depends(WRITE)) -> dict:
    return edit.create(s, table, body, caller=principal.caller)


@router.get("/rules/{table}/{key}", summary="One row, with what uses it (a key of two columns: party:level)",
            response_model=RuleRowDetail)
def row(s: DbSession, table: str, key: str, _: Principal = Depends(READ)) -> dict:
    return edit.get(s, table, key)


@router.patch("/rules/{table}/{key}", summary="Change some columns of a row", response_model=RuleRow)
def update(s: DbSession, table: str, key: str, body: dict[str, Any] = FIELDS,
           principal: Principal = Depends(WRITE)) -> dict:
    return edit.update(s, table, key, body, caller=principal.caller)


@router.post("/rules/{table}/{key}/retire", summary="Retire a row (停用): kept for history, no longer offered",
             response_model=RuleRow)
def retire(s: DbSession, table: str, key: str, principal: Principal = Depends(WRITE)) -> dict:
    return edit.retire(s, table, key, caller=principal.caller)


@router.delete("/rules/{table}/{key}", status_code=204,
               summary="Delete a row nothing uses (one in use is 409: retire it instead)")
def delete(s: DbSession, table: str, key: str, principal: Principal = Depends(WRITE)) -> Response:
    edit.delete(s, table, key, caller=principal.caller)
    return Response(status_code=204)


@router.get("/calendar", summary="A year of the work calendar: its exceptions and working days",
            response_model=CalendarYear)
def calendar_year(s: DbSession, year: int | None = Query(None, ge=2000, le=2100, description="default this year"),
                  _: Principal = Depends(READ)) -> dict:
    return work_calendar.year(s, year or work_calendar.this_year(s))


@router.put("/calendar/{day}", summary="Make a day a working day or a day off (null: as its weekday)",
            response_model=CalendarDay)
def calendar_day(s: DbSession, day: date, body: CalendarDayIn, principal: Principal = Depends(WRITE)) -> dict:
    return work_calendar.set_day(s, day, body.is_workday, body.note, caller=principal.caller)


@router.post("/calendar/import", summary="Load a year's 放假/调休 list (CSV: day,kind,note; all lines or none)",
             response_model=CalendarImport)
def calendar_import(
    s: DbSession,
    file: UploadFile = File(..., description="CSV with columns day,kind,note (kind 放假 or 上班)"),
    dry_run: bool = Query(False, description="answer what would change, write nothing"),
    replace: bool = Query(False, description="days of the file's years that it does not list follow the week again"),
    principal: Principal = Depends(WRITE),
) -> dict:
    data = file.file.read(calendar_file.MAX_BYTES + 1)
    return calendar_file.load(s, data, caller=principal.caller, file_name=file.filename or "", dry_run=dry_run,
                              replace=replace)
