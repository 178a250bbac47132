"""The API's answers about the problem ledger: categories, sources, problems with their events and owners, photos,
lifecycle steps, the 三本账 and indicators, escalations, patrols, checklists and visits, the 督导单 as JSON, and
Open311 GeoReport v2 (see layers.spatial.schemas for the conventions)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import ConfigDict, Discriminator, Field, Tag

from layers.spatial.schemas import Number, Out

CONTACT = "only for roles that manage people"


class ProblemCategory(Out):
    code: str
    name: str
    parent_code: str | None = Field(None, description="empty for a big class")
    deadline_amount: int | None = None
    deadline_unit: str | None = Field(None, description="hours or days (working time)")
    duplicate_radius_m: Number | None = None
    duplicate_window_h: int | None = None
    street_tolerance_m: Number | None = None
    active: bool


class ProblemSource(Out):
    code: str
    name: str


class ProblemEvent(Out):
    id: int
    at: datetime
    actor: str | None = None
    action: str
    from_status: str | None = None
    to_status: str | None = None
    note: str | None = None
    photo_id: int | None = None
    due_at: datetime | None = None
    assignee_person_id: int | None = Field(None, description="派遣: the person it was dispatched to")
    assignee_unit_id: int | None = Field(None, description="派遣: the unit it was dispatched to")


class ProblemOwner(Out):
    role: str
    role_name: str
    holder: str | None = None
    person_id: int | None = None
    unit_id: int | None = None
    place: str | None = None
    phone: str | None = Field(None, description=CONTACT)


class ProblemSummary(Out):
    """A problem as the ledger lists it."""

    id: int
    status: str
    status_name: str
    final: bool
    category_code: str
    category_name: str
    category_group: str | None = None
    source: str
    source_name: str
    description: str | None = None
    address: str | None = None
    reporter: str | None = Field(None, description=CONTACT)
    reporter_contact: str | None = Field(None, description=CONTACT)
    external_id: str | None = None
    lon: float
    lat: float
    district_code: str | None = None
    region_code: str | None = None
    grid_cell_id: int | None = None
    grid_cell_code: str | None = None
    street_id: int | None = None
    street_name: str | None = None
    street_distance_m: Number | None = None
    point_id: int | None = None
    point_name: str | None = None
    point_type: str | None = None
    reported_at: datetime
    dispatched_at: datetime | None = None
    due_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    overdue: bool | None = None
    rework_count: int
    extension_count: int
    duplicate_of: int | None = Field(None, description="the open report this one is a duplicate of")
    duplicates: int = Field(description="reports linked to this one as duplicates")


EVIDENCE = ("evidence flags (虚假整改 suspicion, flagged not refused): taken_before_report (taken before the problem "
            "was reported), far_from_place (GPS farther than CCGRID_EVIDENCE_MAX_DISTANCE_M from the problem)")


class ProblemPhoto(Out):
    id: int
    step: str | None = Field(None, description="the status the problem was in when the photo was uploaded")
    created_at: datetime
    taken_at: datetime | None = Field(None, description="capture time: EXIF, else as the sender said")
    gps_lon: float | None = Field(None, description="capture position (WGS84): EXIF GPS, else as the sender said")
    gps_lat: float | None = None
    flags: list[str] = Field(description=EVIDENCE)


class Problem(ProblemSummary):
    """One problem with its routing, owners, history and duplicates; what intake answers."""

    duplicate_ids: list[int]
    owners: list[ProblemOwner] = Field(description="the owners in force when it was reported (or handed over)")
    history: list[ProblemEvent]
    photos: list[ProblemPhoto] = Field([], description="its photos, oldest first, with their evidence flags")
    evidence_flags: list[str] = Field([], description="every evidence flag of its photos, once each")
    evidence_flagged_photos: int = Field(0, description="how many of its photos are flagged")


class ProblemDetail(Problem):
    actions: list[str] = Field(description="the lifecycle actions the caller may take now")


class ProblemPage(Out):
    items: list[ProblemSummary]
    total: int
    by_status: dict[str, int] | None = Field(None, description="with counts=true: matching problems per status "
                                                                "code, and open / overdue, as if no status were "
                                                                "asked for")


class Photo(Out):
    id: int
    problem_id: int
    bytes: int
    taken_at: datetime | None = None
    gps_lon: float | None = None
    gps_lat: float | None = None
    flags: list[str] = Field([], description=EVIDENCE)


class Transition(Out):
    id: int
    from_: str = Field(alias="from")
    to: str
    dispatched_at: datetime | None = None
    due_at: datetime | None = None
    closed_at: datetime | None = None
    extension_count: int | None = None
    rework_count: int | None = None
    assignee_person_id: int | None = None
    assignee_unit_id: int | None = None

    model_config = ConfigDict(populate_by_name=True)


# --- the 三本账 and indicators -----------------------------------------------------------------------------------
class PointLedgerRow(Out):
    code: str = Field(alias="编码")
    name: str | None = Field(alias="名称")
    point_type: str | None = Field(alias="类型")
    community: str | None = Field(alias="所属社区")
    owners: str | None = Field(alias="责任人")
    last_inspected: datetime | None = Field(alias="最近检查")
    last_score: float | None = Field(alias="最近得分")
    problems: int = Field(alias="期内问题数")


class ProblemLedgerRow(Out):
    id: int = Field(alias="编号")
    category: str = Field(alias="类别")
    source: str = Field(alias="来源")
    community: str | None = Field(alias="所属社区")
    street: str | None = Field(alias="路段")
    point: str | None = Field(alias="点位")
    description: str | None = Field(alias="描述")
    owners: str | None = Field(alias="责任人")
    lead_department: str | None = Field(None, alias="主办部门")
    status: str = Field(alias="状态")
    reported_at: datetime = Field(alias="上报时间")
    dispatched_at: datetime | None = Field(alias="派遣时间")
    due_at: datetime | None = Field(alias="整改时限")
    closed_at: datetime | None = Field(alias="销号时间")


class RectificationLedgerRow(Out):
    id: int = Field(alias="编号")
    category: str = Field(alias="类别")
    community: str | None = Field(alias="所属社区")
    owners: str | None = Field(alias="责任人")
    lead_department: str | None = Field(None, alias="主办部门")
    dispatched_at: datetime | None = Field(alias="派遣时间")
    due_at: datetime | None = Field(alias="整改时限")
    rectified_at: datetime | None = Field(alias="整改完成")
    closed_at: datetime | None = Field(alias="销号时间")
    on_time: str = Field(alias="是否按期", description="按期, 超期完成, 超期未完成 or 整改中")
    rework_count: int = Field(alias="返工次数")
    extension_count: int = Field(alias="延期次数")
    status: str = Field(alias="状态")
    evidence: str | None = Field(None, alias="虚假整改嫌疑", description="the evidence flags of its photos, by name "
                                                                     "(拍摄时间早于上报时间、拍摄地点远离问题位置)")


def _ledger_kind(row: Any) -> str:
    keys = row if isinstance(row, dict) else {f.alias for f in type(row).model_fields.values()}
    return "points" if "编码" in keys else "rectification" if "是否按期" in keys else "problems"


# One of the three, told apart by their keys (no trial validation of every row against every kind).
LedgerRow = Annotated[
    Annotated[PointLedgerRow, Tag("points")] | Annotated[ProblemLedgerRow, Tag("problems")]
    | Annotated[RectificationLedgerRow, Tag("rectification")],
    Discriminator(_ledger_kind),
]
Ledger = list[LedgerRow]


class Indicator(Out):
    key: str
    name: str | None = None
    dispatched: int
    due: int
    closed: int
    closed_on_time: int
    reworked: int
    overdue: int
    evidence_flagged: int = Field(0, description="dispatched problems with a photo flagged as evidence of 虚假整改 "
                                                 "(taken before the report, far from the place)")
    closure_rate: float | None = Field(None, description="结案率")
    on_time_rate: float | None = Field(None, description="按期结案率")
    rework_rate: float | None = Field(None, description="返工率")
    overdue_rate: float | None = Field(None, description="超期率")


class EscalationRun(Out):
    new: int


class Escalation(Out):
    id: int
    party: str = Field(description="person or unit")
    level: int
    level_code: str = Field(description="notice (通报), talk (约谈), accountability (问责)")
    level_name: str
    exposure_no: int = Field(description="the count the ladder reached: exposures in the window, or "
                                         "consecutive periods")
    kind: str
    reason: str
    problem_id: int
    exposed_at: datetime
    week: str
    person_id: int | None = None
    unit_id: int | None = None
    holder: str | None = None
    holder_title: str | None = Field(None, description="a person's title (职务)")
    category_name: str | None = Field(None, description="the problem's category")
    region_code: str | None = None
    window_problem_ids: list[int] | None = None
    because_of: int | None = Field(None, description="a unit head's record: the unit's record it answers for")
    because_of_unit: str | None = None
    state: str
    state_name: str
    scheduled_at: datetime | None = None
    venue: str | None = None
    attendees: str | None = None
    minutes: str | None = None
    decision: str | None = None
    decided_at: datetime | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None


class SheetItem(Out):
    id: int
    category: str
    place: str | None = None
    address: str | None = None
    description: str | None = None
    reported_at: datetime
    due_at: datetime | None = None
    status: str
    overdue: bool | None = None
    role_name: str


class SupervisionSheet(Out):
    holder: str
    person_id: int | None = None
    unit_id: int | None = None
    generated_at: datetime
    items: list[SheetItem] = Field(description="one page of the open problems, overdue first")
    open: int = Field(description="all the open problems, not only this page")
    overdue: int
    offset: int = 0
    limit: int | None = Field(None, description="the page's size; none: all of them (the workbook)")


# --- inspections -----------------------------------------------------------------------------------------------
class PatrolResult(Out):
    id: int
    streets: int = Field(description="street segments passed")
    assessment_points: int = Field(description="assessment points passed")


class ChecklistItem(Out):
    id: int
    code: str
    text: str
    weight: Decimal
    category_code: str | None = None


class VisitResult(Out):
    id: int
    point_id: int
    score: Number
    problems: list[int] = Field(description="problems raised by the failed items")
    failed: dict[str, int] = Field({}, description="failed item code → the problem it raised (for its photos)")
    round_id: int | None = Field(None, description="the 测评 round the visit counts for")


class ScoreRecord(Out):
    id: int
    kind: str
    inspector: str | None = None
    score: Decimal
    visited_at: datetime
    failed: list[str] | None = None
    round_id: int | None = Field(None, description="the 测评 round the visit counted for")


# --- Open311 GeoReport v2 ----------------------------------------------------------------------------------------
class Open311Service(Out):
    service_code: str
    service_name: str
    description: str | None = None
    metadata: bool
    type: str
    keywords: str | None = None
    group: str | None = None


class Open311ServiceDefinition(Out):
    service_code: str
    attributes: list[dict]


class Open311Request(Out):
    service_request_id: str
    status: str = Field(description="open or closed")
    status_notes: str | None = None
    service_name: str | None = None
    service_code: str
    description: str | None = None
    agency_responsible: str | None = None
    service_notice: str | None = None
    requested_datetime: str | None = None
    updated_datetime: str | None = None
    expected_datetime: str | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    lat: float
    long: float
    media_url: str | None = None


class Open311Receipt(Out):
    service_request_id: str
    service_notice: str | None = None
    account_id: str | None = None
    expected_datetime: str | None = None


class Open311Error(Out):
    code: int
    description: str



# --- the field app's task list ------------------------------------------------------------------------------------
class TaskAction(Out):
    action: str
    needs_photo: bool
    needs_note: bool


class MyTask(Out):
    id: int
    category_code: str
    category_name: str
    status: str
    status_name: str
    source: str | None = None
    description: str | None = None
    address: str | None = None
    reported_at: datetime
    due_at: datetime | None = None
    overdue: bool | None = None
    hours_left: float | None = Field(None, description="hours to the deadline (negative: overdue by)")
    lon: float
    lat: float
    place: str | None = Field(None, description="the point, street, cell or community it lies in")
    photo_ids: list[int]
    actions: list[TaskAction] = Field(description="what the caller's role may do with it now")


class MyTasks(Out):
    person_id: int | None = Field(description="the caller's person (null: the account is linked to nobody)")
    tasks: list[MyTask]
    open: int
    overdue: int
