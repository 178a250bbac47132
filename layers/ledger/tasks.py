"""My tasks for the field app: the open problems a person (and their unit) must act on, soonest deadline first,
with the lifecycle actions the caller's role may take on each now."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.sql import load
from layers.access.caller import Caller
from layers.ledger.filters import flag_params
from layers.ledger.lifecycle import allowed_actions

MAX_TASKS = 500


def my_tasks(session: Session, person_id: int | None, *, caller: Caller, limit: int = MAX_TASKS,
             overdue: bool | None = None, status: list[str] | None = None,
             category: list[str] | None = None) -> dict[str, Any]:
    """The person's open tasks; `open`/`overdue` count them all, `tasks` lists those the filters keep."""
    if person_id is None:
        return {"person_id": None, "tasks": [], "open": 0, "overdue": 0}
    rows = [dict(r) for r in session.execute(text(load(__file__, "my_tasks")), {
        "pid": person_id, "scope": caller.scope, "limit": min(limit, MAX_TASKS),
        **flag_params(session)}).mappings()]
    actions: dict[str, list[dict[str, Any]]] = {}
    for r in rows:  # a handful of statuses: their actions read once each
        if r["status"] not in actions:
            actions[r["status"]] = [{"action": a["action"], "needs_photo": a["needs_photo"],
                                     "needs_note": a["needs_note"]}
                                    for a in allowed_actions(session, r["status"], caller.role)]
        r["actions"] = actions[r["status"]]
        r["photo_ids"] = list(r["photo_ids"])
    kept = [r for r in rows if (overdue is None or bool(r["overdue"]) == overdue)
            and (not status or r["status"] in status)
            and (not category or r["category_code"] in category or r["category_code"][:2] in category)]
    return {"person_id": person_id, "tasks": kept, "open": len(rows),
            "overdue": sum(1 for r in rows if r["overdue"])}
