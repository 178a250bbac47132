"""The problem list's filters as query parameters (shared by GET /api/v1/problems and its export), and the export
of exactly what is filtered, as Excel or CSV. Registered before the problems router: /problems/export is not an id.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.auth import Principal, require
from api.deps import DbSession
from api.downloads import send, spool
from api.responses import XLSX
from gis.times import CityDatetime
from layers.ledger import listing
from layers.ledger.listing import ProblemQuery
from layers.spatial.features import parse_bbox

router = APIRouter(prefix="/api/v1", tags=["problems"])
SORT = "^(" + "|".join(listing.SORTS) + ")$"


def problem_query(
    status: str | None = Query(None, max_length=20, description="open, overdue, or a status code/name"),
    category: str | None = Query(None, max_length=50, description="small or big class, code or name"),
    source: str | None = Query(None, max_length=30),
    overdue: bool | None = None,
    due_within_hours: int | None = Query(None, ge=1, le=24 * 60, description="still with its owners, due soon"),
    since: CityDatetime | None = Query(None, description="reported at or after (without a zone: Beijing time)"),
    until: CityDatetime | None = Query(None, description="reported before"),
    closed_within_days: int | None = Query(None, ge=1, le=3650, description="closed (销号) in the last N days"),
    region: str | None = Query(None, max_length=12, pattern=r"^\d{6,12}$", description="街道/社区 code to look inside"),
    bbox: str | None = Query(None, description="minLon,minLat,maxLon,maxLat"),
    owner_person_id: int | None = Query(None, description="a person among the problem's owners (as routed)"),
    department_id: int | None = Query(None, ge=1, le=2**31 - 1,
                                      description="a department (unit) the problem was routed to, 主办 or 协办"),
    evidence_flagged: bool | None = Query(None, description="true: with a photo flagged as evidence of 虚假整改 "
                                                            "(taken before the report, far from the place)"),
    cell: str | None = Query(None, pattern="^(hex|square|grid_cell|community)$",
                             description="one heatmap cell, exactly: its kind, with cell_key (and size_m)"),
    cell_key: str | None = Query(None, max_length=40, description="the heatmap feature's id: column:row of a "
                                                                  "hexagon or square, grid cell id, community code"),
    size_m: float | None = Query(None, description="hexagon edge or square side of the heatmap (hex/square)"),
    duplicates: bool = Query(True, description="false: first reports only, as the home page and heatmap count"),
    principal: Principal = Depends(require("read")),
) -> ProblemQuery:
    return ProblemQuery(scope=principal.within(region), status=status, category=category, source=source,
                        overdue=overdue, due_within_hours=due_within_hours, since=since, until=until,
                        closed_within_days=closed_within_days, bbox=parse_bbox(bbox),
                        owner_person_id=owner_person_id, department_id=department_id,
                        evidence_flagged=evidence_flagged, cell=cell, cell_key=cell_key, size_m=size_m,
                        duplicates=duplicates)


@router.get("/problems/export", summary="The filtered problem list as Excel or CSV (every matching row, capped)",
            response_class=Response,
            responses={200: {"content": {XLSX: {}, "text/csv": {"schema": {"type": "string"}}},
                             "description": "the workbook, or with format=csv UTF-8 CSV (with a BOM)"}})
def export(
    s: DbSession,
    format: str = Query("xlsx", pattern="^(xlsx|csv)$"),  # noqa: A002 - the query parameter's name
    sort: str = Query("id_desc", pattern=SORT),
    q: ProblemQuery = Depends(problem_query),
) -> Response:
    # Written to a file as it is read, then streamed. More than CCGRID_EXPORT_MAX_ROWS matching: the first that
    # many, X-Truncated: true, and a last row saying so.
    with spool() as out:
        done = listing.export(s, q, out, fmt=format, sort=sort)
        headers = {"X-Row-Count": str(done.rows), "X-Truncated": "true" if done.truncated else "false"}
        if format == "xlsx":
            return send(out, XLSX, "problems.xlsx", headers)
        return send(out, "text/csv; charset=utf-8", "problems.csv", headers)
