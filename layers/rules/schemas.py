"""The API's answers about the rule tables and the work calendar (see layers.spatial.schemas for the conventions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, WithJsonSchema

from layers.spatial.schemas import Number, Out, Rejection


class RuleColumn(Out):
    name: str
    kind: str = Field(description="text, longtext, code, int, number, bool, choice or scalar (a setting's value)")
    nullable: bool
    required: bool = Field(description="must be given when a row is created")
    key: bool = Field(description="part of the row's key: never changed")
    choices: list[str] | None = None
    ref: str | None = Field(None, description="the value must name one of these (a category, a point type …)")
    low: Number | None = None
    high: Number | None = None
    max_length: int | None = None


class RuleTable(Out):
    name: str = Field(description="as the URL names it: /api/v1/rules/{name}")
    table: str
    what: str
    key: list[str] = Field(description="the key columns; a key of two is written party:level in the URL")
    serial: bool = Field(description="the database numbers the rows (id)")
    creatable: bool
    deletable: bool
    retire_column: str | None = Field(None, description="what retiring sets to false (none: rows are not retired)")
    columns: list[RuleColumn]


# One row of a rule table: the table's columns (as GET /api/v1/rules describes them) and their values.
RuleRow = Annotated[dict[str, Any], WithJsonSchema({
    "type": "object", "additionalProperties": True, "title": "RuleRow",
    "description": "one row of a rule table: its columns, as GET /api/v1/rules describes them"})]


class RuleUse(Out):
    what: str = Field(description="problems, checklist items, coverage rules …")
    n: int = Field(description="how many (problems are counted up to 1000)")


class RuleRowDetail(Out):
    row: RuleRow
    in_use: list[RuleUse] = Field(description="what names this row; empty: it may be deleted")


class RuleChange(Out):
    id: int
    at: datetime
    actor: str
    action: str = Field(description="create, update, retire, delete, set_day or load")
    entity: str
    entity_id: str | None = None
    table: str
    detail: dict[str, Any] = Field(description="the row before and after")


class CalendarDay(Out):
    day: date
    weekday: int = Field(description="1 Monday … 7 Sunday")
    weekday_name: str
    is_workday: bool
    note: str | None = None
    usual_workday: bool = Field(description="what the day would be without its exception (Monday to Friday)")
    changes: bool = Field(description="the exception makes a difference (a weekday off, a weekend day worked)")


class CalendarYear(Out):
    year: int
    days: list[CalendarDay] = Field(description="the stored exceptions of the year")
    workdays: int
    days_off: int
    holidays: int = Field(description="weekdays off (放假)")
    make_up_days: int = Field(description="weekend days worked (调休上班)")
    covered: bool = Field(description="the year has its holiday list; if not, every public holiday counts as work")
    first_day: date | None = Field(None, description="the first day with an exception stored, any year")
    last_day: date | None = Field(None, description="the last day with an exception stored: the calendar ends there")


class CalendarPlanDay(Out):
    line: int | None = Field(None, description="the file's line (none for a day removed by replace)")
    day: date
    is_workday: bool | None = None
    note: str | None = None
    action: str = Field(description="create, change, same or remove")
    usual_workday: bool
    before: dict[str, Any] | None = None


class CalendarImport(Out):
    file: str
    dry_run: bool
    replace: bool
    lines: int
    years: list[int]
    created: int
    changed: int
    unchanged: int
    removed: int
    days: list[CalendarPlanDay]
    rejected: list[Rejection] = Field(description="bad lines (a dry run lists them; a load with any is refused)")
