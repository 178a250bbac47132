"""Handover (工作交接): everything one person or unit holds passes to another on a day, optionally with the open
problems owned through it; a dry run answers what would move and writes nothing.

It is the registry's own writes (end the old term, open the new one, move the problems) run in a savepoint, so a
preview is the real outcome, refusals included, rolled back.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.sql import load
from layers.access.caller import Caller
from layers.registry import assignments as a
from layers.registry.people import role as get_role


def _held(session: Session, holder: a.Holder, *, on: date, caller: Caller, layer: str | None,
          feature_ids: list[int] | None, role: str | None) -> list[dict[str, Any]]:
    rows = session.execute(text(load(__file__, "handover_current")),
                           {"on": on, "pid": holder.person_id, "uid": holder.unit_id, "s": caller.scope,
                            "layer": layer, "ids": feature_ids, "role": role}).mappings()
    return [dict(r) for r in rows]


def _check_holders(old: a.Holder, new: a.Holder) -> None:
    if (old.person_id is None) == (old.unit_id is None):
        raise InvalidInput("name the old holder: from_person_id or from_unit_id", field="from_person_id")
    if (new.person_id is None) == (new.unit_id is None):
        raise InvalidInput("name the new holder: to_person_id or to_unit_id", field="to_person_id")
    if old == new:
        raise InvalidInput("the new holder is the old one", field="to_person_id")


def handover(
    session: Session,
    *,
    old: a.Holder,
    new: a.Holder,
    caller: Caller,
    on: date | None = None,
    layer: str | None = None,
    feature_ids: list[int] | None = None,
    role: str | None = None,
    move_open_problems: bool = False,
    note: str | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Close each assignment `old` holds on `on` (narrowed to a layer, features or role) and open the same place
    and role for `new` from that day, for the rest of the term (its end date, if any). All or nothing."""
    _check_holders(old, new)
    on = on or a.today(session)
    a._check_day(on, "on")
    a._check_note(note)
    role_code = get_role(session, role)["code"] if role else None
    places = _held(session, old, on=on, caller=caller, layer=layer, feature_ids=feature_ids, role=role_code)
    if not places:
        raise InvalidInput(f"the old holder holds nothing here on {on}", field="from_person_id")
    problems = [dict(r) for r in session.execute(text(load(__file__, "handover_problems")),
                                                 {"ids": [p["id"] for p in places]}).mappings()]
    savepoint = session.begin_nested()
    try:
        created, moved = _move(session, places, new, on=on, note=note, caller=caller,
                               move_open_problems=move_open_problems)
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()  # the preview is the real outcome, undone
    else:
        savepoint.commit()
    return {"dry_run": dry_run, "on": on, "places": places,
            "problems": problems if move_open_problems else [], "staying_problems": [] if move_open_problems
            else problems, "ended": [p["id"] for p in places], "created": created, "moved_problems": moved}


def _move(session: Session, places: list[dict[str, Any]], new: a.Holder, *, on: date, note: str | None,
          caller: Caller, move_open_problems: bool) -> tuple[list[int], list[int]]:
    # Same role, layer, term end and named street: one assign call (and one lock and audit line) per group.
    groups: dict[tuple, list[int]] = defaultdict(list)
    for p in places:
        a.end(session, p["id"], on=on, caller=caller)
        groups[(p["role"], p["layer"], p["valid_to"], p["street_group"])].append(p["feature_id"])
    created: list[int] = []
    for (role, layer, valid_to, group), ids in groups.items():
        done = a.assign(session, role=role, layer=layer, feature_ids=ids, holder=new, valid_from=on,
                        valid_to=valid_to, note=note or "交接", street_group=group, caller=caller)
        created += done.created
    moved = a._move_open_problems(session, [p["id"] for p in places], caller.actor) if move_open_problems else []
    return created, moved
