"""One report's intake as one server-side function, `ccgrid_intake`: look up its category and source, refuse a
retry, create the month's partition, route the point (layers/ledger/placement.py), find its master among the open
reports nearby, and write the row, its external id, first event, audit line and owner snapshot.

One round trip instead of five: over HTTP that is most of what taking a report costs (bench/intake.py). The body
is built from the same SQL the Python paths use (routing probes, owner snapshot, master probe, audit line), so
there is one definition of each; `install` (re)creates it on every `ccgrid db migrate`.

It returns (outcome, new_id, new_at). Outcomes: created, existing (the external id is known: a retry), category
(unknown, inactive or top-level), source (unknown), outside (no region contains the point), scope (outside the
caller's region), old_month (its month has no partition and lies further back than `p_new_months_back` months).
Nothing is written unless the outcome is created.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from layers.common import audit
from layers.ledger.intake import DERIVED, DERIVED_FROM, MASTER_PROBE, OWNERS_SQL, PROBLEM_COLUMNS, PROBLEM_JSON_FUNCTION
from layers.ledger.placement import PROBE_SQL

# The new report as a one-row relation, for the shared probes (routing, master).
_NEW = ("(SELECT v_id AS id, v_cat.code AS category_code, v_at AS reported_at, v_geom AS geom, v_gm AS geom_m, "
        "v_xm AS x_m, v_ym AS y_m)")
_ROUTED = ("(SELECT v_id AS id, v_at AS reported_at, CAST(left(v_route.region_code, 6) AS char(6)) AS district_code, "
           "v_route.region_code AS region_code, v_route.grid_cell_id AS grid_cell_id, v_route.street_id AS street_id, "
           "v_route.point_id AS point_id)")

_MASTER = f"""SELECT m.id
FROM (SELECT $1::bigint AS id, $2::text AS category_code, $3::timestamptz AS reported_at, $4::geometry AS geom,
             $5::float8 AS x_m, $6::float8 AS y_m) n
