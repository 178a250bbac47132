"""Reading the pre-binned report counts (migrations 0008 and 0025, kept current by triggers on every write).

Answered from bins, when the filters are ones the bins keep (a region scope, and for the heatmap whole months of
Beijing time):
- the heatmap in hexagons of 250 m, 500 m, 1, 2, 5, 10 or 20 km (the sizes the page picks from the zoom): all time,
  or any run of whole months;
- clustered problem tiles from z0 to z12 with no period: z11–z12 from 1/64-of-a-z12-tile squares, z0–z10 from
  1/64-of-a-z10-tile squares, grouped 2^k to one per 1/64 of the asked tile. Unfiltered and 未办结 from squares of
  all reports; by category and/or status from the same squares split by status and category.
Anything else (source, a period of days, 超期, other hexagon sizes) reads the reports themselves.

Overdue is not binned (it changes with the clock, not with a write): it is counted from the few reports past their
deadline through the status/deadline index and joined in; the statuses that mean overdue come with the condition
(layers/ledger/filters.py:overdue_condition).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.aggregate import SQRT3, bin_columns
from layers.ledger.calendar import TZ
from layers.ledger.filters import ProblemFilter, category_codes, flag_params, overdue_condition, status_condition

HEX_SIZE_M = 250.0
HEX_GRID = 1
# Hexagon edge (m) → grid (migration 0025). 250 m is also kept for all time; the others per month only.
HEX_GRIDS = {250.0: 1, 500.0: 6, 1000.0: 7, 2000.0: 8, 5000.0: 9, 10000.0: 10, 20000.0: 11}
MERC_HALF = 20037508.342789244
MERC_GRIDS = {12: 2, 10: 3}  # zoom whose tiles' 1/64 squares a grid holds → grid number
SPLIT_GRIDS = {2: 4, 3: 5}  # the same squares split by status and category
ALL_TIME = date(1900, 1, 1)
BULK_WORK_MEM = "256MB"  # for counting a month or an import into the bins in one statement
UNSPLIT = "b.status = '' AND b.category_code = ''"  # the bins of grids that do not split (the key's prefix)


def _month_start(at: datetime | None) -> date | None | bool:
    """The Beijing date of a month's first midnight, None for no bound, False if `at` is anything else."""
    if at is None:
        return None
    local = at.astimezone(TZ) if at.tzinfo else at
    if local.day != 1 or local.time() != time(0):
        return False
    return local.date()


def _binnable(filters: ProblemFilter) -> bool:
    return not (filters.category or filters.source or filters.status or filters.with_duplicates)


def months(filters: ProblemFilter, all_time: bool = True) -> tuple[str, dict[str, Any]] | None:
    """(condition on problem_bins `b`, parameters) selecting the filters' period, or None if bins cannot say.
    `all_time`: the grid keeps an all-time span (else all time is every month)."""
    if not _binnable(filters):
        return None
    since, until = _month_start(filters.since), _month_start(filters.until)
    if since is False or until is False:
        return None
    if since is None and until is None and all_time:
        return "b.span = 'a'", {}
    return ("b.span = 'm' AND b.day >= :b_since AND b.day < :b_until",
            {"b_since": since or ALL_TIME, "b_until": until or date(9999, 1, 1)})


def _scope(filters: ProblemFilter) -> tuple[str, dict[str, Any]]:
    if filters.scope:
        return "b.region_code LIKE :f_scope || '%'", {"f_scope": filters.scope}
    return "true", {}


def _overdue_where(session: Session, filters: ProblemFilter) -> tuple[str, dict[str, Any]]:
    """Overdue first reports under the filters' scope, period, category and status, by the (status, due_at)
    index."""
    where, params = ProblemFilter(scope=filters.scope, since=filters.since, until=filters.until,
                                  category=filters.category, status=filters.status).sql(session)
    overdue, statuses = overdue_condition(session, "p")
    return f"{where} AND {overdue}", {**params, **statuses}


