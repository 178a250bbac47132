"""More pre-binned counts, kept by the same statement triggers: the heatmap's coarser hexagons and the filtered
problem tiles.

- Hexagons of 500 m, 1 km, 2 km, 5 km, 10 km and 20 km (grids 6–11), per month: the heatmap page picks its cell
  size from the zoom, and at a city's zoom that is 2 km (5 km on a phone), which binned a million reports on every
  view (~1 s). All time is the sum of the months (a few thousand rows at these sizes).
- The low-zoom problem tiles' web-mercator squares again, split by status and category (grids 4 and 5, as 2 and
  3): a tile filtered by category or status (未办结, 已销号 …) sums bins instead of reading every report of the
  tile (~0.1–0.5 s at z8–z11).
- The sums of the open reports' web-mercator x and y (`sx_open`, `sy_open`), so a 未办结 cluster sits where its open
  reports are.

The key gets `status` and `category_code` ('' where a grid does not split by them) and is reordered so a tile
reads only its own column of squares: (grid, span, day, status, category_code, i, j, region_code). The counts are
rebuilt from the reports (one pass; ~20 s for a million).

The reports' position index (problems_merc, the clustered tiles above z12 read it) is keyed by the z16 column of a
report's web-mercator x and then y, instead of x and then y: a tile's range of x was a strip the height of the city,
four times the tile's own reports at z13 and ten times at z15; now it is a few columns, each read from the tile's
south edge to its north. Same columns included, same number of indexes per month.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from alembic import op

from gis.aggregate import bin_columns

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

MERC_HALF = 20037508.342789244  # half the web-mercator world width, metres
ALL_TIME = "DATE '1900-01-01'"
# grid → hexagon edge in metres. Grid 1 (250 m) is kept for all time and per month; the coarser ones per month.
HEX_GRIDS = {1: 250, 6: 500, 7: 1000, 8: 2000, 9: 5000, 10: 10000, 11: 20000}
# The z16 column of a web-mercator x (gis/mvt.py:merc_column writes the same expression for the tiles' queries).
MERC_COLUMN = f"(floor((merc_x + {MERC_HALF!r}::float8) / {2 * MERC_HALF / 2 ** 16!r}::float8)::int)"
MERC_INCLUDE = "x_m, y_m, status, due_at, category_code, reported_at, source, region_code, grid_cell_id"
COLS = "x_m, y_m, merc_x, merc_y, region_code, reported_at, status, category_code, duplicate_of"
OLD_COLS = "x_m, y_m, merc_x, merc_y, region_code, reported_at, status, duplicate_of"


def merc_cell(zoom: int) -> float:
    """Side of 1/64 of a tile at `zoom`, in web-mercator metres."""
    return 2 * MERC_HALF / 2 ** (zoom + 6)


def _merc(axis: str, zoom: int) -> str:
    return f"floor((c.merc_{axis} + {MERC_HALF}::float8) / {merc_cell(zoom)}::float8)::bigint"


def _keys(split: bool) -> list[tuple[int, str, str, str]]:
    """Each grid's bins: (grid, span, the report's (status, category) or none, its square or hexagon)."""
    keys = [(1, "a", "", "h1"), (1, "m", "", "h1"), (2, "a", "", "m12"), (3, "a", "", "m10")]
    if split:
        keys += [(4, "a", "split", "m12"), (5, "a", "split", "m10")]
        keys += [(g, "m", "", f"h{g}") for g in HEX_GRIDS if g != 1]
    return keys


def _upsert(source: str, *, split: bool = True, few: bool = False) -> str:
    """The upsert that adds `sign` × each changed first report (the rows of `source`) to its bins. Keys are upserted
    in order, so two writers touching the same bins queue instead of deadlocking. `few` (the triggers: a statement's
    rows, mostly one): each report crossed with its keys and one aggregate; else (an import, an archived month) one
    aggregate per grid, which for a million reports took half the time of the cross join, and for one report twice
    as long. `split`: this revision's grids and columns; without it, revision 0008's (for the downgrade)."""
    hexes = HEX_GRIDS if split else {1: 250}
    hex_keys = ", ".join(f"{i} AS h{g}i, {j} AS h{g}j" for g, size in hexes.items()
                         for i, j in [bin_columns("hex", "c.x_m", "c.y_m", str(size))])
    cols = "grid, span, day, " + ("status, category_code, " if split else "") + "i, j, region_code"
    sums = "n, n_open, sx, sy" + (", sx_open, sy_open" if split else "")
    totals = ("sum(d.sign), sum(d.sign * d.open::int), sum(d.sign * d.merc_x), sum(d.sign * d.merc_y)"
              + (", sum(d.sign * d.open::int * d.merc_x), sum(d.sign * d.open::int * d.merc_y)" if split else ""))
    keys = []  # (grid, span, day, status and category, i, j) of each report's bins, in terms of d
    for grid, span, by, cell in _keys(split):
        kind = ("d.status, d.category_code, " if by else "'', '', ") if split else ""
        keys.append((f"{grid}::smallint, '{span}'::char(1), {'d.month' if span == 'm' else ALL_TIME}, {kind}"
                     f"d.{cell}i, d.{cell}j", span, by, cell))
    if few:
        key_cols = cols.replace(", region_code", "")
        rows = f"""
                SELECT {", ".join(f"k.{c}" for c in key_cols.split(", "))}, d.region_code, {totals}
                FROM d CROSS JOIN LATERAL (VALUES {", ".join(f"({k})" for k, *_ in keys)}) AS k ({key_cols})
                GROUP BY {", ".join(f"k.{c}" for c in key_cols.split(", "))}, d.region_code"""
    else:
        parts = []
        for k, span, by, cell in keys:
            group = ", ".join([*(["d.month"] if span == "m" else []), *(["d.status, d.category_code"] if by else []),
                               f"d.{cell}i", f"d.{cell}j", "d.region_code"])
            parts.append(f"SELECT {k}, d.region_code, {totals} FROM d GROUP BY {group}")
        rows = "\n                UNION ALL ".join(parts)
    update = ", sx_open = b.sx_open + excluded.sx_open, sy_open = b.sy_open + excluded.sy_open" if split else ""
    return f"""
            WITH d AS MATERIALIZED (  -- each report's keys once (inlined, the hexagon maths runs per use)
                SELECT c.sign, c.region_code, NOT s.final AS open, c.merc_x, c.merc_y,
                       {"c.status, c.category_code," if split else ""}
                       date_trunc('month', c.reported_at AT TIME ZONE 'Asia/Shanghai')::date AS month,
                       {hex_keys},
                       {_merc("x", 12)} AS m12i, {_merc("y", 12)} AS m12j,
                       {_merc("x", 10)} AS m10i, {_merc("y", 10)} AS m10j
                FROM ({source}) c JOIN problem_statuses s ON s.code = c.status
                WHERE c.duplicate_of IS NULL AND c.region_code IS NOT NULL)
            INSERT INTO problem_bins AS b ({cols}, {sums})
            SELECT * FROM ({rows}) k ({cols}, {sums})
            WHERE n <> 0 OR n_open <> 0 OR sx <> 0 OR sy <> 0
            -- Squares first: they tell keys apart in one or two comparisons (sorting by grid first cost 2x).
            ORDER BY i, j, {cols.replace(", i, j", "")}
            ON CONFLICT ({cols}) DO UPDATE
                SET n = b.n + excluded.n, n_open = b.n_open + excluded.n_open, sx = b.sx + excluded.sx,
                    sy = b.sy + excluded.sy{update}"""


def _sources(cols: str) -> dict[str, str]:
    """What each trigger adds (+1) and takes away (-1), from its transition tables."""
    return {
        "insert": f"SELECT 1 AS sign, {cols} FROM new_rows",
        "update": f"SELECT 1 AS sign, {cols} FROM new_rows UNION ALL SELECT -1, {cols} FROM old_rows",
        "delete": f"SELECT -1 AS sign, {cols} FROM old_rows",
    }


def _install(split: bool) -> None:
    cols = COLS if split else OLD_COLS
    op.execute(f"""
        CREATE OR REPLACE FUNCTION ccgrid_bins_sql(source text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
        SELECT format($q${_upsert("%s", split=split)}$q$, source)
        $f$;
    """)
    # One trigger function per operation with its statement written out: PL/pgSQL keeps the plan.
    for operation, source in _sources(cols).items():
        op.execute(f"""
            CREATE OR REPLACE FUNCTION ccgrid_bins_{operation}() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN
                {_upsert(source, split=split, few=True)};
                RETURN NULL;
            END $f$;
        """)
    op.execute(f"""
        SET LOCAL work_mem = '256MB';  -- the recount's aggregates and sort in memory
        TRUNCATE problem_bins;
        {_upsert(f"SELECT 1 AS sign, {cols} FROM problems", split=split)};
        ANALYZE problem_bins;
    """)


def upgrade() -> None:
    op.execute("""
        ALTER TABLE problem_bins
            ADD COLUMN status text NOT NULL DEFAULT '',
            ADD COLUMN category_code text NOT NULL DEFAULT '',
            ADD COLUMN sx_open double precision NOT NULL DEFAULT 0,
            ADD COLUMN sy_open double precision NOT NULL DEFAULT 0,
            DROP CONSTRAINT problem_bins_pkey,
            ADD CONSTRAINT problem_bins_pkey PRIMARY KEY (grid, span, day, status, category_code, i, j, region_code)
    """)
    _install(split=True)
    op.execute(f"""
        DROP INDEX problems_merc;
        CREATE INDEX problems_merc ON problems ({MERC_COLUMN}, merc_y) INCLUDE (merc_x, {MERC_INCLUDE})
            WHERE duplicate_of IS NULL;
    """)


def downgrade() -> None:
    op.execute(f"""
        DROP INDEX problems_merc;
        CREATE INDEX problems_merc ON problems (merc_x, merc_y) INCLUDE ({MERC_INCLUDE}) WHERE duplicate_of IS NULL;
    """)
    op.execute("""
        DELETE FROM problem_bins WHERE grid > 3;
        ALTER TABLE problem_bins
            DROP CONSTRAINT problem_bins_pkey,
            DROP COLUMN status, DROP COLUMN category_code, DROP COLUMN sx_open, DROP COLUMN sy_open,
            ADD CONSTRAINT problem_bins_pkey PRIMARY KEY (grid, span, day, region_code, i, j)
    """)
    _install(split=False)
