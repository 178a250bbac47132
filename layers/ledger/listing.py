"""The problem ledger as a list: every filter the office's list page and the API share, its order, its counts by
status, the owners and 街道/社区 names of the rows shown, and its export (Excel or CSV) of exactly what is filtered.

The shared problem filters (category, status, source, dates, bbox, scope) are ProblemFilter's; this adds what only
a list needs: overdue, due soon, an owner, closed lately, photos flagged as evidence of 虚假整改 (`evidence_flagged`),
and one heatmap cell exactly (`cell_condition`).
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, time
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.limits import export_slot
from gis.settings import get_settings
from gis.sql import load
from gis.times import CITY_TZ
from layers.common.excel import csv_row, write_workbook
from layers.ledger.filters import ProblemFilter, cell_condition, overdue_condition, pending_condition
from layers.ledger.intake import PERSONAL_FIELDS

# Orders a list may ask for; ties broken by id so that pages never overlap.
SORTS = {
    "id_desc": "p.id DESC",
    "due": "p.due_at ASC NULLS LAST, p.id",
    "due_desc": "p.due_at DESC NULLS LAST, p.id DESC",
    "reported": "p.reported_at, p.id",
    "reported_desc": "p.reported_at DESC, p.id DESC",
}
FORMATS = ("xlsx", "csv")
FETCH_ROWS = 2_000
_FROM = ("FROM problems p JOIN problem_categories c ON c.code = p.category_code "
         "LEFT JOIN problem_categories pc ON pc.code = c.parent_code "
         "JOIN problem_statuses st ON st.code = p.status")


@dataclass
class ProblemQuery:
    """What a list of problems is filtered by. `duplicates`: list reports linked to an earlier one as duplicates
    too (the API's default); the home page and the heatmap count first reports only."""

    scope: str | None = None
    status: str | None = None
    category: str | None = None
    source: str | None = None
    overdue: bool | None = None
    due_within_hours: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    closed_within_days: int | None = None
    bbox: tuple[float, float, float, float] | None = None
    owner_person_id: int | None = None
    evidence_flagged: bool | None = None
    department_id: int | None = None
    cell: str | None = None
    cell_key: str | None = None
    size_m: float | None = None
    duplicates: bool = True

    def sql(self, session: Session, *, with_status: bool = True) -> tuple[str, dict[str, Any]]:
        """(condition on problems `p`, parameters); without the status filter for the counts by status."""
        base, params = ProblemFilter(scope=self.scope, category=self.category,
                                     status=self.status if with_status else None, source=self.source,
                                     since=self.since, until=self.until, bbox=self.bbox,
                                     with_duplicates=self.duplicates).sql(session)
        where = [base]
        pending, statuses = pending_condition(session, "p")
        late, _ = overdue_condition(session, "p")
        params.update(statuses)  # the rows' `overdue` column names `:pending` too
        if self.overdue is not None:
            where.append(late if self.overdue else f"NOT coalesce({late}, false)")
        if self.due_within_hours is not None:
            where.append(f"{pending} AND p.due_at >= now() AND p.due_at < now() + make_interval(hours => :dw)")
            params["dw"] = self.due_within_hours
        if self.closed_within_days is not None:
            # Relative to the statement's clock, as the home page counts 近30天销号: the same number, any time.
            where.append("p.closed_at >= now() - make_interval(days => :cwd)")
            params["cwd"] = self.closed_within_days
        if self.owner_person_id is not None:
            where.append("EXISTS (SELECT 1 FROM problem_owners po JOIN assignments a ON a.id = po.assignment_id "
                         "WHERE po.problem_id = p.id AND a.person_id = :owner)")
            params["owner"] = self.owner_person_id
        if self.evidence_flagged is not None:
            # A photo with an evidence flag (layers/ledger/photos.py): 虚假整改 suspicion.
            flagged = "EXISTS (SELECT 1 FROM problem_photos f WHERE f.problem_id = p.id AND f.flags <> '{}')"
            where.append(flagged if self.evidence_flagged else f"NOT {flagged}")
        if self.department_id is not None:  # a department the problem was routed to (主办 or 协办)
            where.append("EXISTS (SELECT 1 FROM problem_departments pd WHERE pd.problem_id = p.id "
                         "AND pd.problem_reported_at = p.reported_at AND pd.unit_id = :department)")
            params["department"] = self.department_id
        if self.cell or self.cell_key:
            cond, extra = cell_condition(self.cell, self.cell_key, self.size_m)
            where.append(cond)
            params.update(extra)
        return " AND ".join(where), params

    def to_params(self) -> dict[str, str]:
        """The query as the API's (and the list page's) query parameters, empty ones left out."""
        out: dict[str, str] = {}
        for k, v in asdict(self).items():
            if k == "scope" or v is None:
                continue
            if k == "bbox":
                out[k] = ",".join(f"{x:g}" for x in v)
            elif isinstance(v, bool):
                out[k] = "true" if v else "false"
            elif isinstance(v, datetime):
                local = v.astimezone(CITY_TZ)  # a Beijing midnight as its date: the form's own value
                out[k] = local.date().isoformat() if local.time() == time(0) else v.isoformat()
            elif isinstance(v, float):
                out[k] = f"{v:g}"
            else:
                out[k] = str(v)
        return out


def _order(sort: str) -> str:
    if sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(SORTS)}", field="sort")
    return SORTS[sort]


