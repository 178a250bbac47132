"""The 三本账 (point, problem and rectification ledgers), the indicators, and the weekly 督导单 per owner.

Indicators over problems dispatched in the period whose deadline has passed or that are closed ("due to close"):
结案率 = closed / due, 按期结案率 = closed and fixed (整改完成) by the deadline / due, 返工率 = reworked / due,
超期率 = overdue / due, where overdue means not fixed by the deadline (still open past it, or fixed after it).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput, NotFound
from gis.limits import export_slot
from gis.settings import get_settings
from gis.sql import load
from layers.access.caller import Caller
from layers.common.excel import write_workbook
from layers.ledger.filters import flag_params
from layers.ledger.photos import EVIDENCE_FLAGS

LEDGERS = ("points", "problems", "rectification")
TITLES = {"points": "点位台账", "problems": "问题台账", "rectification": "整改台账"}
FETCH_ROWS = 2_000  # rows per round trip from the server-side cursor
LEVELS = ("subdistrict", "community", "owner", "department")

# The ledgers' SQL: layers/ledger/sql/ledger_<kind>.sql; the indicators': sql/indicators.sql with the level's
# sql/indicators_grouped_<level>.sql.


def _period(session: Session, since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    until = until or session.execute(text("SELECT now()")).scalar_one()
    since = since or session.execute(text("SELECT CAST(:u AS timestamptz) - interval '1 year'"), {"u": until}).scalar()
    if since >= until:
        raise InvalidInput("since must be before until", field="since")
    return since, until


def ledger(session: Session, kind: str, *, scope: str | None = None, since: datetime | None = None,
           until: datetime | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    header, rows = _ledger_rows(session, kind, scope, since, until, _limit(limit))
    return [dict(zip(header, r, strict=True)) for r in rows]


@dataclass
class Export:
    rows: int = 0
    truncated: bool = False  # more rows matched than the limit; the file says so in its last row


def _limit(limit: int | None) -> int:
    cap = get_settings().export_max_rows
    if limit is None:
        return cap
    if limit > cap:
        raise InvalidInput(f"at most {cap:,} rows per export (CCGRID_EXPORT_MAX_ROWS); narrow the period "
                           "(since, until) or the region and export in parts", field="limit")
    return limit


def _within(caller: Caller, region: str | None) -> str | None:
    """The region to export: the one asked for, which must lie inside the caller's own."""
    if not region:
        return caller.scope
    caller.require_covers(region, what=f"region {region}", field="region")
    return region


def _ledger_rows(session: Session, kind: str, scope: str | None, since: datetime | None, until: datetime | None,
                 limit: int, department_id: int | None = None) -> tuple[list[str], Iterator[Any]]:
    """The ledger's columns and its rows, fetched from a server-side cursor a batch at a time."""
    if kind not in LEDGERS:
        raise InvalidInput(f"ledger must be one of {', '.join(LEDGERS)}", field="kind")
    if department_id is not None and kind == "points":
        raise InvalidInput("the points ledger is by place; department_id cuts the problems and rectification "
                           "ledgers", field="department_id")
    since, until = _period(session, since, until)
    params: dict[str, Any] = {"scope": scope or "", "since": since, "until": until, "limit": limit,
                              "department": department_id}
    if kind == "rectification":  # 虚假整改嫌疑, by the flags' names
        params.update(flag_codes=list(EVIDENCE_FLAGS), flag_names=list(EVIDENCE_FLAGS.values()))
    result = session.execute(text(load(__file__, f"ledger_{kind}")).execution_options(yield_per=FETCH_ROWS), params)
    return list(result.keys()), (row for part in result.partitions() for row in part)


def export(session: Session, kind: str, out: IO[bytes], *, caller: Caller, region: str | None = None,
           fmt: str = "xlsx", since: datetime | None = None, until: datetime | None = None,
           limit: int | None = None, department_id: int | None = None) -> Export:
    """One of the 三本账 written to `out` as it is read (a write-only workbook or a JSON array), at most `limit`
    rows (CCGRID_EXPORT_MAX_ROWS at most), while holding one of the process's export slots."""
    if fmt not in ("xlsx", "json"):
        raise InvalidInput("format is xlsx or json", field="format")
    limit = _limit(limit)
    scope = _within(caller, region)
    done = Export()
    with export_slot():
        header, rows = _ledger_rows(session, kind, scope, since, until, limit + 1, department_id)

        def capped() -> Iterator[Any]:
            for n, row in enumerate(rows):
                if n == limit:
                    done.truncated = True
                    return
                done.rows += 1
                yield row

        if fmt == "json":
            write_json_array(out, header, capped())
        else:
            note = f"（仅含前 {limit:,} 行，另有更多行未导出：请缩小时间段或区域，分次导出）"
            tail = (row for row in [[note]] if done.truncated)  # evaluated after the last row
            write_workbook(out, TITLES[kind], header, itertools.chain(capped(), tail))
    return done


