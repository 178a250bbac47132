"""交办单: a numbered sheet (`创城交〔2026〕第37号`) to a person or a unit listing problems with deadlines, the
recipient's replies per item, and 对账销号.

A sheet is made from a selection of problems: ids picked by hand, the recipient's 督导单 (their open problems), or a
filter of the problem ledger. Its items keep only what the sheet itself decided (which problem, in which order, by
when); whether an item is 销号, overdue, replied but not verified, or open is read from the problem's state every
time the sheet is shown (sql/dispatch_items.sql), and the sheet is closed exactly when every item is 销号 — it
closes itself as the problems are verified, and nobody can close it by hand.

Who: the 创城办 issues and cancels sheets (`publish`, inside its region); the recipient (an account linked to the
person, or to a person of the unit) and staff of the sheet's region (`manage_people`) record replies, one per item
at a time, in the workbench or by importing the returned Excel (dispatch_excel.py).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import Conflict, Forbidden, InvalidInput, NotFound
from gis.sql import load
from gis.times import CITY_TZ
from layers.access.caller import Caller
from layers.campaign.notice_numbering import next_number
from layers.common.audit import record
from layers.ledger import ledgers
from layers.ledger import listing as problem_listing

MAX_ITEMS = 500
MAX_REPLY = 2000
STATES = {"closed": "已销号", "archived": "已归档", "overdue": "超期", "replied": "已回复待核查", "open": "未回复"}
DONE = ("closed", "archived")
SHEET_STATES = {"open": "对账中", "closed": "已销号", "cancelled": "已撤销"}
SOURCES = {"selection": "指定问题", "supervision": "督导单", "filter": "问题台账筛选"}
DEFAULT_TITLE = "创建全国文明城市问题整改交办单"


def _recipient(session: Session, caller: Caller, person_id: int | None, unit_id: int | None) -> dict[str, Any]:
    if (person_id is None) == (unit_id is None):
        raise InvalidInput("send the sheet to one person_id or one unit_id", field="person_id")
    field = "person_id" if person_id is not None else "unit_id"
    row = session.execute(
        text("SELECT id, name, region_code, active FROM people WHERE id = :i") if person_id is not None
        else text("SELECT id, name, region_code, active FROM units WHERE id = :i"),
        {"i": person_id if person_id is not None else unit_id}).mappings().one_or_none()
    if row is None or not caller.covers(row["region_code"]):
        raise InvalidInput(f"no such {field.removesuffix('_id')} in your region", field=field)
    if not row["active"]:
        raise InvalidInput(f"{row['name']} is no longer active", field=field)
    return dict(row)


def _deadline(value: date | None, today: date) -> datetime | None:
    """A sheet's deadline day as the instant it ends (the next midnight in the city)."""
    if value is None:
        return None
    if value < today:
        raise InvalidInput("the deadline is in the past", field="deadline")
    if value > today + timedelta(days=366):
        raise InvalidInput("the deadline is more than a year ahead", field="deadline")
    return datetime.combine(value + timedelta(days=1), time(0), tzinfo=CITY_TZ)


def _selected(session: Session, caller: Caller, *, person_id: int | None, unit_id: int | None,
              problem_ids: list[int] | None, query: problem_listing.ProblemQuery | None) -> tuple[str, list[int]]:
    """(source, problem ids): the ids given, the open problems a ledger filter finds, or the recipient's 督导单."""
    if problem_ids is not None and query is not None:
        raise InvalidInput("choose the problems one way: problem_ids, or a ledger filter", field="problem_ids")
    if problem_ids is not None:
        return "selection", list(dict.fromkeys(problem_ids))
    if query is not None:
        # A 交办单 asks for work still to do: a filter without a status means the open problems it finds.
        query = replace(query, status=query.status or "open", scope=query.scope or caller.scope)
        found = problem_listing.search(session, query, sort="due", limit=MAX_ITEMS + 1)
        return "filter", [r["id"] for r in found["items"]]
    sheet = ledgers.supervision_sheet(session, caller=caller, person_id=person_id, unit_id=unit_id,
                                      limit=MAX_ITEMS + 1)
    return "supervision", [r["id"] for r in sheet["items"]]


