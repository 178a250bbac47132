"""The API's answers about 测评 rounds (see layers.spatial.schemas for the conventions: keys as the services return
them; a key not named here passes through, and tests/api/test_openapi_contract.py catches it)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from layers.spatial.schemas import Number, Out

RATE = "score rate in per cent: passed weight / weight of the items scored (null when nothing was scored)"


class RoundQuota(Out):
    point_type: str
    count: int | None = None
    share: float | None = None


class Round(Out):
    id: int
    name: str
    kind: str = Field(description="mock_assessment (模拟测评), mystery (暗访) or bimonthly (双月测评)")
    kind_name: str
    period: str = Field(description="a period code: 2026-B6, 2026-11, 2026-Q4 …")
    period_label: str
    period_start: date
    period_end: date = Field(description="the period's last day")
    scope_code: str | None = Field(None, description="region code prefix; null for the whole city")
    scope_name: str
    state: str = Field(description="draft, sampled, in_progress or closed")
    state_name: str
    seed: int | None = Field(None, description="the seed that drew the sample (the same seed draws it again)")
    include_weak: bool
    include_failed_previous: bool
    note: str | None = None
    created_by: str
    created_at: datetime
    sampled_at: datetime | None = None
    started_at: datetime | None = None
    closed_at: datetime | None = None
    sampled: int = Field(description="sampled points inside the caller's region")
    assigned: int
    visited: int
    passed_weight: Number
    total_weight: Number
    score_rate: float | None = Field(None, description=RATE)
    quotas: list[RoundQuota] | None = None
    always_include: list[int] | None = None


class SampleType(Out):
    point_type: str
    count: int | None = None
    share: float | None = None
    available: int
    quota: int = Field(description="the points the quota asks for")
    forced: int = Field(description="points always in (named, 易失分/易反弹, failed last round)")
    sampled: int
    over_quota: int = Field(description="always-in points beyond the quota")


class SampleResult(Out):
    round_id: int
    seed: int
    sampled: int
    reasons: dict[str, int]
    previous_round_id: int | None = None
    by_type: list[SampleType]


class RoundPoint(Out):
    point_id: int
    name: str
    code: str | None = None
    point_type: str
    region_code: str | None = None
    community_name: str | None = None
    subdistrict_code: str | None = None
    subdistrict_name: str | None = None
    reason: str = Field(description="quota, weak, failed_previous or listed")
    reason_name: str
    assignee_user_id: int | None = None
    assignee_name: str | None = None
    visit_id: int | None = None
    visited_at: datetime | None = None
    score: Number | None = None
    inspector: str | None = None
    failed: int
    weak_kind: str | None = Field(None, description="flagged easy_loss (易失分) or relapse (易反弹) now")
    lon: float
    lat: float


class RoundInspector(Out):
    id: int
    display_name: str
    region_code: str | None = None
    assigned: int
    visited: int


class AssignResult(Out):
    round_id: int
    changed: int
    inspectors: list[RoundInspector]
    unassigned: int


class RateRow(Out):
    level: str | None = None
    key: str | None = None
    name: str | None = None
    parent: str | None = None
    code: str | None = None
    passed_weight: Number
    total_weight: Number
    score_rate: float | None = Field(None, description=RATE)
    points: int
    scored: int
    failed: int
    previous_score_rate: float | None = None
    change: float | None = Field(None, description="against the previous round, percentage points")


class LostItem(Out):
    point_id: int
    point_name: str
    point_code: str | None = None
    point_type: str
    region_code: str | None = None
    community_name: str | None = None
    subdistrict_code: str | None = None
    subdistrict_name: str | None = None
    item_id: int
    item_code: str
    item_text: str
    weight: Number
    note: str | None = None
    visited_at: datetime
    inspector: str | None = None
    problem_id: int | None = None
    status: str | None = None
    status_name: str | None = None
    photo_ids: list[int]


class CoverageRow(Out):
    subdistrict_code: str | None = None
    subdistrict_name: str | None = None
    point_type: str | None = None
    assignee_user_id: int | None = None
    assignee_name: str | None = None
    sampled: int
    visited: int
    forced: int
    coverage: float | None = Field(None, description="visited / sampled, per cent")


class Coverage(Out):
    sampled: int
    visited: int
    forced: int
    coverage: float | None = None
    subdistricts: list[CoverageRow]
    point_types: list[CoverageRow]
    table: list[CoverageRow]
    inspectors: list[CoverageRow]


class PreviousRound(Out):
    id: int
    name: str
    period: str
    period_label: str
    state: str
    sampled: int
    visited: int
    score_rate: float | None = None


class RoundHeader(Out):
    id: int
    name: str
    kind: str
    kind_name: str
    period: str
    period_label: str
    state: str
    state_name: str
    scope_code: str | None = None
    scope_name: str


class RoundResults(Out):
    round: RoundHeader
    city: RateRow
    subdistricts: list[RateRow]
    communities: list[RateRow]
    point_types: list[RateRow]
    points: list[RateRow]
    items: list[RateRow]
    lost_items: list[LostItem]
    lost_items_truncated: bool
    coverage: Coverage
    previous: PreviousRound | None = None


class WeakPoint(Out):
    point_id: int
    name: str
    code: str | None = None
    point_type: str
    region_code: str | None = None
    region_name: str | None = None
    kind: str = Field(description="easy_loss (易失分) or relapse (易反弹)")
    kind_name: str
    note: str | None = None
    created_by: str
    created_at: datetime
