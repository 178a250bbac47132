"""One problem as its page shows it, beyond what GET /problems/{id} answers: where it lies (region names and the
shapes it was routed to), its timeline with the names of who acted and whom it was dispatched to, its photos, the
deadline on the working-day calendar, and the actions the caller may take now with what each one needs.

Every read is limited to the caller's region: a problem outside it is a NotFound, as in the API.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import NotFound
from gis.sql import load
from layers.access.caller import Caller
from layers.ledger import lifecycle, photos
from layers.ledger.calendar import TZ, WorkCalendar


def place(session: Session, pid: int, *, caller: Caller) -> dict[str, Any]:
    """Region names and the GeoJSON of the problem's point, grid cell, street segment and assessment point."""
    row = session.execute(text(load(__file__, "problem_place")), {"i": pid, "s": caller.scope}).mappings()
    found = row.one_or_none()
    if found is None:
        raise NotFound(f"problem {pid} not found", field="id")
    out = dict(found)
    for key in ("point_geojson", "cell_geojson", "street_geojson", "point_place_geojson"):
        out[key] = json.loads(out[key]) if out[key] else None
    return out


def timeline(session: Session, pid: int, *, caller: Caller) -> list[dict[str, Any]]:
    """Every event of the problem, oldest first, with the acting account's and the assignee's names."""
    rows = session.execute(text(load(__file__, "problem_timeline")), {"i": pid, "s": caller.scope}).mappings()
    return [dict(r) for r in rows]


def photo_list(session: Session, pid: int, *, caller: Caller) -> list[dict[str, Any]]:
    """The problem's photos, oldest first, each with its evidence flags and their names (`flag_names`)."""
    rows = session.execute(text(load(__file__, "problem_photo_list")), {"i": pid, "s": caller.scope}).mappings()
    return [{**r, "flags": list(r["flags"] or ()), "flag_names": photos.flag_names(r["flags"])} for r in rows]


def current_assignee(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Whom the latest 派遣 dispatched to (None when it named nobody, or there was none)."""
    for e in reversed(events):
        if e["to_status"] == "dispatched":
            if e["assignee_person_id"] is not None:
                return {"kind": "person", "id": e["assignee_person_id"], "name": e["assignee_person_name"]}
            if e["assignee_unit_id"] is not None:
                return {"kind": "unit", "id": e["assignee_unit_id"], "name": e["assignee_unit_name"]}
            return None
    return None


def deadline(session: Session, due_at: datetime | None, *, final: bool, closed_at: datetime | None = None,
             now: datetime | None = None) -> dict[str, Any] | None:
    """The deadline on the working-day calendar: working days left until it, or overdue by (0 on its own day).
    Once the problem is final, whether it was closed in time."""
    if due_at is None:
        return None
    now = now or session.execute(text("SELECT now()")).scalar_one()
    cal = WorkCalendar.load(session)
    if final:
        late = closed_at is not None and closed_at > due_at
        return {"due_at": due_at, "state": "late" if late else "done", "days": None}
    today, due_day = now.astimezone(TZ).date(), due_at.astimezone(TZ).date()
    if now > due_at:
        return {"due_at": due_at, "state": "overdue", "days": cal.working_days_between(due_day, today)}
    return {"due_at": due_at, "state": "open", "days": cal.working_days_between(today, due_day)}


def actions(session: Session, pid: int, status: str, *, caller: Caller, due_at: datetime | None,
            now: datetime | None = None) -> list[dict[str, Any]]:
    """The actions the caller may take now (from problem_transitions, for the caller's role) with what each needs;
    延期 carries its limit; 核查通过 carries `blocked` (why not) for whoever marked it rectified, when the category
    needs another verifier. None for a caller who may not handle problems (a viewer)."""
    if not caller.can("handle_problems"):
        return []
    found = lifecycle.allowed_actions(session, status, caller.role)
    if not found:
        return found
    limit = session.execute(text("SELECT c.max_extension_days FROM problems p JOIN problem_categories c "
                                 "ON c.code = p.category_code WHERE p.id = :i"), {"i": pid}).scalar()
    now = now or session.execute(text("SELECT now()")).scalar_one()
    names = dict(session.execute(text("SELECT code, name FROM problem_statuses")).all())
    for a in found:
        a["to_status_name"] = names.get(a["to_status"], a["to_status"])
        if a["action"] == "延期" and limit:
            a["max_extension_days"] = limit
            a["latest_due_at"] = lifecycle.latest_extension(WorkCalendar.load(session), due_at, now, limit)
        a["new_photo"] = a["needs_photo"] and a["to_status"] in lifecycle.REINSPECTION_STATUSES
        if a["to_status"] == "verified" and lifecycle.own_rectification(session, pid, caller):
            a["blocked"] = "整改完成由您办理，本类问题须由他人核查"
    return found