CROSS JOIN (SELECT $7::float8 AS duplicate_radius_m, $8::int AS duplicate_window_h) c
CROSS JOIN LATERAL ({MASTER_PROBE.format(bounds="AND m.reported_at >= $9", limit="1")}) m"""


def _literal(sql: str) -> str:
    """A SQL string literal (dollar-quoted) holding `sql`."""
    assert "$q$" not in sql
    return f"$q${sql}$q$"


FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION ccgrid_intake(
    p_category text, p_source text, p_lon float8, p_lat float8, p_at timestamptz, p_external_id text,
    p_description text, p_address text, p_reporter text, p_contact text, p_actor text, p_scope text,
    p_new_months_back int)
RETURNS TABLE (outcome text, new_id bigint, new_at timestamptz)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_cat problem_categories%ROWTYPE;
    v_src text;
    v_id bigint;
    v_at timestamptz := coalesce(p_at, now());
    v_geom geometry := ST_SetSRID(ST_MakePoint(p_lon, p_lat), 4490);
    v_gm geometry;
    v_xm float8;
    v_ym float8;
    v_mx float8;
    v_my float8;
    v_route record;
    v_master bigint;
BEGIN
    SELECT * INTO v_cat FROM problem_categories c
    WHERE (c.code = p_category OR c.name = p_category) AND c.active ORDER BY c.code = p_category DESC LIMIT 1;
    IF v_cat.code IS NULL OR v_cat.parent_code IS NULL THEN
        RETURN QUERY SELECT 'category', NULL::bigint, NULL::timestamptz;
        RETURN;
    END IF;
    SELECT s.code INTO v_src FROM problem_sources s WHERE s.code = p_source OR s.name = p_source LIMIT 1;
    IF v_src IS NULL THEN
        RETURN QUERY SELECT 'source', NULL::bigint, NULL::timestamptz;
        RETURN;
    END IF;
    IF p_external_id IS NOT NULL THEN
        RETURN QUERY SELECT 'existing', e.problem_id, e.reported_at FROM problem_external_ids e
                     WHERE e.external_id = p_external_id;
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;

    v_id := nextval('problems_id_seq');
    SELECT {DERIVED.replace("derived.gm AS geom_m, ", "derived.gm, ")}
    INTO v_gm, v_xm, v_ym, v_mx, v_my
    FROM (SELECT v_geom AS g) pt {DERIVED_FROM.format(g="pt.g", srid="ccgrid_metric_srid()")};
    SELECT * INTO v_route FROM ({PROBE_SQL.format(input=_NEW)}) routed;
    IF v_route.id IS NULL THEN
        RETURN QUERY SELECT 'outside', NULL::bigint, NULL::timestamptz;
        RETURN;
    END IF;
    IF p_scope IS NOT NULL AND NOT starts_with(coalesce(v_route.region_code, ''), p_scope) THEN
        RETURN QUERY SELECT 'scope', NULL::bigint, NULL::timestamptz;
        RETURN;
    END IF;

    -- A month is a table: only within the caller's window (NULL: any) may a report make a new one.
    IF p_new_months_back IS NOT NULL AND v_at < now() - make_interval(months => p_new_months_back)
       AND to_regclass('problems_' || to_char(v_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMM')) IS NULL THEN
        RETURN QUERY SELECT 'old_month', NULL::bigint, NULL::timestamptz;
        RETURN;
    END IF;
    PERFORM ccgrid_problem_partition(v_at);
    IF v_cat.duplicate_radius_m IS NOT NULL THEN
        -- Planned with the values (EXECUTE), the earliest time as a value too so that only the months it spans
        -- are planned: a kept generic plan reads the category+time index instead of the GiST box (~800 rows).
        EXECUTE {_literal(_MASTER)} INTO v_master
        USING v_id, v_cat.code, v_at, v_geom, v_xm, v_ym, v_cat.duplicate_radius_m, v_cat.duplicate_window_h,
              v_at - make_interval(hours => v_cat.duplicate_window_h);
    END IF;
    INSERT INTO problems ({PROBLEM_COLUMNS}, duplicate_of)
    VALUES (v_id, p_external_id, v_cat.code, v_src, p_description, p_address, p_reporter, p_contact, v_geom, v_gm,
            v_xm, v_ym, v_mx, v_my, v_at, left(v_route.region_code, 6), v_route.region_code, v_route.grid_cell_id,
            v_route.grid_cell_code, v_route.street_id, v_route.street_distance_m, v_route.point_id, p_actor,
            v_master);
    IF p_external_id IS NOT NULL THEN
        INSERT INTO problem_external_ids (external_id, problem_id, reported_at) VALUES (p_external_id, v_id, v_at);
    END IF;
    INSERT INTO problem_events (problem_id, problem_reported_at, district_code, actor, action, to_status, note)
    VALUES (v_id, v_at, left(v_route.region_code, 6), p_actor, '上报', 'reported', '来源：' || v_src);
    {audit.INSERT_TEMPLATE.format(actor="p_actor", action="'report'", entity="'problems'", eid="v_id::text",
                                  detail="json_build_object('category', v_cat.code, 'source', v_src)::text")};
    {OWNERS_SQL.format(rows=_ROUTED)};
    RETURN QUERY SELECT 'created', v_id, v_at;
END
$fn$
"""


FUNCTIONS = ("ccgrid_intake", "ccgrid_problem_json")
# Every version of them goes first, whatever its arguments: CREATE OR REPLACE cannot change what a function returns,
# and a version with other arguments would stay behind as an overload.
_DROP_ALL = f"""
DO $$
DECLARE f regprocedure;
BEGIN
    FOR f IN SELECT oid::regprocedure FROM pg_proc
             WHERE proname IN {FUNCTIONS!r} AND pronamespace = 'public'::regnamespace LOOP
        EXECUTE 'DROP FUNCTION ' || f;
    END LOOP;
END $$"""


def install(conn: Connection) -> None:
    """(Re)create the intake function and the problem's JSON as this version of the code writes them."""
    conn.execute(text(_DROP_ALL))
    conn.execute(text(FUNCTION_SQL))
    conn.execute(text(PROBLEM_JSON_FUNCTION))
