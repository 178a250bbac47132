"""The leaders' overview (大屏) for the 指挥中心 wall, inside the caller's region: today's numbers, this month's
按期结案率, the trend of reports and closures over the last `days` days, the window's reports by small class and by
街道 (社区 inside a 街道), the current 测评 round, and the months the heatmap shows.

Every number is read where it is kept, so the wall's refresh each minute costs the same in a city of a million
reports as in the demo: today's, open, overdue and the coverage totals are the home page's (headline.numbers:
pre-binned counts, this month's partition, the status/deadline index); the window reads only its own months (the
reports' monthly partitions, the reported_at and closed_at indexes), never the archive before it; the month's
按期结案率 goes through the status/deadline and closed_at indexes; the heatmap is the 250 m hexagons the bins keep
for whole months.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import periods
from gis.errors import InvalidInput
from gis.sql import load
from gis.times import CITY_TZ
from layers.analytics import headline
from layers.analytics.page_data import region_name
from layers.ledger.filters import flag_params

DAYS = (30, 90)  # what the wall switches between
MAX_DAYS = 92  # a quarter: the window's read grows with it
TOP_CATEGORIES = 10


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), CITY_TZ)


def _area_level(scope: str | None) -> tuple[int, str]:
    """The areas the window is split into: a city's or a district's 街道, a 街道's 社区 (a 社区 is its own)."""
    return (9, "subdistrict") if not scope or len(scope) <= 6 else (12, "community")


def overview(session: Session, *, scope: str | None, days: int = 30) -> dict[str, Any]:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be between 1 and {MAX_DAYS}", field="days")
    now = session.execute(text("SELECT now()")).scalar_one().astimezone(CITY_TZ)
    today = now.date()
    first = today - timedelta(days=days - 1)
    since, until = _midnight(first), _midnight(today + timedelta(days=1))
    flags = flag_params(session)
    scoped = {"scope": scope or ""}
    head = headline.numbers(session, scope)

    area_len, level = _area_level(scope)
    window = {"day": {}, "category": {}, "area": {}}
    for row in session.execute(text(load(__file__, "overview_window")),
                               {**scoped, **flags, "since": since, "until": until, "area_len": area_len}).mappings():
        if row["key"] is not None:
            window[row["kind"]][row["key"]] = row
    closed = {r.day: r.closed for r in session.execute(text(load(__file__, "overview_closed")),
                                                       {**scoped, "since": since, "until": until})}
    trend = []
    for k in range(days):
        day = first + timedelta(days=k)
        trend.append({"day": day, "reported": _n(window["day"].get(day.isoformat()), "reported"),
                      "closed": closed.get(day, 0)})

    month = periods.containing("month", today)
    statuses = list(session.execute(text("SELECT code FROM problem_statuses WHERE code <> 'rejected'")).scalars())
    on_time = session.execute(text(load(__file__, "overview_on_time")),
                              {**scoped, "statuses": statuses, "month_start": _midnight(month.start)}).one()

    return {
        "region": scope,
        "region_name": place_name(session, scope),
        "as_of": now,
        "days": days,
        "since": first,
        "until": today,
        "today": {"reported": head["today"], "closed": closed.get(today, 0)},
        "open": head["open"],
        "overdue": head["overdue"],
        "month": {"period": month.code, "label": month.label, "due": on_time.due,
                  "closed_on_time": on_time.closed_on_time,
                  "on_time_rate": round(on_time.closed_on_time / on_time.due, 4) if on_time.due else None},
        "coverage": {"pct": head["coverage_pct"], "missing": head["missing_owners"],
                     "unowned_street_km": head["unowned_street_km"]},
        "trend": trend,
        "by_category": _categories(session, window["category"]),
        "area_level": level,
        "by_area": _areas(session, scope, area_len, window["area"]),
        "round": None,  # the campaign's part (layers/campaign/wall.py adds the 测评 round)
        # The heatmap's period: the whole months the window reaches into, which the pre-binned hexagons answer.
        "heatmap_since": first.replace(day=1),
    }


def _n(row: Any, key: str) -> int:
    return int(row[key]) if row is not None else 0


def _counts(row: Any) -> dict[str, int]:
    """A group's reports: closed or rejected (办结), open within its deadline (办理中), open past it (超期)."""
    reported, open_, overdue = _n(row, "reported"), _n(row, "open"), _n(row, "overdue")
    return {"reported": reported, "done": reported - open_, "in_progress": open_ - overdue, "overdue": overdue}


def _categories(session: Session, rows: dict[str, Any]) -> list[dict[str, Any]]:
    """The small classes with most reports in the window (at most TOP_CATEGORIES), named with their big class."""
    names = {r.code: r for r in session.execute(text(
        "SELECT c.code, c.name, pc.name AS parent FROM problem_categories c "
        "LEFT JOIN problem_categories pc ON pc.code = c.parent_code WHERE c.code = ANY(:codes)"),
        {"codes": list(rows)})}
    out = [{"code": code, "name": names[code].name if code in names else code,
            "parent": names[code].parent if code in names else None, **_counts(row)} for code, row in rows.items()]
    out.sort(key=lambda r: (-r["reported"], r["code"]))
    return out[:TOP_CATEGORIES]


def _areas(session: Session, scope: str | None, area_len: int, rows: dict[str, Any]) -> list[dict[str, Any]]:
    """Every 街道 (or 社区) in scope, quiet ones too, in code order."""
    regions = session.execute(text("SELECT code, name FROM regions WHERE length(code) = :n AND code LIKE :s || '%' "
                                   "ORDER BY code"), {"n": area_len, "s": scope or ""}).all()
    return [{"code": r.code, "name": r.name, **_counts(rows.get(r.code))} for r in regions]


def place_name(session: Session, scope: str | None) -> str:
    """What the wall's title names: the region, or for the whole city its one district (a county-level city), else
    全市."""
    if scope:
        return region_name(session, scope)
    names = session.execute(text("SELECT name FROM regions WHERE level = 'district' LIMIT 2")).scalars().all()
    return names[0] if len(names) == 1 else "全市"
