"""The working-day calendar as an office edits it: a year's exceptions and what they make of the year, one day set
or given back to the week (the write is layers.ledger.calendar.set_day, audited with before and after).

Only exceptions are stored: a weekday off (放假) or a weekend day worked (调休上班). A year without any is counted
as plain weeks, which is wrong for every public holiday: `covered` says whether the year has its list yet.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from layers.access.caller import Caller
from layers.ledger import calendar
from layers.rules.edit import city_wide

FIRST_YEAR, LAST_YEAR = 2000, 2100
NOTE_LENGTH = 100
WEEKDAYS = "一二三四五六日"


def check_day(day: date, field: str = "day") -> date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(f"a day between {FIRST_YEAR} and {LAST_YEAR}", field=field)
    return day


def check_note(note: str | None, field: str = "note") -> str | None:
    note = (note or "").strip() or None
    if note is not None and (len(note) > NOTE_LENGTH or any(ord(c) < 32 for c in note)):
        raise InvalidInput(f"a note is at most {NOTE_LENGTH} characters on one line", field=field)
    return note


def _day(d: date, is_workday: bool, note: str | None) -> dict[str, Any]:
    usual = d.weekday() < 5
    return {"day": d, "weekday": d.isoweekday(), "weekday_name": "周" + WEEKDAYS[d.weekday()],
            "is_workday": is_workday, "note": note, "usual_workday": usual, "changes": is_workday != usual}


def this_year(session: Session) -> int:
    """The year it is in the city (the database's clock, as deadlines use it)."""
    return session.execute(text("SELECT extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')::int")).scalar_one()


def year(session: Session, y: int) -> dict[str, Any]:
    """The year's exceptions and their effect: working days, days off, holidays on weekdays, make-up workdays."""
    check_day(date(y, 1, 1), field="year")
    first, last = date(y, 1, 1), date(y, 12, 31)
    found = session.execute(text("SELECT day, is_workday, note FROM work_calendar WHERE day BETWEEN :a AND :b "
                                 "ORDER BY day"), {"a": first, "b": last}).all()
    days = [_day(d, w, n) for d, w, n in found]
    exceptions = {d["day"]: d["is_workday"] for d in days}
    work = calendar.WorkCalendar(exceptions)
    total = (last - first).days + 1
    workdays = sum(work.is_workday(first + timedelta(days=i)) for i in range(total))
    stored = session.execute(text("SELECT min(day), max(day) FROM work_calendar")).one()
    return {"year": y, "days": days, "workdays": workdays, "days_off": total - workdays,
            "holidays": sum(1 for d in days if d["usual_workday"] and not d["is_workday"]),
            "make_up_days": sum(1 for d in days if not d["usual_workday"] and d["is_workday"]),
            "covered": any(d["changes"] for d in days), "first_day": stored[0], "last_day": stored[1]}


def set_day(session: Session, day: date, is_workday: bool | None, note: str | None, *,
            caller: Caller) -> dict[str, Any]:
    """Make `day` a working day or a day off (with a note); `is_workday=None` gives it back to the week."""
    city_wide(caller)
    check_day(day)
    note = check_note(note)
    calendar.set_day(session, day, is_workday, note if is_workday is not None else None, actor=caller.actor)
    if is_workday is None:
        return _day(day, day.weekday() < 5, None)
    return _day(day, is_workday, note)
