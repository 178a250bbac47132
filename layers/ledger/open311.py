"""Open311 GeoReport v2 reading: the services (small categories) and requests as a city publishes them.

The HTTP side (api/routers/open311.py) checks the parameters and writes the spec's JSON; the queries are here. A
request shows no people: a coarse location (~100 m) and the 街道 (or district) it was routed to as the agency.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

COARSE_DECIMALS = 3  # ~100 m

_SERVICES_SQL = text(
    "SELECT c.code, c.name, p.name AS grp, c.deadline_amount, c.deadline_unit FROM problem_categories c "
    "JOIN problem_categories p ON p.code = c.parent_code WHERE c.active ORDER BY c.code")

# One query for any number of requests: the spec's fields. The WHERE clause is chosen from the fixed fragments
# below (never from request text): an id list, or a time window with optional codes and open/closed.
_REQUESTS_SQL = f"""
    SELECT p.id, p.status, st.name AS status_name, c.name AS category_name, p.category_code, p.description,
           p.reported_at, p.updated_at, p.due_at,
           round(ST_X(p.geom)::numeric, {COARSE_DECIMALS})::float AS lon,
           round(ST_Y(p.geom)::numeric, {COARSE_DECIMALS})::float AS lat,
           coalesce(sd.name, d.name) AS agency
    FROM problems p JOIN problem_statuses st ON st.code = p.status
    JOIN problem_categories c ON c.code = p.category_code
    LEFT JOIN regions sd ON sd.code = left(p.region_code, 9) AND length(p.region_code) >= 9
    LEFT JOIN regions d ON d.code = p.district_code
"""
MAX_ROWS = 1000


def services(session: Session) -> list[dict[str, Any]]:
    """Active small categories with their big class (the service group) and deadline."""
    return [dict(r) for r in session.execute(_SERVICES_SQL).mappings()]


def requests_by_id(session: Session, ids: Sequence[int]) -> list[Row]:
    return list(session.execute(text(f"{_REQUESTS_SQL} WHERE p.id = ANY(:ids) ORDER BY p.id DESC LIMIT {MAX_ROWS}"),
                                {"ids": list(ids)}))


def requests_between(session: Session, start: datetime, end: datetime, *, codes: Sequence[str] | None = None,
                     status: str | None = None) -> list[Row]:
    """First reports (not duplicates) in [start, end], newest first; status is 'open', 'closed' or None (both)."""
    where = ["p.duplicate_of IS NULL", "p.reported_at >= :start", "p.reported_at <= :end"]
    params: dict[str, Any] = {"start": start, "end": end}
    if codes:
        where.append("p.category_code = ANY(:codes)")
        params["codes"] = list(codes)
    if status == "open":
        where.append("p.status NOT IN ('closed', 'rejected')")
    elif status == "closed":
        where.append("p.status IN ('closed', 'rejected')")
    sql = f"{_REQUESTS_SQL} WHERE {' AND '.join(where)} ORDER BY p.id DESC LIMIT {MAX_ROWS}"
    return list(session.execute(text(sql), params))


def request(session: Session, request_id: int) -> Row | None:
    return session.execute(text(f"{_REQUESTS_SQL} WHERE p.id = :i"), {"i": request_id}).one_or_none()


def due_at(session: Session, problem_id: int) -> datetime | None:
    """The deadline intake gave a report (for the submit receipt's expected_datetime)."""
    return session.execute(text("SELECT due_at FROM problems WHERE id = :i"), {"i": problem_id}).scalar()
