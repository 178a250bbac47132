"""Who changed what: one append-only row per write (per feature, or per bulk operation)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

# One audit line. The template takes SQL for each value: bound parameters here, variables in the intake function.
INSERT_TEMPLATE = ("INSERT INTO audit_log (actor, action, entity, entity_id, detail) "
                   "VALUES ({actor}, {action}, {entity}, {eid}, CAST({detail} AS jsonb))")
INSERT_SQL = INSERT_TEMPLATE.format(actor=":actor", action=":action", entity=":entity", eid=":eid", detail=":detail")


def record(
    session: Session, actor: str, action: str, entity: str, entity_id: Any, detail: dict[str, Any] | None = None
) -> None:
    session.execute(
        text(INSERT_SQL),
        {
            "actor": actor,
            "action": action,
            "entity": entity,
            "eid": None if entity_id is None else str(entity_id),
            "detail": json.dumps(detail or {}, ensure_ascii=False, default=str),
        },
    )


def entries(session: Session, entity: str | None = None, entity_id: Any = None, limit: int = 100) -> list[dict]:
    rows = (
        session.execute(
            text(
                "SELECT id, at, actor, action, entity, entity_id, detail FROM audit_log "
                "WHERE (CAST(:entity AS text) IS NULL OR entity = :entity) "
                "AND (CAST(:eid AS text) IS NULL OR entity_id = :eid) ORDER BY id DESC LIMIT :limit"
            ),
            {"entity": entity, "eid": None if entity_id is None else str(entity_id), "limit": limit},
        )
        .mappings()
        .all()
    )
    return [dict(r) for r in rows]