def heatmap_sql(session: Session, filters: ProblemFilter,
                size_m: float = HEX_SIZE_M) -> tuple[str, dict[str, Any]] | None:
    """The CTE body `b` (i, j, n, open, overdue) of hexagons of `size_m` from bins, or None."""
    grid = HEX_GRIDS.get(float(size_m))
    period = months(filters, all_time=grid == HEX_GRID) if grid else None
    if period is None:
        return None
    cond, params = period
    scope, extra = _scope(filters)
    od_where, od_params = _overdue_where(session, filters)
    i, j = bin_columns("hex", "p.x_m", "p.y_m", str(float(size_m)))
    sql = f"""
        SELECT s.i, s.j, s.n, s.open, coalesce(o.overdue, 0) AS overdue
        FROM (SELECT b.i, b.j, sum(b.n) AS n, sum(b.n_open) AS open FROM problem_bins b
              WHERE b.grid = {grid} AND {cond} AND {UNSPLIT} AND {scope}{_near(filters, float(size_m))}
              GROUP BY b.i, b.j HAVING sum(b.n) > 0) s
        LEFT JOIN (SELECT {i} AS i, {j} AS j, count(*) AS overdue FROM problems p WHERE {od_where}
                   GROUP BY 1, 2) o ON o.i = s.i AND o.j = s.j"""
    return sql, {**params, **extra, **od_params}


def _near(filters: ProblemFilter, size: float) -> str:
    """With a bbox, the hexagons' columns and rows that could touch it (a cell more each way: the view's edges bend
    a little in the metric CRS), so a street's view sums its own bins, not the city's; the caller tests each cell
    against the view exactly."""
    if not filters.bbox:
        return ""
    view = "ST_Transform(ST_MakeEnvelope(:f_x0, :f_y0, :f_x1, :f_y1, 4490), ccgrid_metric_srid())"
    col, row = 1.5 * size, SQRT3 * size  # between column centres, between row centres

    def within(key: str, lo: str, hi: str, step: float) -> str:  # a hexagon reaches < one row from its centre
        return (f" AND b.{key} BETWEEN (SELECT floor(({lo}({view}) - {row}) / {step})::bigint - 1)"
                f" AND (SELECT ceil(({hi}({view}) + {row}) / {step})::bigint + 1)")

    return within("i", "ST_XMin", "ST_XMax", col) + within("j", "ST_YMin", "ST_YMax", row)


def _split(session: Session, filters: ProblemFilter) -> tuple[str, str, dict[str, Any]]:
    """(condition on the split bins `b`, the open bins' condition, parameters) for a category and/or status. Both
    keys are given as lists, so the index is read at each (status, category)'s squares only."""
    flags = flag_params(session)
    statuses, cats = session.execute(text("SELECT array(SELECT code FROM problem_statuses ORDER BY code), "
                                          "array(SELECT code FROM problem_categories ORDER BY code)")).one()
    if filters.status == "open":
        statuses = [s for s in statuses if s not in flags["final"]]
    elif filters.status:
        statuses = [status_condition(session, filters.status)[1]["f_status"]]  # a code or a name, checked
    if filters.category:
        cats = category_codes(session, filters.category)
    return ("b.status = ANY(:b_statuses) AND b.category_code = ANY(:b_cats)", "b.status <> ALL(:b_final)",
            {"b_statuses": list(statuses), "b_cats": list(cats), "b_final": flags["final"]})


