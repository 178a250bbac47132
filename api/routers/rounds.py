"""测评 rounds (模拟测评, 暗访, 双月测评) and the 易失分/易反弹 points they always sample.

Reading needs a token (a scoped caller sees the rounds that meet its region and, in them, its own points); running
a round — create, sample, assign, start, close, delete — and flagging weak points need `run_rounds` (admin, 创城办,
district staff) over a scope inside the caller's region. Visits that count for a round are the checklist visits of
POST /api/v1/assessment-points/{id}/visits with `round_id`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api.auth import Principal, require
from api.deps import DbSession
from layers.campaign import round_assign, round_results, round_weak, rounds, sampling
from layers.campaign.round_schemas import (
    AssignResult,
    Round,
    RoundInspector,
    RoundPoint,
    RoundResults,
    SampleResult,
    WeakPoint,
)
from layers.campaign.rounds import Quota

router = APIRouter(prefix="/api/v1", tags=["rounds"])
READ, RUN = require("read"), require("run_rounds")
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL bytes")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]


class QuotaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    point_type: Annotated[Text, Field(min_length=1, max_length=100)]
    count: int | None = Field(None, ge=0, le=rounds.MAX_QUOTA, description="this many points of the type")
    share: float | None = Field(None, gt=0, le=1, description="or this share of them (0.3 = 30 %)")


class RoundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[Text, Field(min_length=1, max_length=200)]
    kind: str = Field(description="mock_assessment (模拟测评), mystery (暗访) or bimonthly (双月测评)")
    period: Annotated[Text, Field(max_length=20, description="a period code: 2026-B6, 2026-11, 2026-Q4, 2026-W49")]
    scope: Annotated[Text, Field(max_length=12)] | None = Field(
        None, description="region code (district, 街道 …); omitted: the caller's region, or the whole city")
    quotas: list[QuotaIn] = Field(max_length=200)
    include_weak: bool = Field(True, description="always sample the 易失分/易反弹 points")
    include_failed_previous: bool = Field(True, description="always sample the points that failed an item in the "
                                                            "previous closed round of this kind and scope")
    always_include: list[Id] = Field([], max_length=rounds.MAX_INCLUDES, description="points always sampled")
    seed: int | None = Field(None, ge=0, lt=2**63, description="omitted: drawn at sampling and stored")
    note: Annotated[Text, Field(max_length=2000)] | None = None


class SampleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seed: int | None = Field(None, ge=0, lt=2**63, description="omitted: the round's seed (or a new one)")


class PointAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    point_id: Id
    user_id: Id | None = Field(None, description="an inspector's account; null takes the point back")


class SubdistrictAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subdistrict: Annotated[Text, Field(min_length=1, max_length=12)]
    user_id: Id | None = None


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inspectors: list[Id] = Field([], max_length=500, description="balance every sampled point among these "
                                                                  "accounts, 街道 by 街道")
    subdistricts: list[SubdistrictAssignment] = Field([], max_length=500)
    points: list[PointAssignment] = Field([], max_length=rounds.MAX_QUOTA)


class WeakIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    point_id: Id
    kind: str = Field("easy_loss", description="easy_loss (易失分) or relapse (易反弹)")
    note: Annotated[Text, Field(max_length=1000)] | None = None


@router.get("/rounds", summary="测评 rounds you see, newest period first", response_model=list[Round])
def list_rounds(s: DbSession, state: str | None = Query(None, max_length=20),
                kind: str | None = Query(None, max_length=20),
                period: str | None = Query(None, max_length=20, description="a period code, e.g. 2026-B6"),
                principal: Principal = Depends(READ)) -> list[dict]:
    return rounds.listing(s, principal.caller, state=state, kind=kind, period=period)


@router.post("/rounds", status_code=201, summary="Create a draft round with its quotas", response_model=Round)
def create_round(s: DbSession, body: RoundIn, principal: Principal = Depends(RUN)) -> dict:
    return rounds.create(
        s, principal.caller, name=body.name, kind=body.kind, period=body.period, scope=body.scope,
        quotas=[Quota(q.point_type, q.count, q.share) for q in body.quotas], include_weak=body.include_weak,
        include_failed_previous=body.include_failed_previous, always_include=body.always_include, seed=body.seed,
        note=body.note)


@router.get("/rounds/{round_id}", summary="One round: its quotas, counts and score rate", response_model=Round)
def get_round(s: DbSession, round_id: int, principal: Principal = Depends(READ)) -> dict:
    return rounds.get(s, principal.caller, round_id)


@router.delete("/rounds/{round_id}", status_code=204, summary="Delete a round not yet started")
def delete_round(s: DbSession, round_id: int, principal: Principal = Depends(RUN)) -> Response:
    rounds.delete(s, principal.caller, round_id)
    return Response(status_code=204)


@router.post("/rounds/{round_id}/sample", summary="Draw the sample (again, before the round starts)",
             response_model=SampleResult)
def sample_round(s: DbSession, round_id: int, body: SampleIn, principal: Principal = Depends(RUN)) -> dict:
    return sampling.sample(s, principal.caller, round_id, seed=body.seed)


@router.get("/rounds/{round_id}/points", summary="The round's sampled points, with inspector and latest visit",
            response_model=list[RoundPoint])
def round_points(s: DbSession, round_id: int, subdistrict: str | None = Query(None, max_length=12),
                 point_type: str | None = Query(None, max_length=100),
                 assignee: int | None = Query(None, ge=0, le=MAX_ID, description="an account; 0: nobody yet"),
                 mine: bool = Query(False, description="only the points assigned to me"),
                 principal: Principal = Depends(READ)) -> list[dict]:
    caller = principal.caller
    if mine:
        assignee = caller.user_id or -1
    return round_assign.points(s, caller, round_id, subdistrict=subdistrict, point_type=point_type,
                               assignee=assignee)


@router.get("/rounds/{round_id}/inspectors", summary="Accounts that may be given the round's points",
            response_model=list[RoundInspector])
def round_inspectors(s: DbSession, round_id: int, principal: Principal = Depends(READ)) -> list[dict]:
    return round_assign.inspectors(s, principal.caller, round_id)


@router.post("/rounds/{round_id}/assign", summary="Assign sampled points to inspectors (balanced by 街道, or edits)",
             response_model=AssignResult)
def assign_round(s: DbSession, round_id: int, body: AssignIn, principal: Principal = Depends(RUN)) -> dict:
    return round_assign.assign(s, principal.caller, round_id, inspectors_=body.inspectors,
                               subdistricts=[(a.subdistrict, a.user_id) for a in body.subdistricts],
                               points_=[(a.point_id, a.user_id) for a in body.points])


@router.post("/rounds/{round_id}/start", summary="Start the round: its visits count from now",
             response_model=Round)
def start_round(s: DbSession, round_id: int, principal: Principal = Depends(RUN)) -> dict:
    return rounds.start(s, principal.caller, round_id)


@router.post("/rounds/{round_id}/close", summary="Close the round: its results stand", response_model=Round)
def close_round(s: DbSession, round_id: int, principal: Principal = Depends(RUN)) -> dict:
    return rounds.close(s, principal.caller, round_id)


@router.get("/rounds/{round_id}/results",
            summary="Score rates per item, point, type, 社区, 街道 and city; 失分条目; coverage; previous round",
            response_model=RoundResults)
def round_results_(s: DbSession, round_id: int, principal: Principal = Depends(READ)) -> dict:
    return round_results.results(s, principal.caller, round_id)


@router.get("/weak-points", summary="易失分/易反弹 points in your region", response_model=list[WeakPoint])
def weak_points(s: DbSession, principal: Principal = Depends(READ)) -> list[dict]:
    return round_weak.listing(s, principal.caller)


@router.post("/weak-points", status_code=201, summary="Flag a point 易失分 or 易反弹 (rounds always sample it)",
             response_model=WeakPoint)
def flag_weak(s: DbSession, body: WeakIn, principal: Principal = Depends(RUN)) -> dict:
    return round_weak.flag(s, principal.caller, body.point_id, kind=body.kind, note=body.note)


@router.delete("/weak-points/{point_id}", status_code=204, summary="Take a point off the weak list")
def unflag_weak(s: DbSession, point_id: int, principal: Principal = Depends(RUN)) -> Response:
    round_weak.unflag(s, principal.caller, point_id)
    return Response(status_code=204)