def create(session: Session, *, caller: Caller, person_id: int | None = None, unit_id: int | None = None,
           problem_ids: list[int] | None = None, query: problem_listing.ProblemQuery | None = None,
           query_text: str | None = None, deadline: date | None = None, title: str | None = None,
           note: str | None = None) -> dict[str, Any]:
    """A new numbered sheet to the person or unit, listing `problem_ids`, or the problems a ledger `query` finds,
    or else the recipient's 督导单. Every problem must be open and inside the caller's region."""
    if not caller.can("publish"):
        raise Forbidden("issuing a 交办单 needs the publish permission (创城办)")
    recipient = _recipient(session, caller, person_id, unit_id)
    now = session.execute(text("SELECT now()")).scalar_one()
    due = _deadline(deadline, now.astimezone(CITY_TZ).date())
    title = (title or "").strip() or DEFAULT_TITLE
    note = (note or "").strip() or None
    if len(title) > 200:
        raise InvalidInput("title is longer than 200 characters", field="title")
    if note and len(note) > 2000:
        raise InvalidInput("note is longer than 2000 characters", field="note")
    for name, value in (("title", title), ("note", note or "")):
        if any(ord(c) < 32 and c not in "\n\t" for c in value):
            raise InvalidInput(f"the {name} holds control characters", field=name)
    source, ids = _selected(session, caller, person_id=person_id, unit_id=unit_id, problem_ids=problem_ids,
                            query=query)
    if not ids:
        raise InvalidInput("no open problem to list: the selection is empty", field="problem_ids")
    if len(ids) > MAX_ITEMS:
        raise InvalidInput(f"a 交办单 lists at most {MAX_ITEMS} problems; narrow the selection", field="problem_ids")
    # overdue first, then by deadline (the SQL's order)
    rows = session.execute(text(load(__file__, "dispatch_problems")), {"ids": ids}).mappings().all()
    found = {r["id"]: r for r in rows}
    for pid in ids:
        r = found.get(pid)
        if r is None or not caller.covers(r["region_code"]):
            raise InvalidInput(f"problem {pid} is not in your region's ledger", field="problem_ids")
        if r["final"] and source == "selection":
            raise InvalidInput(f"problem {pid} is closed already (销号 or 不予立案)", field="problem_ids")
    ordered = [r for r in rows if not r["final"]]
    if not ordered:
        raise InvalidInput("no open problem to list: the selection is empty", field="problem_ids")
    number = next_number(session, "dispatch", now.astimezone(CITY_TZ).year)
    answer = session.execute(text(load(__file__, "dispatch_insert")), {
        "number": number.text, "year": number.year, "seq": number.seq, "title": title,
        "person_id": person_id, "unit_id": unit_id, "region_code": recipient["region_code"], "deadline": due,
        "note": note, "source": source,
        "source_query": json.dumps({"problem_query": query_text} if query_text else {}, ensure_ascii=False),
        "actor": caller.actor, "ids": [r["id"] for r in ordered], "reported": [r["reported_at"] for r in ordered],
        "dues": [r["due_at"] for r in ordered]}).one()
    record(session, caller.actor, "dispatch_create", "dispatch_sheets", answer.id,
           {"number": number.text, "recipient": recipient["name"], "source": source, "items": answer.items,
            "deadline": due})
    return get(session, answer.id, caller=caller)


def _my_unit(session: Session, person_id: int | None) -> int | None:
    if person_id is None:
        return None
    return session.execute(text("SELECT unit_id FROM people WHERE id = :i"), {"i": person_id}).scalar()


