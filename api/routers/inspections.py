"""Patrol tracks and checklist inspections (暗访 / 模拟测评)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text

from api.auth import Principal, require
from gis.crs import STORAGE_SRID
from gis.db import transaction
from gis.errors import InvalidInput, NotFound
from layers import inspections
from layers.features import geometry_from_geojson
from layers.ledger.schemas import ChecklistItem, PatrolResult, ScoreRecord, VisitResult

router = APIRouter(prefix="/api/v1", tags=["inspections"])


class PatrolIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    track: dict[str, Any] = Field(description="GeoJSON LineString, lon/lat")
    started_at: datetime
    ended_at: datetime
    walker: str = Field(min_length=1, max_length=100)
    person_id: int | None = None


class VisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field("mystery", description="mystery (暗访), mock_assessment (模拟测评) or patrol")
    inspector: str = Field(min_length=1, max_length=100)
    results: dict[str, bool] = Field(description="item code → passed")
    notes: dict[str, str] | None = None
    visited_at: datetime | None = None


@router.post("/patrols", status_code=201, summary="Record a patrol track; streets and points passed count as inspected",
             response_model=PatrolResult)
def patrol(body: PatrolIn, principal: Principal = Depends(require("handle_problems"))) -> dict:
    track = geometry_from_geojson(body.track, crs=STORAGE_SRID)
    if track.geom_type != "LineString":
        raise InvalidInput("a patrol track is a LineString", field="track")
    with transaction() as s:
        return inspections.record_patrol(s, track=track, started_at=body.started_at, ended_at=body.ended_at,
                                         walker=body.walker, person_id=body.person_id, actor=principal.actor)


@router.get("/checklists/{point_type}", summary="The checklist (items, weights) of an assessment point type",
            response_model=list[ChecklistItem])
def checklist(point_type: str, _: Principal = Depends(require("read"))) -> list[dict]:
    with transaction() as s:
        items = inspections.checklist(s, point_type)
    if not items:
        raise NotFound(f"no checklist for point type {point_type!r}", field="point_type")
    return items


@router.post("/assessment-points/{point_id}/visits", status_code=201,
             summary="Score a point on its checklist; failed items become problems", response_model=VisitResult)
def visit(point_id: int, body: VisitIn, principal: Principal = Depends(require("handle_problems"))) -> dict:
    with transaction() as s:
        return inspections.visit(s, point_id=point_id, kind=body.kind, inspector=body.inspector,
                                 results=body.results, notes=body.notes, visited_at=body.visited_at,
                                 caller=principal.caller)


@router.get("/assessment-points/{point_id}/scores", summary="A point's score history",
            response_model=list[ScoreRecord])
def scores(point_id: int, principal: Principal = Depends(require("read"))) -> list[dict]:
    with transaction() as s:
        region = s.execute(text("SELECT region_code FROM assessment_points WHERE id = :i"),
                           {"i": point_id}).one_or_none()
        if region is None or (principal.region_code and not (region[0] or "").startswith(principal.region_code)):
            raise NotFound(f"assessment point {point_id} not found", field="point_id")
        return inspections.score_history(s, point_id)
