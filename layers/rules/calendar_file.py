"""A year's 放假/调休 list from a small CSV (the format of layers/ledger/data/work_calendar_2027.csv):

    day,kind,note
    2027-10-01,放假,国庆节
    2027-10-09,上班,国庆节调休

`kind` is 放假 (a day off) or 上班 (a working day); headers may also be 日期,类型,备注; UTF-8 (with or without the
BOM Excel writes) or GB18030. Every line is checked first and each bad one named by its line number; then the
whole file is written in one statement, or nothing. Loading a file again changes nothing. A dry run answers the
same preview and writes nothing. With `replace`, days of the file's years that the file does not list go back
to the week (a year's list replaced whole).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.sql import load as load_sql
from layers.access.caller import Caller
from layers.common.audit import record
from layers.rules.edit import city_wide
from layers.rules.work_calendar import check_day, check_note
from layers.spatial.writer import Rejection, RowsRejected

MAX_BYTES = 200_000
MAX_LINES = 2000
KINDS = {"放假": False, "休": False, "休息": False, "off": False, "上班": True, "班": True, "work": True}
HEADERS = {"day": "day", "日期": "day", "kind": "kind", "类型": "kind", "note": "note", "备注": "note", "说明": "note"}


@dataclass
class Entry:
    line: int
    day: date
    is_workday: bool
    note: str | None


def _text(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"a calendar file is at most {MAX_BYTES // 1000} KB", field="file")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("the file is neither UTF-8 nor GB18030 text", field="file")


def _entry(line: int, raw: dict[str, str]) -> Entry:
    value = (raw.get("day") or "").strip().replace("/", "-")
    try:
        day = check_day(date.fromisoformat(value))
    except ValueError:
        raise InvalidInput(f"not a date (YYYY-MM-DD): {value!r}", field="day") from None
    kind = (raw.get("kind") or "").strip()
    if kind not in KINDS:
        raise InvalidInput(f"kind is 放假 or 上班, not {kind!r}", field="kind")
    return Entry(line, day, KINDS[kind], check_note(raw.get("note")))


def parse(data: bytes) -> tuple[list[Entry], list[Rejection]]:
    """The file's days and its bad lines (line 1 is the header)."""
    try:
        return _parse(csv.reader(io.StringIO(_text(data))))
    except csv.Error as exc:  # a field past the csv module's limit: not a calendar
        raise InvalidInput(f"not a calendar CSV: {exc}", field="file") from None


def _parse(reader) -> tuple[list[Entry], list[Rejection]]:
    header = [HEADERS.get(h.strip().lower(), h.strip()) for h in next(reader, [])]
    if "day" not in header or "kind" not in header:
        raise InvalidInput("the first line must name the columns day,kind,note (or 日期,类型,备注)", field="file")
    entries, rejected, seen = [], [], {}
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if line > MAX_LINES:
            raise InvalidInput(f"a calendar file has at most {MAX_LINES} lines", field="file")
        try:
            entry = _entry(line, dict(zip(header, cells, strict=False)))
        except InvalidInput as exc:
            rejected.append(Rejection(line, exc.field or "row", exc.message))
            continue
        if entry.day in seen:
            rejected.append(Rejection(line, "day", f"{entry.day} is already on line {seen[entry.day]}"))
            continue
        seen[entry.day] = line
        entries.append(entry)
    if not entries and not rejected:
        raise InvalidInput("the file lists no days", field="file")
    return entries, rejected


def _plan(session: Session, entries: list[Entry], replace: bool) -> list[dict[str, Any]]:
    """Each day's outcome against what is stored: create, change, same, or (with replace) remove."""
    years = sorted({e.day.year for e in entries})
    stored = {d: (w, n) for d, w, n in session.execute(
        text("SELECT day, is_workday, note FROM work_calendar WHERE extract(year FROM day)::int = ANY(:y) "
             "ORDER BY day FOR UPDATE"), {"y": years}).all()}
    plan = []
    for e in entries:
        before = stored.get(e.day)
        action = "create" if before is None else ("same" if before == (e.is_workday, e.note) else "change")
        plan.append({"line": e.line, "day": e.day, "is_workday": e.is_workday, "note": e.note, "action": action,
                     "usual_workday": e.day.weekday() < 5,
                     "before": None if before is None else {"is_workday": before[0], "note": before[1]}})
    if replace:
        listed = {e.day for e in entries}
        plan += [{"line": None, "day": d, "is_workday": None, "note": None, "action": "remove",
                  "usual_workday": d.weekday() < 5, "before": {"is_workday": w, "note": n}}
                 for d, (w, n) in stored.items() if d not in listed]
    return plan


def load(session: Session, data: bytes, *, caller: Caller, file_name: str = "", dry_run: bool = False,
         replace: bool = False) -> dict[str, Any]:
    """Preview (dry_run) or load a calendar file; a file with a bad line loads nothing (422 naming each line)."""
    city_wide(caller)
    entries, rejected = parse(data)
    if rejected and not dry_run:
        raise RowsRejected(rejected)
    plan = _plan(session, entries, replace)
    counts = {a: sum(1 for p in plan if p["action"] == a) for a in ("create", "change", "same", "remove")}
    answer = {"file": file_name, "dry_run": dry_run, "replace": replace, "lines": len(entries) + len(rejected),
              "years": sorted({e.day.year for e in entries}), "created": counts["create"],
              "changed": counts["change"], "unchanged": counts["same"], "removed": counts["remove"],
              "days": sorted(plan, key=lambda p: p["day"]),
              "rejected": [{"row": r.row, "field": r.field, "reason": r.reason} for r in rejected]}
    todo = [p for p in plan if p["action"] != "same"]
    if dry_run or not todo:
        return answer
    _write(session, todo)
    record(session, caller.actor, "load", "work_calendar", ",".join(map(str, answer["years"])),
           {"file": file_name, "replace": replace, **{k: answer[k] for k in ("created", "changed", "removed")},
            "days": [{"day": p["day"], "before": p["before"],
                      "after": None if p["action"] == "remove" else {"is_workday": p["is_workday"],
                                                                     "note": p["note"]}} for p in todo]})
    return answer


def _write(session: Session, todo: list[dict[str, Any]]) -> None:
    """Every change of the plan in one statement (upserts and removals together)."""
    session.execute(text(load_sql(__file__, "calendar_load")), {
        "days": [p["day"] for p in todo],
        "workdays": [p["is_workday"] for p in todo],
        "notes": [p["note"] for p in todo],
    })