def _summarise(sheet: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {state: sum(1 for i in items if i["state"] == state) for state in STATES}
    done = sum(counts[s] for s in DONE)
    closed = bool(items) and done == len(items)
    state = "cancelled" if sheet["cancelled_at"] else "closed" if closed else "open"
    done_at = [i["done_at"] for i in items if i["done_at"] is not None]
    return {**sheet, "counts": counts, "total": len(items), "done": done, "state": state,
            "state_name": SHEET_STATES[state], "source_name": SOURCES[sheet["source"]],
            "closed_at": max(done_at) if closed and done_at else None}


def items_of(session: Session, sheet_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in sheet_ids}
    if not sheet_ids:
        return out
    for r in session.execute(text(load(__file__, "dispatch_items")), {"sheets": sheet_ids}).mappings():
        out[r["sheet_id"]].append({**dict(r), "state_name": STATES[r["state"]]})
    return out


def listing(session: Session, *, caller: Caller, person_id: int | None = None, recipient_person_id: int | None = None,
            recipient_unit_id: int | None = None, state: str | None = None, limit: int = 100, offset: int = 0,
            sheet_id: int | None = None) -> list[dict[str, Any]]:
    """Sheets the caller may read, newest first, each with its 对账 counts. `person_id` is the caller's own person
    (a recipient reads the sheets sent to them, or to their unit, wherever they lie)."""
    if state is not None and state not in SHEET_STATES:
        raise InvalidInput(f"state is one of {', '.join(SHEET_STATES)}", field="state")
    params = {"scope": caller.scope, "me": person_id, "my_unit": _my_unit(session, person_id),
              "person_id": recipient_person_id, "unit_id": recipient_unit_id, "id": sheet_id}
    # the state is computed, so a state filter reads further than one page
    window = limit if state is None else 5000
    sheets = [dict(r) for r in session.execute(text(load(__file__, "dispatch_list")),
                                               {**params, "limit": window, "offset": 0 if state else offset})
              .mappings()]
    items = items_of(session, [s["id"] for s in sheets])
    out = [_summarise(s, items[s["id"]]) for s in sheets]
    if state is not None:
        out = [s for s in out if s["state"] == state][offset:offset + limit]
    return out


def get(session: Session, sheet_id: int, *, caller: Caller, person_id: int | None = None) -> dict[str, Any]:
    rows = listing(session, caller=caller, person_id=person_id, sheet_id=sheet_id, limit=1)
    if not rows:
        raise NotFound(f"交办单 {sheet_id} not found", field="sheet_id")
    sheet = rows[0]
    sheet["items"] = items_of(session, [sheet_id])[sheet_id]
    sheet["may_reply"] = may_reply(session, sheet, caller=caller, person_id=person_id)
    return sheet


def may_reply(session: Session, sheet: dict[str, Any], *, caller: Caller, person_id: int | None) -> bool:
    """The recipient (their own account, or one of a person of the recipient unit), or staff of the sheet's region."""
    if sheet["cancelled_at"] is not None:
        return False
    if person_id is not None and (sheet["person_id"] == person_id
                                  or (sheet["unit_id"] and sheet["unit_id"] == _my_unit(session, person_id))):
        return caller.can("handle_problems")
    return (caller.can("manage_people") or caller.can("publish")) and caller.covers(sheet["region_code"])


def sheet_for_reply(session: Session, sheet_id: int, caller: Caller, person_id: int | None) -> dict[str, Any]:
    sheet = get(session, sheet_id, caller=caller, person_id=person_id)
    if sheet["cancelled_at"] is not None:
        raise Conflict(f"{sheet['number']} was cancelled", field="sheet_id")
    if not sheet["may_reply"]:
        raise Forbidden(f"only {sheet['recipient']} or staff of its region reply to {sheet['number']}")
    return sheet


def clean_reply(value: Any) -> str:
    reply = str(value or "").strip()
    if not reply:
        raise InvalidInput("the reply is empty", field="reply")
    if len(reply) > MAX_REPLY:
        raise InvalidInput(f"a reply is at most {MAX_REPLY} characters", field="reply")
    if any(ord(c) < 32 and c not in "\n\t" for c in reply):
        raise InvalidInput("the reply holds control characters", field="reply")
    return reply


def record_reply(session: Session, sheet: dict[str, Any], item: dict[str, Any], reply: str, *, caller: Caller,
                 via: str) -> str:
    """Store one reply unless it is the item's newest already: 'replied' or 'unchanged'."""
    if item["reply"] == reply:
        return "unchanged"
    if item["state"] in DONE:
        raise InvalidInput(f"problem {item['problem_id']} is {item['state_name']}: nothing to reply",
                           field="reply")
    session.execute(text("INSERT INTO dispatch_replies (item_id, reply, via, replied_by) VALUES (:i, :r, :v, :a)"),
                    {"i": item["id"], "r": reply, "v": via, "a": caller.actor})
    record(session, caller.actor, "dispatch_reply", "dispatch_sheets", sheet["id"],
           {"number": sheet["number"], "item": item["seq"], "problem_id": item["problem_id"], "via": via})
    return "replied"


def reply(session: Session, sheet_id: int, item_id: int, text_: str, *, caller: Caller,
          person_id: int | None = None) -> dict[str, Any]:
    """Record the recipient's reply to one item (the same reply twice is one); answers the item."""
    sheet = sheet_for_reply(session, sheet_id, caller, person_id)
    item = next((i for i in sheet["items"] if i["id"] == item_id), None)
    if item is None:
        raise NotFound(f"item {item_id} is not on {sheet['number']}", field="item_id")
    record_reply(session, sheet, item, clean_reply(text_), caller=caller, via="page")
    return next(i for i in items_of(session, [sheet_id])[sheet_id] if i["id"] == item_id)


def cancel(session: Session, sheet_id: int, *, caller: Caller, reason: str) -> dict[str, Any]:
    """Cancel a sheet issued in error (it keeps its number; the register has no gap)."""
    if not caller.can("publish"):
        raise Forbidden("cancelling a 交办单 needs the publish permission (创城办)")
    reason = (reason or "").strip()
    if not reason or len(reason) > 2000:
        raise InvalidInput("say why the sheet is cancelled (at most 2000 characters)", field="reason")
    sheet = get(session, sheet_id, caller=caller)
    if not caller.covers(sheet["region_code"]):
        raise Forbidden(f"{sheet['number']} lies outside your region")
    if sheet["cancelled_at"] is not None:
        raise Conflict(f"{sheet['number']} was cancelled already", field="sheet_id")
    session.execute(text("UPDATE dispatch_sheets SET cancelled_at = now(), cancelled_by = :a, cancel_reason = :r "
                         "WHERE id = :i"), {"a": caller.actor, "r": reason, "i": sheet_id})
    record(session, caller.actor, "dispatch_cancel", "dispatch_sheets", sheet_id,
           {"number": sheet["number"], "reason": reason})
    return get(session, sheet_id, caller=caller)


def unit_name(session: Session, unit_id: int, caller: Caller) -> str | None:
    """A unit's name when it lies in the caller's region (a page preselecting the recipient)."""
    row = session.execute(text("SELECT name, region_code FROM units WHERE id = :i"), {"i": unit_id}).one_or_none()
    return row.name if row is not None and caller.covers(row.region_code) else None