def search(session: Session, q: ProblemQuery, *, sort: str = "id_desc", limit: int = 100, offset: int = 0,
           with_contact: bool = False, counts: bool = False) -> dict[str, Any]:
    """{total, items} (and with `counts` by_status: matching problems per status, ignoring the status filter)."""
    order = _order(sort)
    cond, params = q.sql(session)
    by_status = status_counts(session, q) if counts else None
    # The counts by status already hold the total when the status filter is one of their keys: one pass over the
    # matching reports instead of two (a city's unfiltered list counts a million).
    total = by_status.get(q.status or "all") if by_status is not None else None
    if total is None:
        total = session.execute(text(f"SELECT count(*) {_FROM} WHERE {cond}"), params).scalar_one()
    rows = session.execute(text(load(__file__, "problem_list") + f" WHERE {cond} ORDER BY {order} "
                                "LIMIT :limit OFFSET :offset"), {**params, "limit": limit, "offset": offset})
    hidden = () if with_contact else PERSONAL_FIELDS
    out: dict[str, Any] = {"total": total,
                           "items": [{k: v for k, v in r.items() if k not in hidden} for r in rows.mappings()]}
    if by_status is not None:
        out["by_status"] = by_status
    return out


def status_counts(session: Session, q: ProblemQuery) -> dict[str, int]:
    """Matching problems per status code, and `all` / `open` / `overdue`, as if no status were chosen."""
    cond, params = q.sql(session, with_status=False)
    rows = session.execute(text(f"SELECT p.status, count(*) AS n, count(*) FILTER (WHERE p.status = ANY(:pending) "
                                f"AND p.due_at < now()) AS late, bool_and(st.final) AS final {_FROM} WHERE {cond} "
                                "GROUP BY p.status"), params).all()
    out = {r.status: r.n for r in rows}
    out["all"] = sum(r.n for r in rows)
    out["open"] = sum(r.n for r in rows if not r.final)
    out["overdue"] = sum(r.late for r in rows)
    return out


def row_details(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """For the rows a page shows: their primary owners (as routed) and their 街道 and 社区 names."""
    if not ids:
        return {}
    rows = session.execute(text(load(__file__, "problem_list_details")), {"ids": ids}).mappings()
    return {r["id"]: dict(r) for r in rows}


def statuses(session: Session) -> list[dict[str, Any]]:
    """The statuses in their workflow order, with their Chinese names (for the list's filter)."""
    rows = session.execute(text("SELECT code, name, final FROM problem_statuses ORDER BY sort")).mappings()
    return [dict(r) for r in rows]


def person_name(session: Session, person_id: int, scope: str | None) -> str | None:
    """A person's name for the owner filter's chip, if the caller's region holds them."""
    return session.execute(text("SELECT name FROM people WHERE id = :i AND (CAST(:s AS text) IS NULL "
                                "OR coalesce(region_code, '') LIKE :s || '%')"), {"i": person_id, "s": scope}).scalar()


def region_name(session: Session, code: str) -> str | None:
    return session.execute(text("SELECT name FROM regions WHERE code = :c"), {"c": code}).scalar()


@dataclass
class Export:
    rows: int = 0
    truncated: bool = False  # more rows matched than CCGRID_EXPORT_MAX_ROWS; the file says so in its last row


def truncation_note(cap: int) -> str:
    return f"（仅含前 {cap:,} 行，另有更多问题未导出：请缩小筛选范围（时间段、区域、类别）后分次导出）"


def export(session: Session, q: ProblemQuery, out: IO[bytes], *, fmt: str = "xlsx",
           sort: str = "id_desc") -> Export:
    """Every matching problem (at most CCGRID_EXPORT_MAX_ROWS) written to `out` as it is read, as a workbook or
    UTF-8 CSV (with a BOM, so Excel reads the Chinese), formulas escaped alike; holds an export slot."""
    if fmt not in FORMATS:
        raise InvalidInput("format is xlsx or csv", field="format")
    order = _order(sort)
    cap = get_settings().export_max_rows
    cond, params = q.sql(session)
    done = Export()
    with export_slot():
        result = session.execute(
            text(load(__file__, "problem_export") + f" WHERE {cond} ORDER BY {order} LIMIT :limit")
            .execution_options(yield_per=FETCH_ROWS), {**params, "limit": cap + 1})
        header = list(result.keys())

        def capped() -> Iterator[Any]:
            for n, row in enumerate(r for part in result.partitions() for r in part):
                if n == cap:
                    done.truncated = True
                    return
                done.rows += 1
                yield row

        tail = (row for row in [[truncation_note(cap)]] if done.truncated)  # evaluated after the last row
        if fmt == "xlsx":
            write_workbook(out, "问题台账", header, itertools.chain(capped(), tail),
                           widths=(10, 22, 12, 14, 22, 16, 16, 10, 10, 17, 17, 8, 17, 30, 40))
        else:
            _write_csv(out, header, itertools.chain(capped(), tail))
    return done


def _write_csv(out: IO[bytes], header: list[str], rows: Iterator[Any]) -> None:
    buf = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow(csv_row(_csv_value(v) for v in row))
    buf.detach()  # `out` stays open for the response


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(CITY_TZ).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return "是" if value else "否"
    return value
