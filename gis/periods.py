"""Reporting periods as data: week, month, bi-month (双月), quarter and year, each with one code used everywhere a
period is asked for — `2026-W49`, `2026-11`, `2026-B6` (November–December), `2026-Q4`, `2026`.

A period is a half-open span of city dates [start, end). Pages default to the last complete one: a ranking of a
month four days old ranks almost nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from gis.errors import InvalidInput
from gis.times import CITY_TZ

KINDS = ("week", "month", "bimonth", "quarter", "year")
KIND_NAMES = {"week": "周", "month": "月", "bimonth": "双月", "quarter": "季度", "year": "年"}
HELP = "2026-W49 (week), 2026-11 (month), 2026-B6 (bi-month), 2026-Q4 (quarter) or 2026 (year)"
_CODE = re.compile(r"^(?P<y>\d{4})(?:-(?:(?P<m>\d{1,2})|W(?P<w>\d{1,2})|B(?P<b>[1-6])|Q(?P<q>[1-4])))?$")


@dataclass(frozen=True)
class Period:
    kind: str
    year: int
    number: int  # week 1–53, month 1–12, bi-month 1–6, quarter 1–4; 1 for a year

    @property
    def code(self) -> str:
        return {"week": f"{self.year}-W{self.number:02d}", "month": f"{self.year}-{self.number:02d}",
                "bimonth": f"{self.year}-B{self.number}", "quarter": f"{self.year}-Q{self.number}",
                "year": f"{self.year}"}[self.kind]

    @property
    def start(self) -> date:
        if self.kind == "week":
            return date.fromisocalendar(self.year, self.number, 1)
        months = {"month": 1, "bimonth": 2, "quarter": 3, "year": 12}[self.kind]
        return date(self.year, (self.number - 1) * months + 1, 1)

    @property
    def end(self) -> date:
        """The first day after the period."""
        if self.kind == "week":
            return self.start + timedelta(days=7)
        return _add_months(self.start, {"month": 1, "bimonth": 2, "quarter": 3, "year": 12}[self.kind])

    @property
    def label(self) -> str:
        """The period as a page or a 通报 names it: 2026年第6双月（11—12月）."""
        if self.kind == "week":
            last = self.end - timedelta(days=1)
            return f"{self.year}年第{self.number}周（{self.start:%m.%d}—{last:%m.%d}）"
        if self.kind == "month":
            return f"{self.year}年{self.number}月"
        if self.kind == "bimonth":
            return f"{self.year}年第{self.number}双月（{2 * self.number - 1}—{2 * self.number}月）"
        if self.kind == "quarter":
            return f"{self.year}年第{self.number}季度"
        return f"{self.year}年"

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware instants in the city's time zone."""
        return _instant(self.start), _instant(self.end)

    def previous(self) -> Period:
        return containing(self.kind, self.start - timedelta(days=1))

    def next(self) -> Period:
        return containing(self.kind, self.end)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "kind": self.kind, "label": self.label, "start": self.start,
                "end": self.end - timedelta(days=1)}


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(y, m + 1, 1)


def _instant(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=CITY_TZ)


def parse(code: str, field: str = "period") -> Period:
    """The period a code names; a code that names none is a 422 naming `field`."""
    m = _CODE.match((code or "").strip())
    try:
        if not m:
            raise ValueError
        y = int(m["y"])
        if m["w"]:
            n = int(m["w"])
            date.fromisocalendar(y, n, 1)  # refuses week 53 of a 52-week year
            p = Period("week", y, n)
        elif m["m"]:
            p = Period("month", y, int(m["m"]))
        elif m["b"]:
            p = Period("bimonth", y, int(m["b"]))
        elif m["q"]:
            p = Period("quarter", y, int(m["q"]))
        else:
            p = Period("year", y, 1)
        if not 1900 <= y <= 2200 or (p.kind == "month" and not 1 <= p.number <= 12):
            raise ValueError
    except ValueError:
        raise InvalidInput(f"{field} {code!r} is not a period: use {HELP}", field=field) from None
    return p


def containing(kind: str, day: date) -> Period:
    """The period of `kind` that holds `day`."""
    if kind == "week":
        y, w, _ = day.isocalendar()
        return Period("week", y, w)
    if kind == "month":
        return Period("month", day.year, day.month)
    if kind == "bimonth":
        return Period("bimonth", day.year, (day.month + 1) // 2)
    if kind == "quarter":
        return Period("quarter", day.year, (day.month + 2) // 3)
    if kind == "year":
        return Period("year", day.year, 1)
    raise InvalidInput(f"period kind {kind!r}: one of {', '.join(KINDS)}", field="kind")


def last_complete(kind: str, today: date) -> Period:
    """The newest period of `kind` that has ended before `today`: what a page offers by default."""
    return containing(kind, today).previous()


def recent(kind: str, today: date, n: int = 12) -> list[Period]:
    """The last `n` complete periods, newest first (the choices a period picker offers)."""
    out = [last_complete(kind, today)]
    while len(out) < n:
        out.append(out[-1].previous())
    return out
