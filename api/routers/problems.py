"""The problem ledger over HTTP: intake, reading, photos, lifecycle actions."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal, require
from api.deps import DbSession
from api.idempotency import IdempotencyKey, body_of, once
from api.routers.problem_exports import SORT, problem_query
from gis.crs import CoordSys, point_to_standard
from gis.errors import InvalidInput
from gis.settings import get_settings
from gis.times import CityDatetime
from layers.ledger import intake as problems
from layers.ledger import lifecycle, listing, lookups, photos
from layers.ledger.listing import ProblemQuery
from layers.ledger.schemas import (
    Photo,
    Problem,
    ProblemCategory,
    ProblemDetail,
    ProblemPage,
    ProblemSource,
    Transition,
)

router = APIRouter(prefix="/api/v1", tags=["problems"])


class ProblemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str = Field(description="small class code or name, e.g. 0401 or 占道经营")
    source: str = Field("public", description="patrol, grid_worker, hotline, mystery, mock_assessment, "
                                               "leader_referral, public, media (or the Chinese name)")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    coord_sys: CoordSys = CoordSys.standard
    description: str = Field("", max_length=problems.MAX_DESCRIPTION)
    address: str | None = Field(None, max_length=300)
    reporter: str | None = Field(None, max_length=100)
    reporter_contact: str | None = Field(None, max_length=100)
    reported_at: CityDatetime | None = Field(None, description="when it was seen (default now; without a zone, "
                                                                "Beijing time)")
    external_id: str | None = Field(None, max_length=100, description="the sender's id; a retry returns the same")


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str = Field(description="立案, 不予立案, 派遣, 签收整改, 延期, 整改完成, 核查通过, 退回, 销号")
    note: str | None = Field(None, max_length=1000)
    photo_id: int | None = None
    due_at: CityDatetime | None = Field(None, description="the new due date, for 延期")
    assignee_person_id: int | None = Field(None, description="for 派遣: the person it is dispatched to (usually "
                                                             "one of the place's owners)")
    assignee_unit_id: int | None = Field(None, description="for 派遣: the unit it is dispatched to")


@router.get("/problem-categories", summary="Problem categories (two levels) with deadlines",
            response_model=list[ProblemCategory])
def categories(s: DbSession, _: Principal = Depends(require("report"))) -> list[dict]:
    return lookups.categories(s)


@router.get("/problem-sources", summary="Where reports come from", response_model=list[ProblemSource])
def sources(s: DbSession, _: Principal = Depends(require("report"))) -> list[dict]:
    return lookups.sources(s)


@router.post("/problems", status_code=201, summary="Report a problem; it is routed to its place and owners",
             response_description="the problem as GET /problems/{id} shows it (without its actions)",
             responses={201: {"model": Problem}})  # the database writes this JSON: documented, not re-validated
def report(s: DbSession, request: Request, body: ProblemIn, idempotency_key: IdempotencyKey = None,
           principal: Principal = Depends(require("report"))) -> Response:
    return once(s, request, principal, idempotency_key, lambda: body_of(body), lambda: _report(s, body, principal))


def _report(s, body: ProblemIn, principal: Principal) -> Response:
    if principal.role == "public" and body.source not in ("public", "群众"):
        raise InvalidInput("the public reports with source 'public'", field="source")
    lon, lat = point_to_standard(body.lon, body.lat, body.coord_sys)
    rep = problems.Report(category=body.category, source=body.source, lon=lon, lat=lat,
                          description=body.description, address=body.address, reporter=body.reporter,
                          reporter_contact=body.reporter_contact, reported_at=body.reported_at,
                          external_id=body.external_id)
    # The database writes the answer's JSON in the intake's own round trip: encoding it field by field in
    # Python cost as much as the intake.
    got = problems.receive(s, rep, caller=principal.caller, answer=principal.sees_contacts)
    # The public may not read the ledger: its answer names no people (owners, who acted, token labels).
    body = problems.public_json(got.answer) if not principal.can("read") else got.answer
    return Response(body, status_code=201, media_type="application/json")


@router.get("/problems", summary="The problem ledger, filtered", response_model=ProblemPage,
            response_model_exclude_unset=True)
def search(
    s: DbSession,
    sort: str = Query("id_desc", pattern=SORT, description="id_desc (newest first), due / due_desc (deadline), "
                                                          "reported / reported_desc"),
    limit: int = Query(100, ge=1, le=10_000),
    offset: int = Query(0, ge=0),
    counts: bool = Query(False, description="also by_status: the matches per status, ignoring status"),
    q: ProblemQuery = Depends(problem_query),
    principal: Principal = Depends(require("read")),
) -> dict:
    return listing.search(s, q, sort=sort, limit=limit, offset=offset, with_contact=principal.sees_contacts,
                          counts=counts)


@router.get("/problems/{problem_id}", summary="One problem with its routing, owners, history and duplicates",
            response_model=ProblemDetail, response_model_exclude_unset=True)
def get_problem(s: DbSession, problem_id: int, principal: Principal = Depends(require("read"))) -> dict:
    out = problems.get(s, problem_id, scope=principal.region_code, with_contact=principal.sees_contacts)
    out["actions"] = [a["action"] for a in lifecycle.allowed_actions(s, out["status"], principal.role)]
    return out


@router.post("/problems/{problem_id}/photos", status_code=201,
             summary="Attach a photo (JPEG/PNG; decoded, size- and pixel-limited, stored re-encoded as JPEG)",
             description="Handling roles attach to problems in their region, the public only to its own reports; "
                         "closed problems take none. Uploads per token are rate-limited (429 with Retry-After). "
                         "A rectification or re-inspection photo taken before the report, or far from the place, "
                         "is kept and flagged (`flags`: taken_before_report, far_from_place).",
             response_model=Photo)
def add_photo(s: DbSession, request: Request, problem_id: int, file: UploadFile = File(...),
              taken_at: CityDatetime | None = Form(None, description="when it was taken, if the file does not say "
                                                                     "(a photo shrunk on a phone loses its EXIF)"),
              lon: float | None = Form(None, description="where it was taken (WGS84, as the phone's GPS gives "
                                                         "it), if the file does not say; with lat"),
              lat: float | None = Form(None, description="where it was taken (WGS84), with lon"),
              idempotency_key: IdempotencyKey = None, principal: Principal = Depends(require("report"))) -> dict:
    data = file.file.read(get_settings().max_photo_bytes + 1)
    return once(s, request, principal, idempotency_key, lambda: data + str(taken_at).encode()
                + (f"|{lon}|{lat}".encode() if lon is not None or lat is not None else b""),
                lambda: photos.attach(s, problem_id, data, caller=principal.caller, taken_at=taken_at,
                                      lon=lon, lat=lat))


@router.get("/problems/{problem_id}/photos/{photo_id}", summary="A problem's photo (size=thumb: a small JPEG)",
            response_class=Response, responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}})
def get_photo(s: DbSession, problem_id: int, photo_id: int, size: Literal["full", "thumb"] = "full",
              principal: Principal = Depends(require("read"))) -> Response:
    data, mime = photos.read(s, problem_id, photo_id, caller=principal.caller, thumb=size == "thumb")
    # Private (region-scoped) and never sniffed into something other than an image.
    return Response(data, media_type=mime, headers={"Cache-Control": "private, max-age=3600",
                                                    "X-Content-Type-Options": "nosniff"})


@router.post("/problems/{problem_id}/actions", summary="Move a problem along its lifecycle", response_model=Transition,
             response_model_exclude_unset=True)
def act(s: DbSession, request: Request, problem_id: int, body: ActionIn, idempotency_key: IdempotencyKey = None,
        principal: Principal = Depends(require("handle_problems"))) -> dict:
    return once(s, request, principal, idempotency_key, lambda: body_of(body), lambda: lifecycle.transition(
        s, problem_id, body.action, caller=principal.caller, note=body.note, photo_id=body.photo_id,
        due_at=body.due_at, assignee_person_id=body.assignee_person_id, assignee_unit_id=body.assignee_unit_id))
