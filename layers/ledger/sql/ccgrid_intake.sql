-- One report's intake in one round trip (layers/ledger/server_functions.py): look up its category and source,
-- refuse a retry, create the month's partition, place the point, find its master among the open reports nearby,
-- and write the row, its external id, first event, audit line, owner snapshot and departments.
--
-- Returns (outcome, new_id, new_at). Outcomes: created, existing (the external id is known: a retry), category
-- (unknown, inactive or top-level), source (unknown), outside (no region contains the point), scope (outside the
-- caller's region), old_month (its month has no partition and lies further back than `p_new_months_back`
-- months). Nothing is written unless the outcome is created.
--
-- The placement, master and owner queries are written out here for one report; imports run the same queries
-- set-based (layers/ledger/placement.py, and find_duplicates and snapshot_owners in layers/ledger/intake.py).
-- Change them together: tests/layers/test_server_functions.py checks that both paths give one answer.
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
    -- Derived coordinates, each transform once: metric x/y for distances and binning, web mercator for tiles.
    SELECT derived.gm, ST_X(derived.gm), ST_Y(derived.gm), ST_X(derived.gw), ST_Y(derived.gw)
    INTO v_gm, v_xm, v_ym, v_mx, v_my
    FROM (SELECT ST_Transform(v_geom, ccgrid_metric_srid()) AS gm, ST_Transform(v_geom, 3857) AS gw) AS derived;

    -- Its places by index probes, a LATERAL each: the cell that contains it, else the smallest region; the nearest
    -- street within the category's tolerance; the assessment point within 50 m (placement.POINT_RADIUS_M).
    -- Ties go to the lowest id.
    SELECT coalesce(g.region_code, r.code) AS region_code, g.id AS grid_cell_id, g.code AS grid_cell_code,
           s.id AS street_id, s.dist AS street_distance_m, ap.id AS point_id
    INTO v_route
    FROM (SELECT v_geom AS geom, v_gm AS geom_m) q
    LEFT JOIN LATERAL (SELECT id, code, region_code FROM grid_cells WHERE ST_Intersects(geom, q.geom)
                       ORDER BY id LIMIT 1) g ON true
    LEFT JOIN LATERAL (SELECT code FROM regions WHERE g.id IS NULL AND ST_Intersects(geom, q.geom)
                       ORDER BY length(code) DESC, code LIMIT 1) r ON true
    LEFT JOIN LATERAL (SELECT id, ST_Distance(geom_m, q.geom_m) AS dist FROM streets
                       WHERE ST_DWithin(geom_m, q.geom_m, coalesce(v_cat.street_tolerance_m, 50))
                       ORDER BY ST_Distance(geom_m, q.geom_m), id LIMIT 1) s ON true
    LEFT JOIN LATERAL (SELECT id FROM assessment_points WHERE ST_DWithin(geom_m, q.geom_m, 50)
                       ORDER BY ST_Distance(geom_m, q.geom_m), id LIMIT 1) ap ON true
    WHERE g.id IS NOT NULL OR r.code IS NOT NULL;
    IF NOT FOUND THEN
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

    -- Its master: an earlier open report of the same category within the category's radius and window that is
    -- not itself a duplicate, oldest first. A box in degrees a little wider than the radius at any latitude lets
    -- each month's GiST find the few reports nearby; the exact test is on the metric x/y.
    IF v_cat.duplicate_radius_m IS NOT NULL THEN
        -- Planned with the values (EXECUTE), the earliest time as a value too so that only the months it spans
        -- are planned: a kept generic plan reads the category+time index instead of the GiST box (~800 rows).
        EXECUTE $q$
            SELECT m.id FROM problems m
            WHERE m.category_code = $2
              AND m.reported_at >= $3 - make_interval(hours => $8)
              AND m.reported_at <= $3 AND m.reported_at >= $9
              AND m.geom && ST_Expand($4, $7 / 100000.0 / cos(radians(ST_Y($4))), $7 / 100000.0)
              AND (m.x_m - $5) ^ 2 + (m.y_m - $6) ^ 2 <= $7 ^ 2
              AND m.id <> $1 AND m.duplicate_of IS NULL AND m.status NOT IN ('closed', 'rejected')
              AND (m.reported_at, m.id) < ($3, $1)
            ORDER BY m.reported_at, m.id
            LIMIT 1$q$ INTO v_master
        USING v_id, v_cat.code, v_at, v_geom, v_xm, v_ym, v_cat.duplicate_radius_m::float8,
              v_cat.duplicate_window_h::int, v_at - make_interval(hours => v_cat.duplicate_window_h);
    END IF;

    INSERT INTO problems (id, external_id, category_code, source, description, address, reporter, reporter_contact,
                          geom, geom_m, x_m, y_m, merc_x, merc_y, reported_at, district_code, region_code,
                          grid_cell_id, grid_cell_code, street_id, street_distance_m, point_id, created_by,
                          duplicate_of)
    VALUES (v_id, p_external_id, v_cat.code, v_src, p_description, p_address, p_reporter, p_contact, v_geom, v_gm,
            v_xm, v_ym, v_mx, v_my, v_at, left(v_route.region_code, 6), v_route.region_code, v_route.grid_cell_id,
            v_route.grid_cell_code, v_route.street_id, v_route.street_distance_m, v_route.point_id, p_actor,
            v_master);
    IF p_external_id IS NOT NULL THEN
        INSERT INTO problem_external_ids (external_id, problem_id, reported_at) VALUES (p_external_id, v_id, v_at);
    END IF;
    INSERT INTO problem_events (problem_id, problem_reported_at, district_code, actor, action, to_status, note)
    VALUES (v_id, v_at, left(v_route.region_code, 6), p_actor, '上报', 'reported', '来源：' || v_src);
    INSERT INTO audit_log (actor, action, entity, entity_id, detail)
    VALUES (p_actor, 'report', 'problems', v_id::text,
            CAST(json_build_object('category', v_cat.code, 'source', v_src)::text AS jsonb));

    -- The owners in force today at each of its places; one holder of two places (a street chief who is also its
    -- grid worker) is kept once, at the first place.
    WITH live AS (SELECT id, layer, feature_id FROM assignments
                  WHERE valid_from <= current_date AND (valid_to IS NULL OR valid_to > current_date))
    INSERT INTO problem_owners (problem_id, problem_reported_at, district_code, assignment_id, place)
    SELECT DISTINCT ON (a.id) v_id, v_at, CAST(left(v_route.region_code, 6) AS char(6)), a.id, x.place
    FROM (SELECT 1) one
    LEFT JOIN regions sd ON sd.code = left(v_route.region_code, 9)
    LEFT JOIN regions cm ON cm.code = left(v_route.region_code, 12)
    CROSS JOIN LATERAL (VALUES (1, 'streets', v_route.street_id, 'street'),
                               (2, 'grid_cells', v_route.grid_cell_id, 'grid_cell'),
                               (3, 'assessment_points', v_route.point_id, 'assessment_point'),
                               (4, 'regions', sd.id, 'subdistrict'), (5, 'regions', cm.id, 'community'))
                       AS x(ord, layer, fid, place)
    JOIN live a ON a.layer = x.layer AND a.feature_id = x.fid
    WHERE x.fid IS NOT NULL
    ORDER BY a.id, x.ord;

    -- Its departments by the active department rules, one of them 主办 (layers/ledger/sql/departments_route.sql).
    INSERT INTO problem_departments (problem_id, problem_reported_at, district_code, unit_id, duty, rule_id)
    SELECT v_id, v_at, CAST(left(v_route.region_code, 6) AS char(6)), m.unit_id,
           CASE WHEN m.duty = 'lead' AND row_number() OVER (ORDER BY m.duty = 'lead' DESC, m.specific DESC,
                                                            m.rule_id) = 1
                THEN 'lead' ELSE 'assist' END,
           m.rule_id
    FROM (
        SELECT DISTINCT ON (d.unit_id) d.unit_id, d.duty, d.id AS rule_id,
               ccgrid_department_rule_rank(d.category_code, d.point_type, d.road_class) AS specific
        FROM department_rules d
        JOIN units u ON u.id = d.unit_id AND u.active
        LEFT JOIN assessment_points ap ON ap.id = v_route.point_id
        LEFT JOIN streets s ON s.id = v_route.street_id
        WHERE d.active
          AND (d.category_code IS NULL OR d.category_code = v_cat.code OR d.category_code = v_cat.parent_code)
          AND (d.point_type IS NULL OR d.point_type = ap.point_type)
          AND (d.road_class IS NULL OR d.road_class = s.road_class)
        ORDER BY d.unit_id, d.duty = 'lead' DESC,
                 ccgrid_department_rule_rank(d.category_code, d.point_type, d.road_class) DESC, d.id) m;

    RETURN QUERY SELECT 'created', v_id, v_at;
END
$fn$
