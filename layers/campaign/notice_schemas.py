"""The API's answers about 通报, 交办单 and the 负面清单 (pydantic; extra keys pass through, as every answer's)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from layers.spatial.schemas import Out, Rejection


class Notice(Out):
    id: int
    number: str = Field(description="e.g. 创城通〔2026〕第12号: per year, no gaps")
    title: str
    period: str = Field(description="the period's code: 2026-W49, 2026-11, 2026-B6, 2026-Q4, 2026")
    period_kind: str
    period_label: str
    period_start: date
    period_end: date = Field(description="the first day after the period")
    scope: str | None = Field(None, description="the region it reports on; null: the whole city")
    scope_name: str
    state: str = Field(description="published or withdrawn")
    state_name: str
    published_by: str
    published_at: datetime
    withdrawn_by: str | None = None
    withdrawn_at: datetime | None = None
    withdraw_reason: str | None = None
    replaces: int | None = Field(None, description="the withdrawn notice this one reissues")
    replaces_number: str | None = None
    replaced_by: int | None = Field(None, description="the notice that reissued this one")
    replaced_by_number: str | None = None
    digest: str = Field(description="sha256 of the snapshot and its photos: the same for as long as it exists")
    photos: int
    snapshot: dict[str, Any] | None = Field(None, description="what it says, as taken when it was published")


class DispatchItem(Out):
    id: int
    seq: int
    problem_id: int
    deadline: datetime | None = None
    status: str | None = Field(None, description="the problem's status now (null: archived)")
    status_name: str | None = None
    category: str | None = None
    place: str | None = None
    description: str | None = None
    reply: str | None = Field(None, description="the recipient's newest reply")
    replied_at: datetime | None = None
    replied_by: str | None = None
    replies: int
    done_at: datetime | None = None
    state: str = Field(description="对账: closed (销号), archived, overdue, replied (not verified yet) or open")
    state_name: str


class DispatchCounts(Out):
    closed: int
    archived: int
    overdue: int
    replied: int
    open: int


class DispatchSheet(Out):
    id: int
    number: str = Field(description="e.g. 创城交〔2026〕第37号: per year, no gaps")
    title: str
    person_id: int | None = None
    unit_id: int | None = None
    recipient: str
    recipient_kind: str
    region_code: str | None = None
    deadline: datetime | None = None
    note: str | None = None
    source: str = Field(description="selection, supervision (督导单) or filter (of the problem ledger)")
    source_name: str
    created_by: str
    created_at: datetime
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    counts: DispatchCounts
    total: int
    done: int
    state: str = Field(description="open, closed (every item 销号: computed, never set by hand) or cancelled")
    state_name: str
    closed_at: datetime | None = None
    items: list[DispatchItem] | None = None
    may_reply: bool | None = None


class ReplyRow(Out):
    row: int
    seq: int
    problem_id: int
    outcome: str = Field(description="replied (recorded), unchanged (the newest reply already) or empty")
    reply: str | None = None


class ReplyImportResult(Out):
    rows: int
    replied: int
    unchanged: int
    empty: int
    rejected: list[Rejection]
    outcomes: list[ReplyRow]
    dry_run: bool


class NegativeRow(Out):
    key: str = Field(description="person:<id>, unit:<id>, or a 街道/社区 code")
    kind: str
    kind_name: str
    name: str | None = None
    subdistrict: str | None = None
    reasons: list[str]
    basis: list[str] = Field(description="the problems and the 通报 numbers behind it")


class NegativeList(Out):
    period: dict[str, Any]
    rows: list[NegativeRow]
