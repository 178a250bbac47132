"""The problem filters every listing, map and tile shares (category, status, source, dates, bbox, scope).

Names are resolved to codes first, so the SQL is a plain condition on the problems table (alias `p`) that its
indexes can serve, with no joins to the lookup tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.aggregate import bin_columns, cell_geometry
from gis.errors import InvalidInput
from gis.sql import load


# What "open", "pending" and "overdue" mean, once for every listing, count, map and tile. Each condition comes
# with the statuses it names, as a (condition, parameters) pair like ProblemFilter.sql's: `open_condition` and
# the others. The bare texts (`open_sql` …) name `:final` / `:pending` for SQL whose caller binds `flag_params`.
def open_sql(alias: str = "p") -> str:
    """Not closed (销号) or rejected (不予立案): binds `:final`."""
    return f"{alias}.status <> ALL(:final)"


def pending_sql(alias: str = "p") -> str:
    """Open and still with its owners (not yet fixed or verified): binds `:pending`. Written as a list of statuses,
    not as two negations, so the (status, due_at) index can find the overdue ones among a million reports."""
    return f"{alias}.status = ANY(:pending)"


def overdue_sql(alias: str = "p") -> str:
    """Still with its owners and past its deadline: binds `:pending`."""
    return f"({pending_sql(alias)} AND {alias}.due_at < now())"


_FLAGS = "ccgrid.status_flags"


def flag_params(session: Session) -> dict[str, list[str]]:
    """The statuses behind `:final` and `:pending` (sql/status_flags.sql), read once per session: the statuses
    are reference data that only migrations write."""
    flags = session.info.get(_FLAGS)
    if flags is None:
        row = session.execute(text(load(__file__, "status_flags"))).one()
        flags = session.info[_FLAGS] = {"final": list(row.final), "pending": list(row.pending)}
    return {k: list(v) for k, v in flags.items()}


Condition = tuple[str, dict[str, Any]]  # SQL text and the values of the parameters it names


def open_condition(session: Session, alias: str = "p") -> Condition:
    return open_sql(alias), {"final": flag_params(session)["final"]}


def pending_condition(session: Session, alias: str = "p") -> Condition:
    return pending_sql(alias), {"pending": flag_params(session)["pending"]}


def overdue_condition(session: Session, alias: str = "p") -> Condition:
    return overdue_sql(alias), {"pending": flag_params(session)["pending"]}


def check_source(session: Session, source: str) -> str:
    """A source's code, given its code or name."""
    code = session.execute(
        text("SELECT code FROM problem_sources WHERE code = :s OR name = :s"), {"s": source}
    ).scalar()
    if code is None:
        names = "、".join(session.execute(text("SELECT code || '(' || name || ')' FROM problem_sources")).scalars())
        raise InvalidInput(f"unknown source {source!r}; sources are {names}", field="source")
    return code


@dataclass
class ProblemFilter:
    scope: str | None = None
    category: str | None = None
    status: str | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None
    with_duplicates: bool = False  # duplicates are counted on their first report by default

    def sql(self, session: Session, alias: str = "p") -> tuple[str, dict[str, Any]]:
        """(condition, parameters) for the problems table under `alias`."""
        a = alias
        where: list[str] = []
        params: dict[str, Any] = {}
        if not self.with_duplicates:
            where.append(f"{a}.duplicate_of IS NULL")
        if self.scope:
            where.append(f"{a}.region_code LIKE :f_scope || '%'")
            params["f_scope"] = self.scope
        if self.category:
            where.append(f"{a}.category_code = ANY(:f_cats)")
            params["f_cats"] = category_codes(session, self.category)
        if self.status:
            cond, extra = status_condition(session, self.status, a)
            where.append(cond)
            params.update(extra)
        if self.source:
            where.append(f"{a}.source = :f_source")
            params["f_source"] = check_source(session, self.source)
        if self.since:
            where.append(f"{a}.reported_at >= :f_since")
            params["f_since"] = self.since
        if self.until:
            where.append(f"{a}.reported_at < :f_until")
            params["f_until"] = self.until
        if self.since and self.until and self.since >= self.until:
            raise InvalidInput("since must be before until", field="since")
        if self.bbox:
            where.append(f"{a}.geom && ST_MakeEnvelope(:f_x0, :f_y0, :f_x1, :f_y1, 4490)")
            params.update(zip(("f_x0", "f_y0", "f_x1", "f_y1"), self.bbox, strict=True))
        return " AND ".join(where) or "true", params


