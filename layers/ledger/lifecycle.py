"""The rectification lifecycle: 上报 → 立案 → 派遣 → 整改中 → 已整改 → 核查通过 → 销号, with 退回, 延期 and 不予立案.

Which action is allowed from which state, and for which access role, is data (`problem_transitions`). Every
transition appends one `problem_events` row. The deadline clock starts at 派遣 and counts working time.

核查通过 is refused to whoever did the latest 整改完成 when the category says its verifier must differ
(`problem_categories.verifier_must_differ`, the default): the same account (or token, or the person behind two
accounts) may not certify its own rectification. 退回 by them stays allowed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import Conflict, Forbidden, InvalidInput, NotFound
from layers.access.caller import Caller
from layers.ledger import photos
from layers.ledger.calendar import WorkCalendar

# Steps that certify the rectification: their photo must be a new one (layers/ledger/photos.py).
REINSPECTION_STATUSES = ("verified", "closed")


def _problem(session: Session, pid: int, scope: str | None) -> dict[str, Any]:
    row = session.execute(
        text("SELECT p.*, c.deadline_amount, c.deadline_unit, c.max_extension_days FROM problems p "
             "JOIN problem_categories c ON c.code = p.category_code WHERE p.id = :i FOR UPDATE OF p"),
        {"i": pid},
    ).mappings().one_or_none()
    if row is None or (scope and not (row["region_code"] or "").startswith(scope)):
        raise NotFound(f"problem {pid} not found", field="id")
    return dict(row)


def latest_extension(calendar: WorkCalendar, due_at: datetime | None, now: datetime, days: int) -> datetime:
    """The latest due date a 延期 may set: `days` working days after the current deadline (or now, if that is
    later or there is none)."""
    base = max(due_at, now) if due_at is not None else now
    return calendar.add(base, days, "days")


def _check_extension(session: Session, p: dict[str, Any], due_at: datetime | None, now: datetime) -> None:
    """A 延期 moves the deadline later, by at most the category's `max_extension_days` working days (counted from
    the current deadline, or from now when there is none): a far date would take the problem out of every 超期
    count."""
    if due_at is None:
        raise InvalidInput("延期 needs the new due date", field="due_at")
    if p["due_at"] is not None and due_at <= p["due_at"]:
        raise InvalidInput(f"the new due date must be after {p['due_at']}", field="due_at")
    latest = latest_extension(WorkCalendar.load(session), p["due_at"], now, p["max_extension_days"])
    if due_at > latest:
        raise InvalidInput(f"an extension may add at most {p['max_extension_days']} working days: "
                           f"the new due date must be on or before {latest:%Y-%m-%d %H:%M}", field="due_at")


def _assignee(session: Session, caller: Caller, to_status: str, person_id: int | None,
              unit_id: int | None) -> dict[str, int | None]:
    """Whom a 派遣 dispatches to: one active person or unit of the caller's region (usually one of the place's
    owners; the office may choose anyone it covers). Only a dispatch names one."""
    if person_id is None and unit_id is None:
        return {}
    field = "assignee_person_id" if person_id is not None else "assignee_unit_id"
    if to_status != "dispatched":
        raise InvalidInput("only 派遣 names an assignee", field=field)
    if person_id is not None and unit_id is not None:
        raise InvalidInput("dispatch to a person or to a unit, not both", field="assignee_unit_id")
    table, key, what = ("people", person_id, "person") if person_id is not None else ("units", unit_id, "unit")
    row = session.execute(text(f"SELECT region_code, active FROM {table} WHERE id = :i"), {"i": key}).one_or_none()
    if row is None or not caller.covers(row.region_code):
        raise InvalidInput(f"{what} {key} not found", field=field)
    if not row.active:
        raise InvalidInput(f"{what} {key} is inactive; dispatch to someone in post", field=field)
    return {"assignee_person_id": person_id, "assignee_unit_id": unit_id}


def allowed_actions(session: Session, status: str, role: str | None = None) -> list[dict[str, Any]]:
    rows = session.execute(
        text("SELECT action, to_status, needs_photo, needs_note, allowed_roles FROM problem_transitions "
             "WHERE from_status = :s AND (CAST(:r AS text) IS NULL OR :r = ANY(allowed_roles)) ORDER BY action"),
        {"s": status, "r": role},
    ).mappings()
    return [dict(r) for r in rows]


def transition(
    session: Session,
    pid: int,
    action: str,
    *,
    caller: Caller,
    note: str | None = None,
    photo_id: int | None = None,
    due_at: datetime | None = None,
    assignee_person_id: int | None = None,
    assignee_unit_id: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Apply one action (立案, 派遣, 整改完成, 核查通过, 销号, 退回, 延期, 不予立案 …) to a problem. A 派遣 may name
    the person or unit it dispatches to (recorded in its event)."""
    role, actor = caller.role, caller.actor
    p = _problem(session, pid, caller.scope)
    if p["duplicate_of"] is not None:
        raise Conflict(f"problem {pid} is a duplicate of {p['duplicate_of']}; act on that one", field="id")
    t = session.execute(
        text("SELECT * FROM problem_transitions WHERE from_status = :s AND action = :a"),
        {"s": p["status"], "a": action},
    ).mappings().one_or_none()
    status_name = session.execute(text("SELECT name FROM problem_statuses WHERE code = :s"), {"s": p["status"]})
    if t is None:
        options = "、".join(a["action"] for a in allowed_actions(session, p["status"])) or "none (final)"
        raise Conflict(f"cannot {action} a problem in state {status_name.scalar()}; allowed: {options}",
                       field="action")
    if role not in t["allowed_roles"]:
        raise Forbidden(f"role {role} may not {action}", field="action")
    if t["to_status"] == "verified" and (rectifier := own_rectification(session, pid, caller)):
        raise Forbidden(f"{action} must be done by someone other than who marked it rectified (整改完成 by "
                        f"{rectifier}): this category needs another verifier", field="action")
    if t["needs_note"] and not (note or "").strip():
        raise InvalidInput(f"{action} needs a reason", field="note")
    if t["needs_photo"] and photo_id is None:
        raise InvalidInput(f"{action} needs a photo (upload it first)", field="photo_id")
    if photo_id is not None and t["to_status"] in REINSPECTION_STATUSES:
        photos.require_new(session, pid, photo_id, caller=caller, action=action)
    elif photo_id is not None and not session.execute(
        text("SELECT 1 FROM problem_photos WHERE id = :f AND problem_id = :p"), {"f": photo_id, "p": pid}
    ).scalar():
        raise InvalidInput(f"photo {photo_id} does not belong to problem {pid}", field="photo_id")
    assignee = _assignee(session, caller, t["to_status"], assignee_person_id, assignee_unit_id)

    now = now or session.execute(text("SELECT now()")).scalar_one()
    changes: dict[str, Any] = {"status": t["to_status"]}
    if t["to_status"] == "dispatched":
        changes["dispatched_at"] = now
        changes["due_at"] = WorkCalendar.load(session).add(now, p["deadline_amount"] or 5, p["deadline_unit"] or "days")
    if action == "延期":
        _check_extension(session, p, due_at, now)
        changes["due_at"] = due_at
        changes["extension_count"] = p["extension_count"] + 1
    if action == "退回":
        changes["rework_count"] = p["rework_count"] + 1
    if t["to_status"] == "closed":
        _require_reinspection_photo(session, pid, action)
    if t["to_status"] in ("closed", "rejected"):
        changes["closed_at"] = now
    sets = ", ".join(f"{k} = :{k}" for k in changes)
    session.execute(text(f"UPDATE problems SET {sets}, updated_at = now() WHERE id = :id"), {**changes, "id": pid})
    if t["to_status"] in ("closed", "rejected"):
        # Linked duplicates are settled with their master.
        session.execute(text("UPDATE problems SET status = :s, closed_at = :n WHERE duplicate_of = :p"),
                        {"s": t["to_status"], "n": now, "p": pid})
    _record(session, pid, {"at": now, "actor": actor, "action": action, "f": p["status"], "t": t["to_status"],
                           "note": note, "photo": photo_id, "due": changes.get("due_at"), **assignee})
    return {"id": pid, "from": p["status"], "to": t["to_status"], **assignee,
            **{k: v for k, v in changes.items() if k != "status"}}


