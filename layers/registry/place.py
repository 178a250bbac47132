"""One place as an office reads it (the place page, the owners map's panel): the coverage rules it falls under and
how it meets each today (missing roles, several primary owners), the roles that may own it, its open problems.
Owners today and the history come from layers.registry.assignments."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.sql import load
from layers.registry.assignments import today
from layers.registry.people import roles

PLACE_LAYERS = ("streets", "assessment_points", "grid_cells")


def rule_status(session: Session, layer: str, feature_id: int, *, on: date | None = None) -> list[dict[str, Any]]:
    """Each coverage rule of the place with `state`: ok, missing (nobody holds the role family) or several (more
    than one primary holder: refused by an exclusive rule, 交叉 otherwise)."""
    rows = session.execute(text(load(__file__, "place_rules")),
                           {"layer": layer, "id": feature_id, "on": on or today(session)}).mappings()
    out = []
    for r in rows:
        row = dict(r)
        row["state"] = "missing" if not row["holders"] else "several" if row["primary_holders"] > 1 else "ok"
        out.append(row)
    return out


def open_problems(session: Session, layer: str, feature_ids: list[int], *, limit: int = 50) -> list[dict[str, Any]]:
    rows = session.execute(text(load(__file__, "place_problems")),
                           {"layer": layer, "ids": feature_ids, "limit": limit}).mappings()
    return [dict(r) for r in rows]


def roles_for(session: Session, layer: str) -> list[dict[str, Any]]:
    """The owner roles that may own places of this layer, in the ladder's order."""
    return [r for r in roles(session) if layer in r["layers"]]


def street_segments(session: Session, name: str | None, *, scope: str | None) -> int:
    """How many segments a named street has in the caller's region (what "the whole street" would assign)."""
    if not name:
        return 0
    return session.execute(text("SELECT count(*) FROM streets WHERE name = :n AND region_code LIKE :r || '%'"),
                           {"n": name, "r": scope or ""}).scalar_one()
