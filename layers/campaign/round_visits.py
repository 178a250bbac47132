"""A checklist visit that counts for a 测评 round: the field app's visit (layers/ledger/inspections.py) naming the
round. The round must be in progress and the point in its sample; the visit is filed under the round's kind, so
its failed items become problems of that source (模拟测评, 暗访, 双月测评). A second visit of a point in the same
round replaces the first in the round's results (the view assessment_round_visits keeps the latest)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import Conflict, Forbidden, InvalidInput
from layers.access.caller import Caller
from layers.campaign import rounds
from layers.ledger import inspections


def may_visit(caller: Caller) -> bool:
    """Who records a round's visits: its inspectors and those who run rounds, never the people whose places are
    assessed (a street chief scoring their own street)."""
    return caller.role == "inspector" or caller.can("run_rounds")


def visit(session: Session, *, point_id: int, inspector: str, results: dict[str, bool], caller: Caller,
          kind: str | None = None, round_id: int | None = None, notes: dict[str, str] | None = None,
          visited_at: datetime | None = None) -> dict[str, Any]:
    """Score a point on its checklist, for a round when `round_id` is given (kind then defaults to the round's)."""
    if round_id is None:
        return {**inspections.visit(session, point_id=point_id, kind=kind or "mystery", inspector=inspector,
                                    results=results, notes=notes, visited_at=visited_at, caller=caller),
                "round_id": None}
    if not may_visit(caller):
        raise Forbidden("only inspectors and the offices that run rounds record a round's visits", field="round_id")
    inspections.point_in_scope(session, point_id, caller)
    # Shared: a round is not closed under a visit being written (close takes the row FOR UPDATE).
    session.execute(text("SELECT 1 FROM assessment_rounds WHERE id = :r FOR SHARE"), {"r": round_id})
    r = rounds.get(session, caller, round_id)
    if r["state"] != "in_progress":
        raise Conflict(f"round {round_id} is {r['state_name']}: visits count only while it is in progress",
                       field="round_id")
    if kind is not None and kind != r["kind"]:
        raise InvalidInput(f"round {round_id} is a {r['kind']} ({r['kind_name']}) round; kind {kind!r} does not "
                           "match", field="kind")
    sampled = session.execute(text("SELECT 1 FROM assessment_round_points WHERE round_id = :r AND point_id = :p"),
                              {"r": round_id, "p": point_id}).first()
    if sampled is None:
        raise InvalidInput(f"assessment point {point_id} is not in the sample of round {round_id}", field="round_id")
    answer = inspections.visit(session, point_id=point_id, kind=r["kind"], inspector=inspector, results=results,
                               notes=notes, visited_at=visited_at, caller=caller, round_id=round_id)
    return {**answer, "round_id": round_id}


def rounds_of_point(session: Session, caller: Caller, point_id: int) -> list[dict[str, Any]]:
    """The rounds in progress (seen by the caller) whose sample holds the point, the caller's own first: what the
    visit page offers to count the visit for (nothing to those who may not record a round's visits)."""
    if not may_visit(caller):
        return []
    rows = session.execute(text("""
        SELECT r.id, r.name, r.kind, r.period, rp.assignee_user_id = CAST(:u AS integer) AS mine
        FROM assessment_round_points rp JOIN assessment_rounds r ON r.id = rp.round_id AND r.state = 'in_progress'
        WHERE rp.point_id = :p
          AND (r.scope_code IS NULL OR starts_with(r.scope_code, :cs) OR starts_with(:cs, r.scope_code))
        ORDER BY coalesce(rp.assignee_user_id = CAST(:u AS integer), false) DESC, r.period_start DESC, r.id DESC"""),
        {"p": point_id, "u": caller.user_id, "cs": caller.scope or ""}).mappings()
    return [{**dict(x), "kind_name": rounds.KINDS[x["kind"]], "mine": bool(x["mine"])} for x in rows]
