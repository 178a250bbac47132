"""The city's 易失分 (easy_loss: loses marks often) and 易反弹 (relapse: slides back after a fix) points: a round that
says so always samples them. Flagged and unflagged by whoever runs rounds, for points in their region; audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput, NotFound
from layers.access.caller import Caller
from layers.common.audit import record
from layers.ledger import inspections

KINDS = {"easy_loss": "易失分", "relapse": "易反弹"}


def listing(session: Session, caller: Caller, *, point_id: int | None = None,
            limit: int = 5000) -> list[dict[str, Any]]:
    rows = session.execute(text("""
        SELECT w.point_id, a.name, a.code, a.point_type, a.region_code, g.name AS region_name, w.kind, w.note,
               w.created_by, w.created_at
        FROM weak_points w JOIN assessment_points a ON a.id = w.point_id
        LEFT JOIN regions g ON g.code = a.region_code
        WHERE starts_with(coalesce(a.region_code, ''), :cs) AND (CAST(:p AS integer) IS NULL OR w.point_id = :p)
        ORDER BY a.region_code, a.point_type, a.name LIMIT :l"""),
        {"cs": caller.scope or "", "p": point_id, "l": limit}).mappings()
    return [{**dict(x), "kind_name": KINDS[x["kind"]]} for x in rows]


def flag(session: Session, caller: Caller, point_id: int, *, kind: str = "easy_loss",
         note: str | None = None) -> dict[str, Any]:
    """Flag a point (again: its kind and note change)."""
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
    if note is not None and len(note) > 1000:
        raise InvalidInput("note: at most 1000 characters", field="note")
    inspections.point_in_scope(session, point_id, caller)
    session.execute(text("""
        INSERT INTO weak_points (point_id, kind, note, created_by) VALUES (:p, :k, :n, :a)
        ON CONFLICT (point_id) DO UPDATE SET kind = EXCLUDED.kind, note = EXCLUDED.note"""),
        {"p": point_id, "k": kind, "n": note or None, "a": caller.actor})
    record(session, caller.actor, "flag", "weak_points", point_id, {"kind": kind, "note": note})
    return listing(session, caller, point_id=point_id)[0]


def unflag(session: Session, caller: Caller, point_id: int) -> None:
    inspections.point_in_scope(session, point_id, caller)
    gone = session.execute(text("DELETE FROM weak_points WHERE point_id = :p"), {"p": point_id}).rowcount
    if not gone:
        raise NotFound(f"assessment point {point_id} is not flagged", field="point_id")
    record(session, caller.actor, "unflag", "weak_points", point_id, {})