def write_json_array(out: IO[bytes], header: list[str], rows: Iterable[Any]) -> None:
    """A JSON array of objects, one row at a time (times in ISO 8601, as the API writes them)."""
    out.write(b"[")
    for n, row in enumerate(rows):
        item = json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False, default=_json_value)
        out.write((b",\n" if n else b"\n") + item.encode())
    out.write(b"\n]")


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value.as_tuple().exponent >= 0 else float(value)  # as FastAPI encodes it
    return str(value)


def indicators(session: Session, *, level: str = "subdistrict", scope: str | None = None,
               since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}", field="level")
    since, until = _period(session, since, until)
    sql = load(__file__, "indicators").replace("{grouped}", load(__file__, f"indicators_grouped_{level}"))
    rows = session.execute(text(sql), {"scope": scope or "", "since": since, "until": until}).mappings()
    out = []
    for r in rows:
        due = r["due"]

        def rate(n: int, due: int = due) -> float | None:
            return round(n / due, 4) if due else None

        out.append({**dict(r), "closure_rate": rate(r["closed"]), "on_time_rate": rate(r["closed_on_time"]),
                    "rework_rate": rate(r["reworked"]), "overdue_rate": rate(r["overdue"])})
    return out


def supervision_sheet(session: Session, *, caller: Caller, person_id: int | None = None,
                      unit_id: int | None = None, limit: int | None = None, offset: int = 0) -> dict[str, Any]:
    """The 督导单 of one owner: their open problems (overdue first), with room for their reply; `limit` and
    `offset` page it (None: every one, for the workbook), `open` and `overdue` count them all. Only problems in
    the caller's region: an owner may also hold places elsewhere, whose reports the caller may not read."""
    if limit is not None and not 1 <= limit <= 5000:
        raise InvalidInput("limit must be between 1 and 5000", field="limit")
    if offset < 0:
        raise InvalidInput("offset must not be negative", field="offset")
    if (person_id is None) == (unit_id is None):
        raise InvalidInput("give person_id or unit_id", field="person_id")
    holder = session.execute(
        text("SELECT name, region_code FROM people WHERE id = :i") if person_id is not None
        else text("SELECT name, region_code FROM units WHERE id = :i"),
        {"i": person_id if person_id is not None else unit_id},
    ).one_or_none()
    if holder is None or not caller.covers(holder.region_code):
        field = "person_id" if person_id is not None else "unit_id"
        raise NotFound(f"no such {field.removesuffix('_id')}", field=field)
    # Its problems as an owner of their places, and (a department) those the rules sent it as 主办/协办: the totals,
    # then one page of them, overdue first (sql/supervision_sheet.sql).
    params = {"pid": person_id, "uid": unit_id, "scope": caller.scope, "final": flag_params(session)["final"]}
    rows = [dict(r) for r in session.execute(text(load(__file__, "supervision_sheet")),
                                             {**params, "limit": limit, "offset": offset}).mappings()]
    if rows:
        n_open, n_overdue = rows[0]["n_open"], rows[0]["n_overdue"]
    elif offset:  # past the last page: the totals alone
        first = session.execute(text(load(__file__, "supervision_sheet")),
                                {**params, "limit": 1, "offset": 0}).mappings().first()
        n_open, n_overdue = (first["n_open"], first["n_overdue"]) if first else (0, 0)
    else:
        n_open = n_overdue = 0
    items = [{k: v for k, v in r.items() if k not in ("n_open", "n_overdue")} for r in rows]
    return {"holder": holder.name, "person_id": person_id, "unit_id": unit_id,
            "generated_at": session.execute(text("SELECT now()")).scalar_one(), "items": items,
            "open": n_open, "overdue": n_overdue, "offset": offset, "limit": limit}
