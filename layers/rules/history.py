"""Who changed which rule, when, from what to what: the audit lines the rule writes recorded, newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.sql import load
from layers.rules.edit import table as table_spec
from layers.rules.tables import TABLES

CALENDAR = "work_calendar"


def changes(session: Session, *, name: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The latest edits of one rule table (`name` as the API names it, or `calendar`), or of all of them."""
    if name == "calendar":
        entities = [CALENDAR]
    elif name:
        entities = [table_spec(name).table]
    else:
        entities = [t.table for t in TABLES.values()] + [CALENDAR]
    names = {t.table: t.name for t in TABLES.values()} | {CALENDAR: "calendar"}
    found = session.execute(text(load(__file__, "changes")), {"entities": entities, "limit": limit}).mappings()
    return [{**dict(r), "table": names.get(r["entity"], r["entity"])} for r in found]
