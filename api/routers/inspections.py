"""Patrol tracks and checklist inspections (暗访 / 模拟测评)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api.auth import Principal, require
from api.deps import DbSession
from api.idempotency import IdempotencyKey, body_of, once
from gis.crs import STORAGE_SRID
from gis.errors import InvalidInput, NotFound
from gis.settings import get_settings
from gis.times import CityDatetime
from layers.campaign import round_visits
from layers.ledger import inspections
from layers.ledger.schemas import ChecklistItem, PatrolResult, ScoreRecord, VisitResult
from layers.spatial.features import geometry_from_geojson

router = APIRouter(prefix="/api/v1", tags=["inspections"])
MAX_ID = 2**31 - 1  # the id columns are 32-bit


def _no_nul(value: str) -> str:
    if "\x00" in value:  # PostgreSQL text cannot hold it
        raise ValueError("must not contain NUL bytes")
    return value


Text100 = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_no_nul)]


class PatrolIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    track: dict[str, Any] = Field(description="GeoJSON LineString, lon/lat")
    started_at: CityDatetime
    ended_at: CityDatetime
    walker: Text100
    person_id: int | None = Field(None, ge=1, le=MAX_ID)
    mode: Literal["walk", "bike", "drive"] = Field("walk", description="walk (步行), bike (骑行) or drive (驾车); "
                                                  "each has its speed limit")
    times: list[CityDatetime] | None = Field(
        None, description="the time of each fix, one per coordinate of the track, as the field app records them")


class VisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str | None = Field(None, description="mystery (暗访, the default), mock_assessment (模拟测评), bimonthly "
                                               "(双月测评) or patrol; with round_id the round's kind")
    round_id: int | None = Field(None, ge=1, le=MAX_ID, description="the 测评 round the visit counts for: in "
                                                                     "progress, with the point in its sample")
    inspector: Text100
    results: dict[str, bool] = Field(description="item code → passed")
    notes: dict[str, Annotated[str, Field(max_length=1000), AfterValidator(_no_nul)]] | None = None
    visited_at: CityDatetime | None = None


@router.post("/patrols", status_code=201, summary="Record a patrol track; streets and points passed count as inspected",
             response_model=PatrolResult)
def patrol(s: DbSession, request: Request, body: PatrolIn, idempotency_key: IdempotencyKey = None,
           principal: Principal = Depends(require("handle_problems"))) -> dict:
    def write() -> dict:
        track = geometry_from_geojson(body.track, crs=STORAGE_SRID)
        return inspections.record_patrol(s, track=track, started_at=body.started_at, ended_at=body.ended_at,
                                         walker=body.walker, person_id=body.person_id, mode=body.mode,
                                         times=body.times, caller=principal.caller)

    return once(s, request, principal, idempotency_key, lambda: body_of(body), write)


@router.get("/patrols", summary="Patrols in your region, newest first")
def patrols(
    s: DbSession,
    person_id: int | None = Query(None, ge=1, le=MAX_ID),
    since: CityDatetime | None = Query(None, description="started at or after"),
    until: CityDatetime | None = Query(None, description="started before"),
    limit: int = Query(100, ge=1),
    offset: int = Query(0, ge=0, le=MAX_ID),
    principal: Principal = Depends(require("read")),
) -> list[dict]:
    max_page = get_settings().max_page_size
    if limit > max_page:
        raise InvalidInput(f"limit may be at most {max_page}", field="limit")
    return inspections.list_patrols(s, principal.caller, person_id=person_id, since=since, until=until,
                                    limit=limit, offset=offset)


@router.get("/checklists/{point_type}", summary="The checklist (items, weights) of an assessment point type",
            response_model=list[ChecklistItem])
def checklist(s: DbSession, point_type: str, _: Principal = Depends(require("read"))) -> list[dict]:
    items = inspections.checklist(s, point_type)
    if not items:
        raise NotFound(f"no checklist for point type {point_type!r}", field="point_type")
    return items


@router.post("/assessment-points/{point_id}/visits", status_code=201,
             summary="Score a point on its checklist; failed items become problems", response_model=VisitResult)
def visit(s: DbSession, request: Request, point_id: int, body: VisitIn, idempotency_key: IdempotencyKey = None,
          principal: Principal = Depends(require("handle_problems"))) -> dict:
    return once(s, request, principal, idempotency_key, lambda: body_of(body), lambda: round_visits.visit(
        s, point_id=point_id, kind=body.kind, round_id=body.round_id, inspector=body.inspector,
        results=body.results, notes=body.notes, visited_at=body.visited_at, caller=principal.caller))


@router.get("/assessment-points/{point_id}/scores", summary="A point's score history",
            response_model=list[ScoreRecord])
def scores(s: DbSession, point_id: int, principal: Principal = Depends(require("read"))) -> list[dict]:
    return inspections.score_history(s, point_id, principal.caller)