def category_codes(session: Session, category: str) -> list[str]:
    """A small class, or every small class of a big one, by code or name."""
    codes = session.execute(text("""
        SELECT c.code FROM problem_categories c LEFT JOIN problem_categories pc ON pc.code = c.parent_code
        WHERE c.parent_code IS NOT NULL
          AND (c.code = :c OR c.name = :c OR c.parent_code = :c OR pc.name = :c)"""), {"c": category}).scalars().all()
    if not codes:
        raise InvalidInput(f"unknown problem category {category!r}; see /api/v1/problem-categories",
                           field="category")
    return list(codes)


def status_condition(session: Session, status: str, alias: str = "p") -> tuple[str, dict[str, Any]]:
    if status == "open":
        return open_condition(session, alias)
    if status == "overdue":
        return overdue_condition(session, alias)
    code = session.execute(text("SELECT code FROM problem_statuses WHERE code = :s OR name = :s"),
                           {"s": status}).scalar()
    if code is None:
        known = ", ".join(session.execute(text("SELECT code FROM problem_statuses ORDER BY sort")).scalars())
        raise InvalidInput(f"unknown status {status!r}; use open, overdue or one of {known}", field="status")
    return f"{alias}.status = :f_status", {"f_status": code}


CELL_KINDS = ("hex", "square", "grid_cell", "community")
CELL_SIZE_M = (25.0, 20_000.0)  # as the heatmap allows (layers/analytics/heatmap.py)


def cell_condition(cell: str | None, key: str | None, size_m: float | None, alias: str = "p") -> Condition:
    """The problems the heatmap counts in one of its cells, exactly: a hexagon or square by its column:row key
    and size (the same arithmetic the heatmap bins with, on the same metric x/y; a bounding box of a hexagon
    would take in parts of its six neighbours), a grid cell by id (`grid_cell_id`), a community by code (the
    first 12 digits of the region code, as the heatmap groups them)."""
    a = alias
    if cell not in CELL_KINDS or not key:
        raise InvalidInput(f"cell is one of {', '.join(CELL_KINDS)}, with cell_key", field="cell")
    if cell == "grid_cell":
        if not key.isdigit() or len(key) > 18:
            raise InvalidInput("cell_key of a grid cell is its id", field="cell_key")
        return f"{a}.grid_cell_id = :c_id", {"c_id": int(key)}
    if cell == "community":
        if not key.isdigit() or len(key) != 12:
            raise InvalidInput("cell_key of a community is its 12-digit code", field="cell_key")
        return f"left({a}.region_code, 12) = :c_code", {"c_code": key}
    i, _, j = key.partition(":")
    try:
        ci, cj = int(i), int(j)
    except ValueError:
        raise InvalidInput("cell_key of a hexagon or square is column:row, e.g. 12:-3", field="cell_key") from None
    if size_m is None or not CELL_SIZE_M[0] <= size_m <= CELL_SIZE_M[1]:
        raise InvalidInput(f"size_m must be between {CELL_SIZE_M[0]:g} and {CELL_SIZE_M[1]:g} metres",
                           field="size_m")
    if abs(ci) > 2**31 - 1 or abs(cj) > 2**31 - 1:
        raise InvalidInput("cell_key is out of range", field="cell_key")
    bi, bj = bin_columns(cell, f"{a}.x_m", f"{a}.y_m", ":c_size")
    # The cell's box (1 m wider, in the stored CRS) lets the spatial index find the candidates.
    shape = cell_geometry(cell, ":c_size", ":c_i", ":c_j", "ccgrid_metric_srid()")
    return (f"{a}.geom && ST_Transform(ST_Expand({shape}, 1), 4490) AND {bi} = :c_i AND {bj} = :c_j",
            {"c_size": float(size_m), "c_i": ci, "c_j": cj})
