"""Working-time arithmetic on the Chinese calendar: weekends off, except make-up workdays (调休上班), and public
holidays off. The exceptions live in the `work_calendar` table so an admin can correct them.

Deadlines in working days keep the time of day; deadlines in working hours are counted inside office hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput

TZ = ZoneInfo("Asia/Shanghai")
DAY_START, DAY_END = time(9, 0), time(17, 0)  # office hours that working-hour deadlines count in
_HORIZON_DAYS = 400  # no deadline is set further out than this


@dataclass(frozen=True)
class WorkCalendar:
    exceptions: dict[date, bool]

    @classmethod
    def load(cls, session: Session) -> WorkCalendar:
        rows = session.execute(text("SELECT day, is_workday FROM work_calendar")).all()
        return cls({d: w for d, w in rows})

    def is_workday(self, d: date) -> bool:
        return self.exceptions.get(d, d.weekday() < 5)

    def next_workday(self, d: date) -> date:
        for _ in range(_HORIZON_DAYS):
            d += timedelta(days=1)
            if self.is_workday(d):
                return d
        raise InvalidInput("no working day within a year; check the work calendar", field="calendar")

    def add(self, start: datetime, amount: int, unit: str) -> datetime:
        """The deadline `amount` working days/hours after `start`."""
        if amount <= 0:
            raise InvalidInput("a deadline must be positive", field="deadline")
        local = start.astimezone(TZ)
        if unit == "days":
            d = local.date()
            moment = local.timetz()
            if not self.is_workday(d):  # reported on a day off: the clock starts next working morning
                d, moment = self.next_workday(d), DAY_START.replace(tzinfo=TZ)
            for _ in range(amount):
                d = self.next_workday(d)
            return datetime.combine(d, moment).astimezone(TZ)
        if unit == "hours":
            return self._add_hours(local, amount * 60)
        raise InvalidInput(f"unknown deadline unit {unit!r}", field="deadline_unit")

    def _add_hours(self, local: datetime, minutes: int) -> datetime:
        d, t = local.date(), local.time()
        if not self.is_workday(d) or t >= DAY_END:
            d, t = self.next_workday(d), DAY_START
        elif t < DAY_START:
            t = DAY_START
        while True:
            left_today = (datetime.combine(d, DAY_END) - datetime.combine(d, t)).seconds // 60
            if minutes <= left_today:
                return (datetime.combine(d, t) + timedelta(minutes=minutes)).replace(tzinfo=TZ)
            minutes -= left_today
            d, t = self.next_workday(d), DAY_START

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after `a` up to and including `b` (0 when b <= a)."""
        n, d = 0, a
        while d < b:
            d += timedelta(days=1)
            n += self.is_workday(d)
        return n


def set_day(session: Session, day: date, is_workday: bool | None, note: str | None, *,
            actor: str) -> dict | None:
    """Correct the calendar for one day (a holiday notice changed, a local day off); `is_workday=None` drops the
    day's exception (it follows the week again). Audited with the day before and after; returns the day before
    (None when it had no exception)."""
    from layers.common.audit import record

    before = session.execute(text("SELECT is_workday, note FROM work_calendar WHERE day = :d FOR UPDATE"),
                             {"d": day}).mappings().first()
    before = dict(before) if before is not None else None
    if is_workday is None:
        session.execute(text("DELETE FROM work_calendar WHERE day = :d"), {"d": day})
        after = None
    else:
        session.execute(
            text("INSERT INTO work_calendar (day, is_workday, note) VALUES (:d, :w, :n) "
                 "ON CONFLICT (day) DO UPDATE SET is_workday = :w, note = :n"),
            {"d": day, "w": is_workday, "n": note},
        )
        after = {"is_workday": is_workday, "note": note}
    record(session, actor, "set_day", "work_calendar", day.isoformat(), {"before": before, "after": after})
    return before