def own_rectification(session: Session, pid: int, caller: Caller) -> str | None:
    """Who did the latest 整改完成, when that is the caller and the category needs another verifier; else None.
    The same caller: the same account, token or actor (names in `actor` may change: compared by the part before
    the label), or an account of the same person."""
    return session.execute(text("""
        SELECT e.actor FROM problems p
        JOIN problem_categories c ON c.code = p.category_code AND c.verifier_must_differ
        JOIN LATERAL (SELECT e.actor, e.actor_user_id, e.actor_person_id FROM problem_events e
                      WHERE e.problem_id = p.id AND e.to_status = 'rectified' ORDER BY e.id DESC LIMIT 1) e ON true
        WHERE p.id = :p
          AND (split_part(e.actor, ' ', 1) = split_part(:actor, ' ', 1)
               OR e.actor_user_id = CAST(:uid AS integer)
               OR e.actor_person_id = (SELECT u.person_id FROM users u WHERE u.id = CAST(:uid AS integer)))"""),
        {"p": pid, "actor": caller.actor, "uid": caller.user_id}).scalar()


def _record(session: Session, pid: int, event: dict[str, Any]) -> None:
    """The transition's problem_events row (append-only: the problem's history)."""
    session.execute(
        text("INSERT INTO problem_events (problem_id, at, actor, action, from_status, to_status, note, photo_id, "
             "due_at, assignee_person_id, assignee_unit_id) "
             "VALUES (:p, :at, :actor, :action, :f, :t, :note, :photo, :due, :person, :unit)"),
        {"p": pid, "person": event.pop("assignee_person_id", None), "unit": event.pop("assignee_unit_id", None),
         **event})


def _require_reinspection_photo(session: Session, pid: int, action: str) -> None:
    """销号 stands on the re-inspection that led to it: its photo must exist and be like no earlier photo (events
    written by other paths than transition() are checked too)."""
    verified_photo = session.execute(
        text("SELECT photo_id FROM problem_events WHERE problem_id = :p AND to_status = 'verified' "
             "ORDER BY id DESC LIMIT 1"), {"p": pid}).scalar()
    if verified_photo is None:
        raise InvalidInput("销号 needs a re-inspection (核查通过) with a photo", field="action")
    photos.require_unlike_earlier(session, pid, verified_photo, action=action)
