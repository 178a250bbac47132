"""Pre-binned report counts for the views leaders open every day: the city heatmap (250 m hexagons) and the
low-zoom problem tiles (web-mercator squares of 1/64 of a z12 or a z10 tile, which nest exactly into the clustered
tiles of z11–z12 and z0–z10).

Counts are kept per bin and community, for all time and (hexagons) per month: the whole-city heatmap, any whole
months and any region scope are sums of a few ten thousand rows instead of a scan of a million reports. The table
is kept current by statement-level triggers on the reports table (one set-based upsert per statement, from its
transition tables), so it is never stale; what that costs each write is measured in bench/RESULTS.md.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from alembic import op

from gis.aggregate import bin_columns

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

HEX_SIZE_M = 250
MERC_HALF = 20037508.342789244  # half the web-mercator world width, metres


def merc_cell(zoom: int) -> float:
    """Side of 1/64 of a tile at `zoom`, in web-mercator metres."""
    return 2 * MERC_HALF / 2 ** (zoom + 6)


def _upsert(source: str) -> str:
    """The upsert that adds `sign` × each changed first report (the rows of `source`) to its bins. Keys are upserted
    in order, so two writers touching the same bins queue instead of deadlocking."""
    hex_i, hex_j = bin_columns("hex", "c.x_m", "c.y_m", str(HEX_SIZE_M))
    return f"""
            WITH d AS MATERIALIZED (  -- each report's keys once (inlined, the hexagon maths runs per use)
                SELECT c.sign, c.region_code, NOT s.final AS open, c.merc_x, c.merc_y,
                       date_trunc('month', c.reported_at AT TIME ZONE 'Asia/Shanghai')::date AS month,
                       {hex_i} AS hi, {hex_j} AS hj,
                       floor((c.merc_x + {MERC_HALF}::float8) / {merc_cell(12)}::float8)::bigint AS mi12,
                       floor((c.merc_y + {MERC_HALF}::float8) / {merc_cell(12)}::float8)::bigint AS mj12,
                       floor((c.merc_x + {MERC_HALF}::float8) / {merc_cell(10)}::float8)::bigint AS mi10,
                       floor((c.merc_y + {MERC_HALF}::float8) / {merc_cell(10)}::float8)::bigint AS mj10
                FROM ({source}) c JOIN problem_statuses s ON s.code = c.status
                WHERE c.duplicate_of IS NULL AND c.region_code IS NOT NULL)
            INSERT INTO problem_bins AS b (grid, span, day, region_code, i, j, n, n_open, sx, sy)
            SELECT k.grid, k.span, k.day, d.region_code, k.i, k.j, sum(d.sign), sum(d.sign * d.open::int),
                   sum(d.sign * d.merc_x), sum(d.sign * d.merc_y)
            FROM d CROSS JOIN LATERAL (VALUES (1::smallint, 'a', DATE '1900-01-01', d.hi, d.hj),
                                              (1::smallint, 'm', d.month, d.hi, d.hj),
                                              (2::smallint, 'a', DATE '1900-01-01', d.mi12, d.mj12),
                                              (3::smallint, 'a', DATE '1900-01-01', d.mi10, d.mj10))
                                     AS k(grid, span, day, i, j)
            GROUP BY k.grid, k.span, k.day, d.region_code, k.i, k.j
            HAVING sum(d.sign) <> 0 OR sum(d.sign * d.open::int) <> 0
            ORDER BY k.grid, k.span, k.day, d.region_code, k.i, k.j
            ON CONFLICT (grid, span, day, region_code, i, j) DO UPDATE
                SET n = b.n + excluded.n, n_open = b.n_open + excluded.n_open, sx = b.sx + excluded.sx,
                    sy = b.sy + excluded.sy"""


COLS = "x_m, y_m, merc_x, merc_y, region_code, reported_at, status, duplicate_of"
SOURCES = {  # what each trigger adds (+1) and takes away (-1), from its transition tables
    "insert": f"SELECT 1 AS sign, {COLS} FROM new_rows",
    "update": f"SELECT 1 AS sign, {COLS} FROM new_rows UNION ALL SELECT -1, {COLS} FROM old_rows",
    "delete": f"SELECT -1 AS sign, {COLS} FROM old_rows",
}
REFERENCING = {"insert": "NEW TABLE AS new_rows", "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
               "delete": "OLD TABLE AS old_rows"}


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE problem_bins (
            grid          smallint NOT NULL,  -- 1: 250 m hexagons (metric CRS); 2, 3: web-mercator squares of
                                              -- 1/64 of a z12, z10 tile
            span          char(1) NOT NULL CHECK (span IN ('m', 'a')),  -- a month (from its first day), all time
            day           date NOT NULL,  -- the month's first day; 1900-01-01 for all time
            region_code   varchar(12) NOT NULL,
            district_code char(6) GENERATED ALWAYS AS (left(region_code, 6)) STORED,
            i             bigint NOT NULL,
            j             bigint NOT NULL,
            n             integer NOT NULL,  -- first reports (duplicates count on their master)
            n_open        integer NOT NULL,  -- of which not closed or rejected
            sx            double precision NOT NULL,  -- sums of web-mercator x and y (cluster centres)
            sy            double precision NOT NULL,
            PRIMARY KEY (grid, span, day, region_code, i, j)
        );
        """
    )
    # For recounts and archiving, the upsert over any rows as text to EXECUTE.
    op.execute(f"""
        CREATE FUNCTION ccgrid_bins_sql(source text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
        SELECT format($q${_upsert("%s")}$q$, source)
        $f$;
    """)
    # One trigger function per operation, each with its statement written out: PL/pgSQL keeps the plan, where a
    # dynamic EXECUTE is planned again on every write (1.8 ms of each intake; ~0 with the plans kept).
    for operation, source in SOURCES.items():
        op.execute(f"""
            CREATE FUNCTION ccgrid_bins_{operation}() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN
                {_upsert(source)};
                RETURN NULL;
            END $f$;
            CREATE TRIGGER problems_bins_{operation} AFTER {operation.upper()} ON problems
                REFERENCING {REFERENCING[operation]}
                FOR EACH STATEMENT EXECUTE FUNCTION ccgrid_bins_{operation}();
        """)
    op.execute(f"""
        -- The reports already there.
        {_upsert(f"SELECT 1 AS sign, {COLS} FROM problems")};
        ANALYZE problem_bins;
    """)


def downgrade() -> None:
    op.execute(
        """
        DROP TRIGGER problems_bins_insert ON problems;
        DROP TRIGGER problems_bins_update ON problems;
        DROP TRIGGER problems_bins_delete ON problems;
        DROP FUNCTION ccgrid_bins_insert, ccgrid_bins_update, ccgrid_bins_delete, ccgrid_bins_sql;
        DROP TABLE problem_bins;
        """
    )
