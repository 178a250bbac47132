"""Open311 GeoReport v2 (JSON): existing 311 apps and client libraries can submit and follow reports.

`service_request_id` is the problem's id; `status` is `closed` once the problem is 销号 or 不予立案. Reading is public
(as in the spec) and shows what a city publishes: service, status, public notes and a coarse location, with the
responsible 街道 as the agency; never people (no reporter, owner or token). Submitting needs `api_key`, an API token
of a role that reports, and is taken for that token as any report is (its region included).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import JSONResponse

from api.auth import principal_for
from api.deps import DbSession
from gis.errors import CcgridError
from gis.times import CityDatetime
from layers.ledger import intake as problems
from layers.ledger import open311
from layers.ledger.schemas import (
    Open311Error,
    Open311Receipt,
    Open311Request,
    Open311Service,
    Open311ServiceDefinition,
)

# Open311 answers its errors as a list of {code, description}, as the spec says.
router = APIRouter(prefix="/open311/v2", tags=["open311"],
                   responses={code: {"model": list[Open311Error], "description": "Open311 error"}
                              for code in (400, 403, 404)})


def _errors(status: int, description: str) -> JSONResponse:
    return JSONResponse([{"code": status, "description": description}], status_code=status)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


@router.get("/services.json", summary="Open311: service list (the small problem categories)",
            response_model=list[Open311Service])
def services(s: DbSession, jurisdiction_id: str | None = None) -> list[dict[str, Any]]:
    rows = open311.services(s)
    return [{"service_code": r["code"], "service_name": r["name"], "group": r["grp"], "metadata": False,
             "type": "realtime", "keywords": r["grp"],
             "description": f"{r['grp']}·{r['name']}，处置时限{r['deadline_amount']}"
                            f"{'个工作日' if r['deadline_unit'] == 'days' else '个工作小时'}"} for r in rows]


@router.get("/services/{service_code}.json", summary="Open311: service definition (no extra attributes)",
            response_model=Open311ServiceDefinition)
def service_definition(s: DbSession, service_code: str) -> Any:
    try:
        cat = problems.category(s, service_code)
    except CcgridError as exc:
        return _errors(404, exc.message)
    return {"service_code": cat["code"], "attributes": []}


# Anyone may read these: the location is rounded to ~100 m and the agency responsible is the 街道 (or the district)
# the report was routed to, not a person (layers/ledger/open311.py). The reporter's address string is left out: it
# may be a home.
MAX_REQUEST_IDS = 100  # service_request_id=1,2,… lists at most this many


def _request_json(r: Any) -> dict[str, Any]:
    return {
        "service_request_id": str(r.id),
        "status": "closed" if r.status in ("closed", "rejected") else "open",
        "status_notes": r.status_name,
        "service_name": r.category_name,
        "service_code": r.category_code,
        "description": r.description,
        "agency_responsible": r.agency,
        "service_notice": f"处置时限 {_iso(r.due_at)}" if r.due_at else None,
        "requested_datetime": _iso(r.reported_at),
        "updated_datetime": _iso(r.updated_at),
        "expected_datetime": _iso(r.due_at),
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": r.lat,
        "long": r.lon,
        "media_url": None,
    }


@router.post("/requests.json", summary="Open311: submit a report (form fields per GeoReport v2)",
             response_model=list[Open311Receipt])
def create_request(
    s: DbSession,
    api_key: str | None = Form(None),
    service_code: str | None = Form(None),
    lat: float | None = Form(None),
    long: float | None = Form(None),  # noqa: A002 - the spec's name
    address_string: str | None = Form(None),
    description: str | None = Form(None),
    email: str | None = Form(None),
    first_name: str | None = Form(None),
    last_name: str | None = Form(None),
    phone: str | None = Form(None),
    device_id: str | None = Form(None),
    jurisdiction_id: str | None = Form(None),
) -> Any:
    if not api_key:
        return _errors(403, "api_key is required to submit a request")
    if not service_code:
        return _errors(400, "service_code is required")
    if lat is None or long is None:
        return _errors(400, "lat and long are required (address-only requests cannot be routed)")
    try:
        principal = principal_for(s, api_key)
        if not principal.can("report"):
            return _errors(403, "this api_key may not submit requests")
        reporter = " ".join(x for x in (last_name, first_name) if x) or None
        pid = problems.intake(
            s,
            problems.Report(category=service_code, source="public", lon=long, lat=lat,
                            description=(description or "")[: problems.MAX_DESCRIPTION],
                            address=address_string, reporter=reporter,
                            reporter_contact=phone or email),
            caller=principal.caller,
        )
        due = open311.due_at(s, pid)
    except CcgridError as exc:
        s.rollback()  # answered, not raised: nothing of a refused request may be committed with the request
        if exc.status == 429:  # failed api_keys are throttled like every other credential (api.auth)
            return JSONResponse([{"code": 429, "description": str(exc)}], status_code=429,
                                headers={"Retry-After": str(exc.retry_after)})
        return _errors(403 if exc.status in (401, 403) else 400, str(exc))
    return [{"service_request_id": str(pid), "service_notice": "已受理，将按责任网格派遣处置",
             "account_id": None, "expected_datetime": _iso(due)}]


@router.get("/requests.json", summary="Open311: search requests (default: the last 90 days)",
            response_model=list[Open311Request])
def list_requests(
    s: DbSession,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: CityDatetime | None = None,
    end_date: CityDatetime | None = None,
    status: str | None = Query(None, description="open, closed, or both comma-separated"),
    jurisdiction_id: str | None = None,
) -> Any:
    if service_request_id:
        try:
            ids = [int(x) for x in service_request_id.split(",") if x.strip()]
        except ValueError:
            return _errors(400, "service_request_id must be numbers separated by commas")
        if len(ids) > MAX_REQUEST_IDS:
            return _errors(400, f"service_request_id lists at most {MAX_REQUEST_IDS} ids")
        if any(not 0 < i <= 2**62 for i in ids):
            return _errors(400, "service_request_id must be positive problem ids")
        return [_request_json(r) for r in open311.requests_by_id(s, ids)]
    end = end_date or datetime.now(UTC)
    start = start_date or end - timedelta(days=90)
    if end - start > timedelta(days=90):
        return _errors(400, "start_date and end_date may span at most 90 days")
    wanted = {x.strip() for x in status.split(",")} if status else {"open", "closed"}
    if not wanted <= {"open", "closed"}:
        return _errors(400, "status is open or closed")
    codes = [c.strip() for c in service_code.split(",")] if service_code else None
    rows = open311.requests_between(s, start, end, codes=codes, status=wanted.pop() if len(wanted) == 1 else None)
    return [_request_json(r) for r in rows]


@router.get("/requests/{request_id}.json", summary="Open311: one request", response_model=list[Open311Request])
def get_request(s: DbSession, request_id: str, jurisdiction_id: str | None = None) -> Any:
    # isdigit() alone takes "¹" and "٣", which int() then refuses (a 500 the fuzzer found).
    if not (request_id.isascii() and request_id.isdigit()) or int(request_id) > 2**62:
        return _errors(404, f"request {request_id} not found")
    row = open311.request(s, int(request_id))
    if row is None:
        return _errors(404, f"request {request_id} not found")
    return [_request_json(row)]