def tile_sql(session: Session, z: int, filters: ProblemFilter, cells: int = 64) -> tuple[str, dict[str, Any]] | None:
    """Rows (x, y, count, open, overdue) of the clustered problem tile z/:x/:y from bins, or None.

    x, y are the cluster's mean web-mercator position, as if averaged over its reports."""
    if z > max(MERC_GRIDS) or filters.source or filters.with_duplicates or filters.since or filters.until \
            or filters.bbox or filters.status == "overdue":
        return None
    zoom = min(zz for zz in MERC_GRIDS if zz >= z)
    grid = MERC_GRIDS[zoom]
    group = 2 ** (zoom - z)  # grid squares per cluster square, each way
    side = 2 * MERC_HALF / 2 ** zoom / cells  # metres
    scope, params = _scope(filters)
    od_where, od_params = _overdue_where(session, filters)
    if filters.category or (filters.status and filters.status != "open"):
        kind, is_open, extra = _split(session, filters)
        grid = SPLIT_GRIDS[grid]
        params.update(extra)
        sums = (f"sum(b.n) AS n, coalesce(sum(b.n) FILTER (WHERE {is_open}), 0) AS open, sum(b.sx) AS sx, "
                "sum(b.sy) AS sy")
    elif filters.status == "open":  # the open reports of the unsplit squares, where they are
        kind, sums = UNSPLIT, "sum(b.n_open) AS n, sum(b.n_open) AS open, sum(b.sx_open) AS sx, sum(b.sy_open) AS sy"
    else:
        kind, sums = UNSPLIT, "sum(b.n) AS n, sum(b.n_open) AS open, sum(b.sx) AS sx, sum(b.sy) AS sy"
    # The tile's first grid square (from the west, and from the south: XYZ counts rows from the north).
    i0 = f"(CAST(:x AS bigint) * {cells * group})"
    j0 = f"((CAST(2 ^ :z AS bigint) - 1 - :y) * {cells * group})"
    sql = f"""
        WITH s AS (
            SELECT (b.i - {i0}) / {group} AS ci, (b.j - {j0}) / {group} AS cj, {sums}
            FROM problem_bins b
            WHERE b.grid = {grid} AND b.span = 'a' AND b.day = DATE '{ALL_TIME}' AND {kind} AND {scope}
              AND b.i >= {i0} AND b.i < {i0} + {cells * group} AND b.j >= {j0} AND b.j < {j0} + {cells * group}
            GROUP BY 1, 2),
        o AS (
            SELECT (f.i - {i0}) / {group} AS ci, (f.j - {j0}) / {group} AS cj, count(*) AS overdue
            FROM (SELECT floor((p.merc_x + {MERC_HALF}::float8) / {side}::float8)::bigint AS i,
                         floor((p.merc_y + {MERC_HALF}::float8) / {side}::float8)::bigint AS j
                  FROM problems p WHERE {od_where}) f
            WHERE f.i >= {i0} AND f.i < {i0} + {cells * group} AND f.j >= {j0} AND f.j < {j0} + {cells * group}
            GROUP BY 1, 2)
        SELECT s.sx / s.n AS x, s.sy / s.n AS y, s.n AS count, s.open, coalesce(o.overdue, 0) AS overdue
        FROM s LEFT JOIN o ON o.ci = s.ci AND o.cj = s.cj WHERE s.n > 0"""
    return sql, {**params, **od_params}


def count(session: Session, tables: list[str], sign: int = 1) -> None:
    """Add (sign 1) or take out (sign -1) the reports of these tables — the reports table, some of its months, or
    a subquery with an alias and the reports' columns x_m, y_m, merc_x, merc_y, region_code, reported_at, status,
    category_code, duplicate_of — to or from the bins, in one upsert: for writes the reports' statement triggers do
    not see (a month attached or detached, rows written straight into their months)."""
    rows = " UNION ALL ".join(f"SELECT {sign} AS sign, x_m, y_m, merc_x, merc_y, region_code, reported_at, status, "
                              f"category_code, duplicate_of FROM {table}" for table in tables)
    # The server writes the upsert around these rows (ccgrid_bins_sql, migrations 0008 and 0025): they go to it as a
    # bound value, and its answer is run as it is (no parameters: nothing in it is taken for a placeholder).
    upsert = session.execute(text("SELECT ccgrid_bins_sql(:rows)"), {"rows": rows}).scalar_one()
    # Its aggregates and sort in memory (a million reports: 750,000 bins; with the default 32 MB they spilled to
    # disk, 32 s → 19 s), then the transaction's own setting back.
    was = session.execute(text("SELECT current_setting('work_mem')")).scalar_one()
    session.execute(text("SELECT set_config('work_mem', :m, true)"), {"m": BULK_WORK_MEM})
    session.connection().exec_driver_sql(upsert, execution_options={"no_parameters": True})
    session.execute(text("SELECT set_config('work_mem', :m, true)"), {"m": was})
